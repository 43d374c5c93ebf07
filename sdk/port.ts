import * as pulumi from "@pulumi/pulumi";
import * as provider from "../provider/resources/port";
import type { ConnectionArgs } from "./connection";
import { OvsResource } from "./internal";

/** Inputs of an {@link OvsPort}. */
export interface OvsPortArgs {
  /** How to reach the host (secret). */
  connection: pulumi.Input<ConnectionArgs>;
  /** Bridge the port is on. Changing it replaces the port. */
  bridge: pulumi.Input<string>;
  /** Port (and interface) name, at most 15 characters. Changing it replaces the port. */
  name: pulumi.Input<string>;
  /** "system" (an existing interface such as eth1 or a veth end), "internal" (OVS creates it) or "patch". */
  type?: pulumi.Input<"system" | "internal" | "patch">;
  /** Access VLAN (0..4095). */
  tag?: pulumi.Input<number>;
  /** VLANs a trunk port carries. */
  trunks?: pulumi.Input<pulumi.Input<number>[]>;
  /** access, trunk, native-tagged or native-untagged. */
  vlanMode?: pulumi.Input<"access" | "trunk" | "native-tagged" | "native-untagged">;
  /** Split horizon: OVS does not forward (normal mode) between two protected ports. */
  protected?: pulumi.Input<boolean>;
  /** For a patch port: the name of the patch port on the other bridge. */
  peer?: pulumi.Input<string>;
  /** Ask OVS for this OpenFlow port number (1..65279), so flows can name it. */
  ofportRequest?: pulumi.Input<number>;
  /** Interface MTU OVS should set. */
  mtuRequest?: pulumi.Input<number>;
  /** MAC address of an internal interface. */
  mac?: pulumi.Input<string>;
  /** Port external_ids; keys dropped from the program are removed, foreign keys are left alone. */
  externalIds?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /**
   * Interface external_ids (ovs-docker finds its ports by `container_id` and `container_iface` here); keys dropped
   * from the program are removed, foreign keys are left alone.
   */
  interfaceExternalIds?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Further interface options. */
  options?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Internal ports: addresses with prefix length, e.g. ["198.18.1.1/24"]. */
  addresses?: pulumi.Input<pulumi.Input<string>[]>;
  /** Internal ports: link state (default up when addresses or netns are set). */
  up?: pulumi.Input<boolean>;
  /** Internal ports: network namespace to move the interface into (an alternative to a veth pair). */
  netns?: pulumi.Input<string>;
  /**
   * Management move, for a NIC (type "system") that carries the host's own addresses, e.g. the one SSH arrives
   * on: the NIC becomes a port of `bridge` and its global addresses and the routes through it move to this
   * internal port of the same bridge (usually the bridge's own port, which has the bridge's name), in one
   * host-side script that is always armed with a revert. Destroy moves them back. See docs/safe-apply.md.
   */
  moveAddressesTo?: pulumi.Input<string>;
  /** Take over a port that already exists and was not created by pulumi-ovs. */
  adopt?: pulumi.Input<boolean>;
}

/** A port on an Open vSwitch bridge (`ovs-vsctl add-port`). */
export class OvsPort extends OvsResource {
  /** Bridge the port is on. */
  declare readonly bridge: pulumi.Output<string>;
  /** Port (and interface) name. */
  declare readonly name: pulumi.Output<string>;
  /** Access VLAN when declared. */
  declare readonly tag: pulumi.Output<number | undefined>;
  /** VLANs a trunk port carries when declared (sorted, without duplicates). */
  declare readonly trunks: pulumi.Output<number[] | undefined>;
  /** OpenFlow port number OVS assigned. */
  declare readonly ofport: pulumi.Output<number | undefined>;
  /** MAC address of the interface as OVS sees it. */
  declare readonly macInUse: pulumi.Output<string | undefined>;
  /** OVSDB Port row UUID. */
  declare readonly uuid: pulumi.Output<string>;
  /** Management move: the addresses that moved from the NIC (moved back at destroy). */
  declare readonly movedAddresses: pulumi.Output<string[] | undefined>;
  /** How the host is reached (secret). */
  declare readonly connection: pulumi.Output<ConnectionArgs>;

  constructor(name: string, args: OvsPortArgs, opts?: pulumi.CustomResourceOptions) {
    super(provider, "OvsPort", name, args, ["uuid", "ofport", "macInUse", "interfaceError", "movedAddresses", "movedRoutes"], opts);
  }
}
