import * as pulumi from "@pulumi/pulumi";
import {
  ContainerAttachment, DockerContainer, FlowEntry, NetNamespace, OvsBridge, OvsPort, VethPair, VxlanTunnel, hostsFromConfig, type Host,
} from "pulumi-ovs";

/**
 * Every resource kind across two lab hosts, plus a docker container's namespace:
 *   h1: bridge, namespaces nsa/nsb on VLAN 100 (veth + port), a container on VLAN 200, an internal port,
 *       a flow that drops TCP to port 7777, a VXLAN tunnel to h2
 *   h2: bridge, namespace nsc on VLAN 100, a VXLAN tunnel to h1
 * Config: suffix (unique names), tagB (the tag of nsb's port), internalPort (the internal port's name).
 */
export async function program() {
  const config = new pulumi.Config();
  const s = config.require("suffix");
  const [h1, h2] = hostsFromConfig(config);
  const image = config.get("image") ?? "pulumi-ovs/busybox:latest";
  const net = "198.18.140";

  const site = (h: Host, brName: string) => new OvsBridge(`br-${h.name}`, { connection: h.connection, name: brName, datapathType: "netdev", failMode: "standalone" });

  /** A named namespace on VLAN `tag` through a veth (TX offload off: TCP on the userspace datapath needs it). */
  /** A fixed MAC per namespace (as pipework's MAC option): neighbours' ARP caches stay valid across re-creation. */
  const macOf = (addr: string) => `02:00:${addr.split(".").map((o) => Number(o).toString(16).padStart(2, "0")).join(":")}`;
  const attachNs = (h: Host, br: OvsBridge, key: string, addr: string, tag: pulumi.Input<number>) => {
    const ns = new NetNamespace(`ns-${key}`, { connection: h.connection, name: `ns${key}${s}` });
    const veth = new VethPair(`veth-${key}`, {
      connection: h.connection, name: `v${key}${s}`, peerName: "eth0", peerNamespace: ns.name, peerAddresses: [`${addr}/24`], peerMac: macOf(addr), mtu: 1400,
      txChecksumOffload: false, peerTxChecksumOffload: false,
    });
    const port = new OvsPort(`port-${key}`, { connection: h.connection, bridge: br.name, name: veth.name, tag });
    return { ns, veth, port };
  };

  const br1 = site(h1, `e1${s}`);
  const br2 = site(h2, `e2${s}`);
  const a = attachNs(h1, br1, "a", `${net}.1`, 100);
  const b = attachNs(h1, br1, "b", `${net}.2`, config.requireNumber("tagB"));
  const c = attachNs(h2, br2, "c", `${net}.3`, 100);

  const ctr = new DockerContainer("ctr", { connection: h1.connection, name: `ct${s}`, image, command: ["sleep", "3600"], labels: { "pulumi-ovs.lab": "e2e" } });
  const att = new ContainerAttachment("ctr-net", { connection: h1.connection, container: ctr.name, bridge: br1.name, address: `${net}.4/24`, mtu: 1400, vlan: 200 });

  const internal = new OvsPort("internal", { connection: h1.connection, bridge: br1.name, name: config.require("internalPort"), type: "internal", tag: 300 });

  const tun = (from: Host, to: Host, br: OvsBridge) =>
    new VxlanTunnel(`vx-${from.name}`, { connection: from.connection, bridge: br.name, name: `vx${s}`, remoteIp: to.underlayIp!, key: 1000 });
  const t1 = tun(h1, h2, br1);
  const t2 = tun(h2, h1, br2);

  const block = new FlowEntry("block-7777", { connection: h1.connection, bridge: br1.name, priority: 500, match: "tcp,tp_dst=7777", actions: "drop" });

  return {
    namespaces: [a.ns.name, b.ns.name, c.ns.name],
    container: ctr.name,
    containerMac: att.mac,
    internalOfport: internal.ofport,
    tunnels: [t1.ofport, t2.ofport],
    flowCookie: block.cookie,
  };
}
