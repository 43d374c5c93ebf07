import * as pulumi from "@pulumi/pulumi";
import * as provider from "../provider/resources/veth";
import type { ConnectionArgs } from "./connection";
import { OvsResource } from "./internal";

/** Inputs of a {@link VethPair}. */
export interface VethPairArgs {
  /** How to reach the host (secret). */
  connection: pulumi.Input<ConnectionArgs>;
  /** Interface name of the first end (at most 15 characters). Changing it replaces the pair. */
  name: pulumi.Input<string>;
  /** Namespace of the first end (a NetNamespace's name); the host namespace when unset. Changing it replaces the pair. */
  namespace?: pulumi.Input<string>;
  /**
   * Interface name of the second end. Names only need to be unique per namespace: "eth1" inside a container is
   * peerName "eth1" with peerNamespace set to the container's NetNamespace. Changing it replaces the pair.
   */
  peerName: pulumi.Input<string>;
  /** Namespace of the second end; the host namespace when unset. Changing it replaces the pair. */
  peerNamespace?: pulumi.Input<string>;
  /** MTU of both ends. Dropping it later sets 1500 again. */
  mtu?: pulumi.Input<number>;
  /** MAC address of the first end (unicast), e.g. "02:00:00:00:00:01". */
  mac?: pulumi.Input<string>;
  /** MAC address of the second end. */
  peerMac?: pulumi.Input<string>;
  /** Addresses of the first end with prefix length, e.g. ["198.18.100.1/24"]; exactly these are kept. */
  addresses?: pulumi.Input<pulumi.Input<string>[]>;
  /** Addresses of the second end. */
  peerAddresses?: pulumi.Input<pulumi.Input<string>[]>;
  /** Link state of the first end. Default true (up). */
  up?: pulumi.Input<boolean>;
  /** Link state of the second end. Default true (up). */
  peerUp?: pulumi.Input<boolean>;
  /**
   * Default gateway through the first end, inside its namespace (`ip route replace default via GW dev NAME`).
   * Only for an end inside a namespace, and inside the subnet of one of `addresses`.
   */
  gateway?: pulumi.Input<string>;
  /** Default gateway through the second end, inside its namespace. */
  peerGateway?: pulumi.Input<string>;
  /**
   * TX checksum offload of the first end (`ethtool -K NAME tx on|off`). With OVS's userspace (netdev)
   * datapath, TCP through a veth fails unless the sending end has it off (ping still works).
   */
  txChecksumOffload?: pulumi.Input<boolean>;
  /** TX checksum offload of the second end. */
  peerTxChecksumOffload?: pulumi.Input<boolean>;
  /** Take over a veth pair with these names that already exists and was not created by pulumi-ovs. */
  adopt?: pulumi.Input<boolean>;
}

/** A veth pair (`ip link add NAME type veth peer name PEER`), each end in the host or in a namespace. */
export class VethPair extends OvsResource {
  /** Interface name of the first end. */
  declare readonly name: pulumi.Output<string>;
  /** Namespace of the first end; undefined: the host namespace. */
  declare readonly namespace: pulumi.Output<string | undefined>;
  /** Interface name of the second end. */
  declare readonly peerName: pulumi.Output<string>;
  /** Namespace of the second end; undefined: the host namespace. */
  declare readonly peerNamespace: pulumi.Output<string | undefined>;
  /** MTU of both ends when declared. */
  declare readonly mtu: pulumi.Output<number | undefined>;
  /** Addresses of the first end when declared (sorted). */
  declare readonly addresses: pulumi.Output<string[] | undefined>;
  /** Addresses of the second end when declared (sorted). */
  declare readonly peerAddresses: pulumi.Output<string[] | undefined>;
  /** ifindex of the first end (inside its namespace). */
  declare readonly ifindex: pulumi.Output<number>;
  /** ifindex of the second end (inside its namespace). */
  declare readonly peerIfindex: pulumi.Output<number>;
  /** MAC address of the first end as the kernel reports it. */
  declare readonly macAddress: pulumi.Output<string>;
  /** MAC address of the second end as the kernel reports it. */
  declare readonly peerMacAddress: pulumi.Output<string>;
  /** How the host is reached (secret). */
  declare readonly connection: pulumi.Output<ConnectionArgs>;

  constructor(name: string, args: VethPairArgs, opts?: pulumi.CustomResourceOptions) {
    super(provider, "VethPair", name, args, ["ifindex", "peerIfindex", "macAddress", "peerMacAddress"], opts);
  }
}
