import * as pulumi from "@pulumi/pulumi";
import { ContainerAttachment, DockerContainer, OvsBridge, OvsPort, VxlanTunnel, hostsFromConfig } from "pulumi-ovs";

/**
 * Seed 004 (shared/seeds/004_850bd7cda0083c47.txt): two hosts, each with a management bridge (ovs1, holding
 * the physical NIC and the host's address) and a data bridge (ovs2, with the containers' gateway address);
 * two containers per host with fixed addresses on one /20; VXLAN between the data bridges over the
 * management network. Subnets are config (defaults inside 198.18.0.0/15).
 *
 *   seed                      here (default config)
 *   em1 + ovs1 10.10.17.3     eth1 + ovs1, mgmt 198.19.1.11/24
 *   ovs2 172.16.0.3/16        ovs2 + gateway port 198.18.160.3/20
 *   test1 172.16.0.5          <prefix>a1 198.18.160.5, <prefix>a2 .6   (host A)
 *   test2 172.16.0.6          <prefix>b1 198.18.160.8, <prefix>b2 .9   (host B)
 *   vx1 remote_ip=10.10.17.4  vx1 remote_ip = the other host's mgmt address
 */
async function program() {
  const config = new pulumi.Config();
  const prefix = config.get("prefix") ?? "";
  const image = config.get("image") ?? "pulumi-ovs/busybox:latest";
  const mgmtNet = config.get("mgmtNet") ?? "198.19.1"; // /24, host N gets .1N
  const dataNet = config.get("dataNet") ?? "198.18.160"; // /20
  const vni = config.getNumber("vni") ?? 100;
  const hosts = hostsFromConfig(config).slice(0, 2);
  if (hosts.length < 2) throw new Error("demo-004 needs two hosts in config `hosts`");

  const mgmtIp = (i: number) => `${mgmtNet}.${11 + i}`;
  const gatewayIp = (i: number) => `${dataNet}.${3 + i}`;
  const containerIps = [[5, 6], [8, 9]];
  const out: Record<string, pulumi.Output<unknown> | unknown> = {};

  hosts.forEach((h, i) => {
    const c = { connection: h.connection };
    const ovs1 = new OvsBridge(`${h.name}-ovs1`, { ...c, name: `${prefix}ovs1`, datapathType: "netdev" });
    new OvsPort(`${h.name}-em1`, { ...c, bridge: ovs1.name, name: h.trunkNic ?? "eth1" });
    // The host's management address lives on an internal port of ovs1 (the seed puts it on ovs1 itself).
    // Fixed MACs on the addressed ports: if a port is ever re-created, neighbours' ARP caches stay valid.
    new OvsPort(`${h.name}-mgmt`, { ...c, bridge: ovs1.name, name: `${prefix}mgmt`, type: "internal", addresses: [`${mgmtIp(i)}/24`], mac: `02:00:c6:13:01:${(11 + i).toString(16).padStart(2, "0")}` });

    const ovs2 = new OvsBridge(`${h.name}-ovs2`, { ...c, name: `${prefix}ovs2`, datapathType: "netdev" });
    new OvsPort(`${h.name}-gw`, { ...c, bridge: ovs2.name, name: `${prefix}gw`, type: "internal", addresses: [`${gatewayIp(i)}/20`], mtuRequest: 1400, mac: `02:00:c6:12:a0:0${3 + i}` });
    new VxlanTunnel(`${h.name}-vx1`, { ...c, bridge: ovs2.name, name: `${prefix}vx1`, remoteIp: mgmtIp(1 - i), key: vni });

    containerIps[i].forEach((last, k) => {
      const name = `${prefix}${"ab"[i]}${k + 1}`;
      const ctr = new DockerContainer(name, { ...c, name, image, command: ["sleep", "infinity"], restartPolicy: "no", labels: { "pulumi-ovs.demo": "004" } });
      const ip = `${dataNet}.${last}`;
      const mac = `02:00:c6:12:a0:${last.toString(16).padStart(2, "0")}`;
      new ContainerAttachment(`${name}-net`, { ...c, container: ctr.name, bridge: ovs2.name, address: `${ip}/20`, gateway: gatewayIp(i), mac, mtu: 1400 });
      out[name] = { host: h.name, ip };
    });
  });
  return { containers: out, gateways: hosts.map((h, i) => ({ host: h.name, ip: gatewayIp(i) })) };
}
export = program;
