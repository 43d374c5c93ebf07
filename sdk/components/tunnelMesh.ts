import * as pulumi from "@pulumi/pulumi";
import type { ConnectionArgs } from "../connection";
import { GreTunnel, VxlanTunnel } from "../tunnel";

/** One host of a {@link TunnelMesh}. */
export interface MeshHost {
  /** Short, unique host name used in port and resource names (e.g. "h1"). */
  name: string;
  /** How to reach the host (secret). */
  connection: pulumi.Input<ConnectionArgs>;
  /** The host's underlay address (the other hosts' tunnels point at it). */
  underlayIp: pulumi.Input<string>;
  /** Bridge on this host that carries the overlay (default: the mesh's bridge). */
  bridge?: pulumi.Input<string>;
}

/** Inputs of a {@link TunnelMesh}. */
export interface TunnelMeshArgs {
  /** The hosts: each gets one tunnel port to every other. */
  hosts: MeshHost[];
  /** "vxlan" (default) or "gre". */
  type?: "vxlan" | "gre";
  /** Bridge on every host that carries the overlay. */
  bridge: pulumi.Input<string>;
  /** Tunnel key (VNI / GRE key) of this overlay: separate overlays get separate keys. */
  key?: pulumi.Input<number | "flow">;
  /** Port name prefix; ports are named PREFIX + remote host name (≤ 15 characters). Default "vx" / "gre". */
  portPrefix?: string;
  /** Ask OVS for port numbers starting here (one per remote host, in host order), so flows can name them. */
  ofportBase?: number;
}

/** A full mesh of VXLAN or GRE tunnels: on every host, one tunnel port to every other host. */
export class TunnelMesh extends pulumi.ComponentResource {
  /** tunnels[from][to] */
  readonly tunnels: Record<string, Record<string, VxlanTunnel | GreTunnel>> = {};

  constructor(name: string, args: TunnelMeshArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pulumi-ovs:index:TunnelMesh", name, {}, opts);
    const type = args.type ?? "vxlan";
    const prefix = args.portPrefix ?? (type === "vxlan" ? "vx" : "gre");
    const names = new Set(args.hosts.map((h) => h.name));
    if (names.size !== args.hosts.length) throw new Error(`TunnelMesh ${name}: host names must be unique`);
    for (const from of args.hosts) {
      this.tunnels[from.name] = {};
      args.hosts
        .filter((to) => to !== from)
        .forEach((to) => {
          const port = `${prefix}${to.name}`;
          if (port.length > 15) throw new Error(`TunnelMesh ${name}: port name ${port} is longer than 15 characters; use a shorter portPrefix or host names`);
          const ofportRequest = args.ofportBase === undefined ? undefined : args.ofportBase + args.hosts.indexOf(to);
          // protected: a full mesh is a loop for flooded frames unless tunnel-to-tunnel forwarding is off (split horizon).
          const common = { connection: from.connection, bridge: from.bridge ?? args.bridge, name: port, remoteIp: to.underlayIp, key: args.key, ofportRequest, protected: true };
          const resName = `${name}-${from.name}-${to.name}`;
          this.tunnels[from.name][to.name] =
            type === "vxlan" ? new VxlanTunnel(resName, common, { parent: this }) : new GreTunnel(resName, common, { parent: this });
        });
    }
    this.registerOutputs({});
  }
}
