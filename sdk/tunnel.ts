import * as pulumi from "@pulumi/pulumi";
import * as vxlan from "../provider/resources/vxlan";
import * as gre from "../provider/resources/gre";
import type { ConnectionArgs } from "./connection";
import { OvsResource } from "./internal";

/** Inputs shared by {@link VxlanTunnel} and {@link GreTunnel}. */
export interface TunnelArgs {
  /** How to reach the host (secret). */
  connection: pulumi.Input<ConnectionArgs>;
  /** Bridge the tunnel port is on. With the userspace datapath, the local underlay address must be on a netdev bridge. */
  bridge: pulumi.Input<string>;
  /** Port name, at most 15 characters. */
  name: pulumi.Input<string>;
  /** The other end's underlay address, or "flow" to set it per packet from OpenFlow. */
  remoteIp: pulumi.Input<string>;
  /** Local underlay address (optional; "flow" allowed). */
  localIp?: pulumi.Input<string>;
  /** Tunnel key (VXLAN VNI / GRE key) for both directions, or "flow". */
  key?: pulumi.Input<number | "flow">;
  /** Key expected on received packets (instead of key). */
  inKey?: pulumi.Input<number | "flow">;
  /** Key set on sent packets (instead of key). */
  outKey?: pulumi.Input<number | "flow">;
  /** Outer IP TOS, or "inherit". */
  tos?: pulumi.Input<number | "inherit">;
  /** Outer IP TTL, or "inherit". */
  ttl?: pulumi.Input<number | "inherit">;
  /** Ask OVS for this OpenFlow port number, so flows can name it. */
  ofportRequest?: pulumi.Input<number>;
  /** Split horizon: no normal-mode forwarding between protected ports (TunnelMesh sets it: a full mesh would loop). */
  protected?: pulumi.Input<boolean>;
  /** Port external_ids. */
  externalIds?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Further interface options (e.g. { csum: "true" }). */
  options?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Take over a port that already exists and was not created by pulumi-ovs. */
  adopt?: pulumi.Input<boolean>;
}

/** Inputs of a {@link VxlanTunnel}: the common tunnel inputs plus the UDP port. */
export interface VxlanTunnelArgs extends TunnelArgs {
  /** UDP destination port. Default 4789. */
  dstPort?: pulumi.Input<number>;
}
/** Inputs of a {@link GreTunnel}: the common tunnel inputs. */
export type GreTunnelArgs = TunnelArgs;

const TUNNEL_OUTPUTS = ["uuid", "ofport", "macInUse", "interfaceError"];

/** A VXLAN tunnel port (`ovs-vsctl add-port BR NAME -- set interface NAME type=vxlan options:remote_ip=...`). */
export class VxlanTunnel extends OvsResource {
  /** Port (and interface) name. */
  declare readonly name: pulumi.Output<string>;
  /** The other end's underlay address, or "flow". */
  declare readonly remoteIp: pulumi.Output<string>;
  /** OpenFlow port number OVS assigned. */
  declare readonly ofport: pulumi.Output<number | undefined>;
  /** OVSDB Port row UUID. */
  declare readonly uuid: pulumi.Output<string>;

  constructor(name: string, args: VxlanTunnelArgs, opts?: pulumi.CustomResourceOptions) {
    super(vxlan, "VxlanTunnel", name, args, TUNNEL_OUTPUTS, opts);
  }
}

/** A GRE tunnel port (`... type=gre options:remote_ip=...`). */
export class GreTunnel extends OvsResource {
  /** Port (and interface) name. */
  declare readonly name: pulumi.Output<string>;
  /** The other end's underlay address, or "flow". */
  declare readonly remoteIp: pulumi.Output<string>;
  /** OpenFlow port number OVS assigned. */
  declare readonly ofport: pulumi.Output<number | undefined>;
  /** OVSDB Port row UUID. */
  declare readonly uuid: pulumi.Output<string>;

  constructor(name: string, args: GreTunnelArgs, opts?: pulumi.CustomResourceOptions) {
    super(gre, "GreTunnel", name, args, TUNNEL_OUTPUTS, opts);
  }
}
