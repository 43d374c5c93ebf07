import * as pulumi from "@pulumi/pulumi";
import { ContainerAttachment, DockerContainer, OvsBridge, OvsPort, hostsFromConfig } from "pulumi-ovs";

/**
 * Seeds 000 (跨主机vlan) and 002 §4.2: two hosts, each with a second NIC (eth1, unaddressed, on a switch that
 * passes tagged frames) added to the OVS bridge as a trunk. con1 (host 1) and con3 (host 2) are on VLAN 100,
 * con2 and con4 on VLAN 200: same VLAN talks across hosts, different VLANs don't.
 *   ovs-vsctl add-port ovs0 eth1      ->   OvsPort { name: "eth1", trunks: [100, 200] }
 */
async function program() {
  const config = new pulumi.Config();
  const prefix = config.get("prefix") ?? "";
  const subnet = config.get("subnet") ?? "198.18.11"; // a /24; seed: 192.168.0.0/24
  const vlans = config.getObject<number[]>("vlans") ?? [100, 200];
  const image = config.get("image") ?? "pulumi-ovs/busybox:latest";
  const hosts = hostsFromConfig(config).slice(0, 2);

  const out: Record<string, { host: string; ip: string; vlan: number }> = {};
  hosts.forEach((h, i) => {
    const c = { connection: h.connection };
    const br = new OvsBridge(`${h.name}-ovs0`, { ...c, name: `${prefix}ovs0`, datapathType: "netdev" });
    // The trunk carries exactly our VLANs (an untagged trunk port would carry all of them).
    new OvsPort(`${h.name}-trunk`, { ...c, bridge: br.name, name: h.trunkNic ?? "eth1", trunks: vlans, vlanMode: "trunk" });
    [0, 1].forEach((k) => {
      const n = i * 2 + k + 1;
      const name = `${prefix}con${n}`;
      const ctr = new DockerContainer(name, { ...c, name, image, command: ["sleep", "infinity"] });
      new ContainerAttachment(`${name}-net`, { ...c, container: ctr.name, bridge: br.name, address: `${subnet}.${n}/24`, vlan: vlans[k], mtu: 1400 });
      out[name] = { host: h.name, ip: `${subnet}.${n}`, vlan: vlans[k] };
    });
  });
  return { containers: out };
}
export = program;
