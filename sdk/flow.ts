import * as pulumi from "@pulumi/pulumi";
import * as provider from "../provider/resources/flow";
import type { ConnectionArgs } from "./connection";
import { OvsResource } from "./internal";

/** Inputs of a {@link FlowEntry}. */
export interface FlowEntryArgs {
  /** How to reach the host (secret). */
  connection: pulumi.Input<ConnectionArgs>;
  /** The bridge the flow lives on (it must exist). Changing it replaces the flow. */
  bridge: pulumi.Input<string>;
  /** OpenFlow table, 0..254 (default 0). Changing it replaces the flow. */
  table?: pulumi.Input<number>;
  /** Priority, 0..65535 (default 32768, OpenFlow's default). Changing it replaces the flow. */
  priority?: pulumi.Input<number>;
  /**
   * Match fields in ovs-ofctl syntax, e.g. "in_port=1,icmp,nw_dst=198.18.20.100"; "" (the default) matches
   * every packet. Use port numbers (an OvsPort's `ofport`), not names. Fields need their protocol
   * ("ip,nw_dst=..." not "nw_dst=..."), or OVS would drop them: such a match is rejected. Table, priority,
   * timeouts and the cookie have their own properties. Changing it replaces the flow (it becomes another flow).
   */
  match?: pulumi.Input<string>;
  /**
   * Actions in ovs-ofctl syntax, e.g. "move:NXM_OF_ETH_DST[]->NXM_OF_ETH_SRC[],mod_dl_dst:f2:70:38:c0:00:27,output:2",
   * or "drop". Changed in place, atomically.
   */
  actions: pulumi.Input<string>;
  /** Seconds without a matching packet before OVS removes the flow, 0..65535 (0 or unset: never). */
  idleTimeout?: pulumi.Input<number>;
  /** Seconds after which OVS removes the flow, 0..65535 (0 or unset: never). */
  hardTimeout?: pulumi.Input<number>;
  /** Take over a flow with the same table, priority and match that pulumi-ovs did not create. */
  adopt?: pulumi.Input<boolean>;
}

/**
 * An OpenFlow flow on an OVS bridge (`ovs-ofctl add-flow`). The flow carries a cookie derived from this
 * resource's identity, so pulumi-ovs only ever changes or deletes its own flows; a refresh reports flows
 * deleted or changed by hand.
 */
export class FlowEntry extends OvsResource {
  /** The bridge the flow is on. */
  declare readonly bridge: pulumi.Output<string>;
  /** OpenFlow table. */
  declare readonly table: pulumi.Output<number>;
  /** Flow priority. */
  declare readonly priority: pulumi.Output<number>;
  /** The match as declared (`normalizedMatch` has OVS's form). */
  declare readonly match: pulumi.Output<string>;
  /** The actions as declared (`normalizedActions` have OVS's form). */
  declare readonly actions: pulumi.Output<string>;
  /** Idle timeout in seconds when declared. */
  declare readonly idleTimeout: pulumi.Output<number | undefined>;
  /** Hard timeout in seconds when declared. */
  declare readonly hardTimeout: pulumi.Output<number | undefined>;
  /** The flow's cookie ("0x..."): the first 64 bits of sha256 of this resource's owner identity. */
  declare readonly cookie: pulumi.Output<string>;
  /** The match as `ovs-ofctl dump-flows` prints it (OVS's canonical form, without priority). */
  declare readonly normalizedMatch: pulumi.Output<string>;
  /** The actions as `ovs-ofctl dump-flows` prints them (OVS's canonical form). */
  declare readonly normalizedActions: pulumi.Output<string>;
  /** How the host is reached (secret). */
  declare readonly connection: pulumi.Output<ConnectionArgs>;

  constructor(name: string, args: FlowEntryArgs, opts?: pulumi.CustomResourceOptions) {
    super(provider, "FlowEntry", name, args, ["cookie", "normalizedMatch", "normalizedActions"], opts);
  }
}
