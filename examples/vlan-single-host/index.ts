import * as pulumi from "@pulumi/pulumi";
import { ContainerAttachment, DockerContainer, OvsBridge, hostsFromConfig } from "pulumi-ovs";

/**
 * Seeds 000 (§单节点上使用ovs vlan划分网络) and 002 §4.1 (单主机 Docker 容器的 VLAN 划分): one host, four
 * containers on one OVS bridge, con1/con2 on VLAN 100 and con3/con4 on VLAN 200, all four in ONE subnet, so
 * that only the VLAN tags separate them.
 *
 *   seed                                      here (default config)
 *   docker run -itd --name con1 ...           DockerContainer <prefix>con1 (--net=none)
 *   pipework ovs0 con1 <seed net>.1/24 @100    ContainerAttachment: eth1 198.18.10.1/24, port tag 100
 *   pipework ovs0 con3 <seed net>.3/24 @200    ContainerAttachment: eth1 198.18.10.3/24, port tag 200
 */

/** The n-th address of an IPv4 subnet with its prefix length: ("198.18.10.0/24", 3) -> "198.18.10.3/24". */
function nth(subnet: string, n: number): string {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(subnet);
  if (!m) throw new Error(`subnet must be an IPv4 CIDR such as 198.18.10.0/24, got ${JSON.stringify(subnet)}`);
  const v = m.slice(1, 5).reduce((a, o) => a * 256 + Number(o), 0) + n;
  return `${[24, 16, 8, 0].map((s) => (v >>> s) & 255).join(".")}/${m[5]}`;
}

async function program() {
  const config = new pulumi.Config();
  const prefix = config.get("prefix") ?? "";
  const subnet = config.get("subnet") ?? "198.18.10.0/24"; // the seed's /24, mapped into 198.18.0.0/15
  const [vlanA, vlanB] = config.getObject<number[]>("vlans") ?? [100, 200];
  const image = config.get("image") ?? "pulumi-ovs/busybox:latest";
  const hosts = hostsFromConfig(config);
  const hostName = config.get("host") ?? hosts[0]?.name;
  const host = hosts.find((h) => h.name === hostName);
  if (!host) throw new Error(`vlan-single-host: no host named ${hostName} in config \`hosts\``);
  const c = { connection: host.connection };

  const ovs0 = new OvsBridge("ovs0", { ...c, name: `${prefix}ovs0`, datapathType: "netdev" });
  const containers: Record<string, unknown> = {};
  [vlanA, vlanA, vlanB, vlanB].forEach((vlan, i) => {
    const name = `${prefix}con${i + 1}`;
    const address = nth(subnet, i + 1);
    const ctr = new DockerContainer(name, { ...c, name, image, command: ["sleep", "infinity"] });
    // pipework's defaults: the interface inside is eth1; the VLAN is the tag of the host end's OVS port.
    const net = new ContainerAttachment(`${name}-net`, { ...c, container: ctr.name, bridge: ovs0.name, address, vlan });
    containers[name] = { ip: address.split("/")[0], vlan, port: net.hostIfName, netns: net.namespace.name };
  });
  return { host: host.name, bridge: ovs0.name, containers };
}
export = program;
