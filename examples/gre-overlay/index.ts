import * as pulumi from "@pulumi/pulumi";
import { ContainerAttachment, DockerContainer, GreTunnel, OvsBridge, hostsFromConfig } from "pulumi-ovs";

/**
 * Seed 002 §5.3 (GRE 实现 Docker 容器跨网络通信, 容器在同一子网中): two hosts joined by a GRE tunnel between their
 * OVS bridges; containers of both hosts in ONE subnet (each host hands out its own range of it, as the seed's
 * --fixed-cidr does), so ARP and everything else cross the tunnel as plain L2.
 *   ovs-vsctl add-port ovs0 gre0 -- set interface gre0 type=gre options:remote_ip=<host 2>
 *     -> GreTunnel { bridge, name: "gre0", remoteIp }
 */
async function program() {
  const config = new pulumi.Config();
  const prefix = config.get("prefix") ?? "";
  const net = config.get("net") ?? "198.18.32"; // the seed's docker /16; here a /22: host N uses <net+N-1>.x (see addr below)
  const key = config.getNumber("key");
  const image = config.get("image") ?? "pulumi-ovs/busybox:latest";
  const hosts = hostsFromConfig(config).slice(0, 2);
  const [a, b, c] = net.split(".").map(Number);
  // One /22 for both hosts; host N's containers get addresses in its own /24 of it (like --fixed-cidr).
  const addr = (host: number, n: number) => `${a}.${b}.${c + host}.${n}`;

  const containers: Record<string, { host: string; ip: string }> = {};
  hosts.forEach((h, i) => {
    const other = hosts[1 - i];
    const br = new OvsBridge(`${h.name}-ovs0`, { connection: h.connection, name: `${prefix}ovs0`, datapathType: "netdev" });
    new GreTunnel(`${h.name}-gre0`, { connection: h.connection, bridge: br.name, name: `${prefix}gre0`, remoteIp: other.underlayIp!, key });
    [1, 2].forEach((n) => {
      const name = `${prefix}con${i * 2 + n}`;
      const ip = addr(i, n);
      const ctr = new DockerContainer(name, { connection: h.connection, name, image, command: ["sleep", "infinity"] });
      new ContainerAttachment(`${name}-net`, { connection: h.connection, container: ctr.name, bridge: br.name, address: `${ip}/22`, mtu: 1400 });
      containers[name] = { host: h.name, ip };
    });
  });
  return { containers };
}
export = program;
