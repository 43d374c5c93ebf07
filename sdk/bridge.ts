import * as pulumi from "@pulumi/pulumi";
import * as provider from "../provider/resources/bridge";
import type { ConnectionArgs } from "./connection";
import { OvsResource } from "./internal";

/** Inputs of an {@link OvsBridge}. */
export interface OvsBridgeArgs {
  /** How to reach the host (secret). */
  connection: pulumi.Input<ConnectionArgs>;
  /** Bridge name (at most 15 characters: it is also an interface name). Changing it replaces the bridge. */
  name: pulumi.Input<string>;
  /** "system" (kernel datapath) or "netdev" (userspace). Changing it replaces the bridge. */
  datapathType?: pulumi.Input<"system" | "netdev">;
  /** What the bridge does without a controller: "standalone" (learning switch) or "secure" (flows only). */
  failMode?: pulumi.Input<"standalone" | "secure">;
  /** OpenFlow versions the bridge speaks, e.g. ["OpenFlow10", "OpenFlow13"]. */
  protocols?: pulumi.Input<pulumi.Input<"OpenFlow10" | "OpenFlow11" | "OpenFlow12" | "OpenFlow13" | "OpenFlow14" | "OpenFlow15">[]>;
  /** Spanning tree (802.1D). */
  stpEnable?: pulumi.Input<boolean>;
  /** Rapid spanning tree (802.1w). */
  rstpEnable?: pulumi.Input<boolean>;
  /** IGMP/MLD snooping. */
  mcastSnoopingEnable?: pulumi.Input<boolean>;
  /** external_ids entries; keys dropped from the program are removed, keys set by others are left alone. */
  externalIds?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** other_config entries (e.g. { "hwaddr": "02:00:00:00:00:01" }); managed like externalIds. */
  otherConfig?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** OpenFlow controller targets, e.g. ["tcp:198.18.0.1:6653"]. */
  controllers?: pulumi.Input<pulumi.Input<string>[]>;
  /** Take over a bridge that already exists and was not created by pulumi-ovs. */
  adopt?: pulumi.Input<boolean>;
}

/** An Open vSwitch bridge (`ovs-vsctl add-br`). */
export class OvsBridge extends OvsResource {
  /** Bridge name. */
  declare readonly name: pulumi.Output<string>;
  /** Datapath type ("system" or "netdev") when declared. */
  declare readonly datapathType: pulumi.Output<string | undefined>;
  /** Fail mode ("standalone" or "secure") when declared. */
  declare readonly failMode: pulumi.Output<string | undefined>;
  /** OpenFlow versions the bridge speaks when declared (sorted, without duplicates). */
  declare readonly protocols: pulumi.Output<string[] | undefined>;
  /** OVSDB row UUID. */
  declare readonly uuid: pulumi.Output<string>;
  /** OpenFlow datapath ID (16 hex digits). */
  declare readonly datapathId: pulumi.Output<string | undefined>;
  /** How the host is reached (secret). */
  declare readonly connection: pulumi.Output<ConnectionArgs>;

  constructor(name: string, args: OvsBridgeArgs, opts?: pulumi.CustomResourceOptions) {
    super(provider, "OvsBridge", name, args, ["uuid", "datapathId"], opts);
  }
}
