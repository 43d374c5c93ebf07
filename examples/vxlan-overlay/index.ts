import * as pulumi from "@pulumi/pulumi";
import { ContainerAttachment, DockerContainer, OvsBridge, TunnelMesh, hostsFromConfig } from "pulumi-ovs";

/**
 * Seeds 000 (Vxlan实现跨主机通信) and 004 (VxLAN 配置, "如果是3个节点呢"): a VXLAN overlay between two hosts, grown
 * to a full mesh of three by changing `hostCount`. Two overlays share the hosts and the underlay, told apart
 * only by their VXLAN keys: containers of overlay "a" never reach overlay "b".
 *   ovs-vsctl add-port ovs0 vxlan1 -- set interface vxlan1 type=vxlan options:remote_ip=... options:key=flow
 *     -> TunnelMesh { hosts, bridge, key } (one tunnel to every other host; split horizon set on each)
 */
async function program() {
  const config = new pulumi.Config();
  const prefix = config.get("prefix") ?? "";
  const subnet = config.get("subnet") ?? "198.18.15"; // /24: overlay a uses .1N, overlay b .2N (N = host number)
  const hostCount = config.getNumber("hostCount") ?? 2;
  const image = config.get("image") ?? "pulumi-ovs/busybox:latest";
  const hosts = hostsFromConfig(config).slice(0, hostCount);
  const overlays = [
    { id: "a", key: config.getNumber("keyA") ?? 100 },
    { id: "b", key: config.getNumber("keyB") ?? 200 },
  ];

  const containers: Record<string, { host: string; ip: string; overlay: string }> = {};
  for (const [o, overlay] of overlays.entries()) {
    const bridges = hosts.map((h) => new OvsBridge(`${overlay.id}-${h.name}`, { connection: h.connection, name: `${prefix}ov${overlay.id}`, datapathType: "netdev" }));
    new TunnelMesh(`mesh-${overlay.id}`, {
      hosts: hosts.map((h, i) => ({ name: h.name, connection: h.connection, underlayIp: h.underlayIp!, bridge: bridges[i].name })),
      bridge: bridges[0].name,
      key: overlay.key,
      portPrefix: `${prefix}v${overlay.id}`,
    });
    hosts.forEach((h, i) => {
      const name = `${prefix}${overlay.id}${h.name}`;
      const ip = `${subnet}.${(o + 1) * 10 + i + 1}`;
      const ctr = new DockerContainer(name, { connection: h.connection, name, image, command: ["sleep", "infinity"] });
      new ContainerAttachment(`${name}-net`, { connection: h.connection, container: ctr.name, bridge: bridges[i].name, address: `${ip}/24`, mtu: 1400 });
      containers[name] = { host: h.name, ip, overlay: overlay.id };
    });
  }
  return { containers };
}
export = program;
