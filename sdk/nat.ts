import * as pulumi from "@pulumi/pulumi";
import * as provider from "../provider/resources/nat";
import type { ConnectionArgs } from "./connection";
import { OvsResource } from "./internal";

/** Inputs of a {@link NatRule}. */
export interface NatRuleArgs {
  /** How to reach the host (secret). */
  connection: pulumi.Input<ConnectionArgs>;
  /** Named namespace (a NetNamespace's name) whose nat table holds the rule; the host's when unset. Changing it replaces the rule. */
  namespace?: pulumi.Input<string>;
  /** Chain of the nat table. Default "POSTROUTING". Changing it replaces the rule. */
  chain?: pulumi.Input<"PREROUTING" | "INPUT" | "OUTPUT" | "POSTROUTING">;
  /** `-s`: IPv4 address or network; a leading "!" negates it ("!198.18.0.0/16" is `! -s 198.18.0.0/16`). */
  source?: pulumi.Input<string>;
  /** `-d`: IPv4 address or network, "!" negates (e.g. "!198.18.48.0/20": everything but the container networks). */
  destination?: pulumi.Input<string>;
  /** `-i`: input interface (PREROUTING, INPUT); a trailing "+" is a wildcard, "!" negates. */
  inInterface?: pulumi.Input<string>;
  /** `-o`: output interface (POSTROUTING, OUTPUT); a trailing "+" is a wildcard, "!" negates. */
  outInterface?: pulumi.Input<string>;
  /** `-p`: "tcp", "udp" or "icmp". */
  protocol?: pulumi.Input<"tcp" | "udp" | "icmp">;
  /** `--dport` (needs protocol tcp or udp). */
  destinationPort?: pulumi.Input<number>;
  /** `-j`: MASQUERADE (default), SNAT, DNAT, RETURN or ACCEPT. */
  jump?: pulumi.Input<"MASQUERADE" | "SNAT" | "DNAT" | "RETURN" | "ACCEPT">;
  /** SNAT `--to-source`, e.g. "198.19.0.11". */
  toSource?: pulumi.Input<string>;
  /** DNAT `--to-destination`, e.g. "198.18.41.2:8080". */
  toDestination?: pulumi.Input<string>;
  /** Where a new rule goes: "last" (default, `-A`) or "first" (`-I CHAIN 1`, e.g. a RETURN exempting traffic from a later MASQUERADE). */
  position?: pulumi.Input<"first" | "last">;
  /** Take over an identical rule without a pulumi-ovs comment (it is swapped for a marked one). */
  adopt?: pulumi.Input<boolean>;
}

/**
 * A rule of the iptables nat table (IPv4), in the host or a namespace:
 * `iptables -t nat -A POSTROUTING -s 198.18.41.0/24 -o up0 -m comment --comment pulumi-ovs-owner=HASH -j MASQUERADE`.
 * pulumi-ovs deletes only rules carrying its comment, each by its exact text. Changes to matches or target
 * swap the old rule for the new one in place.
 */
export class NatRule extends OvsResource {
  /** Namespace whose nat table holds the rule; undefined: the host's. */
  declare readonly namespace: pulumi.Output<string | undefined>;
  /** Chain of the nat table. */
  declare readonly chain: pulumi.Output<string>;
  /** `-s` match as iptables lists it (network form). */
  declare readonly source: pulumi.Output<string | undefined>;
  /** `-d` match as iptables lists it (network form). */
  declare readonly destination: pulumi.Output<string | undefined>;
  /** `-o` match. */
  declare readonly outInterface: pulumi.Output<string | undefined>;
  /** `-j` target. */
  declare readonly jump: pulumi.Output<string>;
  /** The rule as iptables lists it, when a refresh found it differing from the program (drift). */
  declare readonly liveRule: pulumi.Output<string[] | undefined>;
  /** How the host is reached (secret). */
  declare readonly connection: pulumi.Output<ConnectionArgs>;

  constructor(name: string, args: NatRuleArgs, opts?: pulumi.CustomResourceOptions) {
    super(provider, "NatRule", name, args, ["liveRule"], opts);
  }
}
