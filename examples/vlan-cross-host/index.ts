import * as pulumi from "@pulumi/pulumi";
import { ContainerAttachment, DockerContainer, OvsBridge, OvsPort, hostsFromConfig } from "pulumi-ovs";

/**
 * Seeds 000 (§跨主机vlan) and 002 §4.2 (多主机 Docker 容器的 VLAN 划分, figure 4-7): two hosts, each with an
 * OVS bridge ovs0 and a second, unaddressed NIC (eth1) on a switch that passes tagged frames. eth1 joins ovs0
 * as a trunk; con1 (host 1) and con3 (host 2) are on VLAN 100, con2 and con4 on VLAN 200, all in one subnet:
 * the same VLAN talks across hosts, different VLANs don't.
 *
 *   seed (each host)                            here (default config)
 *   pipework ovs0 con1 <seed net>.1/24 @100      ContainerAttachment: eth1 198.18.11.1/24, port tag 100
 *   pipework ovs0 con2 <seed net>.2/24 @200      ContainerAttachment: eth1 198.18.11.2/24, port tag 200
 *   ovs-vsctl add-port ovs0 eth1                OvsPort eth1 { trunks: [100, 200], vlanMode: "trunk" }
 *
 * The seed bridges eth0 (the only NIC, carrying the host's address and default route) and has to move the
 * address to ovs0 in one command line so SSH survives; with a spare NIC, as in 002 §4.2, nothing moves.
 */

/** The n-th address of an IPv4 subnet with its prefix length: ("198.18.11.0/24", 3) -> "198.18.11.3/24". */
function nth(subnet: string, n: number): string {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(subnet);
  if (!m) throw new Error(`subnet must be an IPv4 CIDR such as 198.18.11.0/24, got ${JSON.stringify(subnet)}`);
  const v = m.slice(1, 5).reduce((a, o) => a * 256 + Number(o), 0) + n;
  return `${[24, 16, 8, 0].map((s) => (v >>> s) & 255).join(".")}/${m[5]}`;
}

async function program() {
  const config = new pulumi.Config();
  const prefix = config.get("prefix") ?? "";
  const subnet = config.get("subnet") ?? "198.18.11.0/24"; // the seed's /24, mapped into 198.18.0.0/15
  const vlans = config.getObject<number[]>("vlans") ?? [100, 200];
  const image = config.get("image") ?? "pulumi-ovs/busybox:latest";
  const all = hostsFromConfig(config);
  // Only the two hosts named here get their NIC bridged; the others are left alone.
  const names = config.getObject<string[]>("hostNames") ?? all.slice(0, 2).map((h) => h.name);
  const hosts = names.map((n) => all.find((h) => h.name === n) ?? fail(`no host named ${n} in config \`hosts\``));
  if (hosts.length !== 2) fail("needs exactly two hosts (config `hostNames`)");

  const containers: Record<string, unknown> = {};
  const trunks: Record<string, unknown> = {};
  hosts.forEach((h, i) => {
    const c = { connection: h.connection };
    const ovs0 = new OvsBridge(`${h.name}-ovs0`, { ...c, name: `${prefix}ovs0`, datapathType: "netdev" });
    // The trunk carries exactly our VLANs, tagged; untagged frames from the segment are dropped. The port is
    // marked as this stack's in OVSDB (external_ids), so no other stack takes or deletes it without `adopt`.
    const trunk = new OvsPort(`${h.name}-trunk`, { ...c, bridge: ovs0.name, name: h.trunkNic ?? "eth1", trunks: vlans, vlanMode: "trunk" });
    trunks[h.name] = { nic: trunk.name, bridge: ovs0.name };
    vlans.forEach((vlan, k) => {
      const n = i * vlans.length + k + 1; // host 1: con1 (VLAN 100), con2 (200); host 2: con3, con4
      const name = `${prefix}con${n}`;
      const address = nth(subnet, n);
      const ctr = new DockerContainer(name, { ...c, name, image, command: ["sleep", "infinity"] });
      const net = new ContainerAttachment(`${name}-net`, { ...c, container: ctr.name, bridge: ovs0.name, address, vlan });
      containers[name] = { host: h.name, ip: address.split("/")[0], vlan, port: net.hostIfName, netns: net.namespace.name };
    });
  });
  return { hosts: names, trunks, containers };
}

function fail(msg: string): never {
  throw new Error(`vlan-cross-host: ${msg}`);
}
export = program;
