import * as pulumi from "@pulumi/pulumi";
import { ContainerAttachment, DockerContainer, FlowEntry, OvsBridge, VxlanTunnel, hostsFromConfig } from "pulumi-ovs";

/**
 * Seed 003 (open vswitch模拟交换机): a virtual gateway made of OpenFlow flows. vm1 (host 1, subnet A) and vm2
 * (host 2, subnet B) each talk to a gateway that does not exist: flows answer ARP and ICMP echo for it, route
 * ICMP and TCP between the subnets by rewriting MACs (across a VXLAN tunnel between the hosts' switches), and
 * drop TCP SYNs from vm2 to vm1 — vm1 can open connections to vm2, not the other way round.
 * The switches are fail_mode=secure: nothing moves without a flow.
 */
const ipHex = (ip: string) => "0x" + ip.split(".").map((o) => Number(o).toString(16).padStart(2, "0")).join("");
const macHex = (mac: string) => "0x" + mac.replace(/:/g, "");

async function program() {
  const config = new pulumi.Config();
  const prefix = config.get("prefix") ?? "";
  const nets = [config.get("subnetA") ?? "198.18.21", config.get("subnetB") ?? "198.18.22"]; // seed: 10.20.1.0/24, 10.20.2.0/24
  const gwMac = config.get("gatewayMac") ?? "02:00:c6:12:00:01"; // the seed uses the switch's own MAC
  const vni = config.getNumber("vni") ?? 300;
  const image = config.get("image") ?? "pulumi-ovs/busybox:latest";
  const hosts = hostsFromConfig(config).slice(0, 2);
  const vmIp = (i: number) => `${nets[i]}.100`;
  const gwIp = (i: number) => `${nets[i]}.1`;
  const vmMac = (i: number) => `02:00:c6:12:${(21 + i).toString(16)}:64`;

  const sides = hosts.map((h, i) => {
    const c = { connection: h.connection };
    const sw = new OvsBridge(`${h.name}-switch`, { ...c, name: `${prefix}switch`, datapathType: "netdev", failMode: "secure" });
    const name = `${prefix}vm${i + 1}`;
    const vm = new DockerContainer(name, { ...c, name, image, command: ["sleep", "infinity"] });
    const att = new ContainerAttachment(`${name}-net`, { ...c, container: vm.name, bridge: sw.name, ifName: "eth0", address: `${vmIp(i)}/24`, gateway: gwIp(i), mac: vmMac(i), mtu: 1400 });
    const tun = new VxlanTunnel(`${h.name}-vx`, { ...c, bridge: sw.name, name: `${prefix}vx`, remoteIp: hosts[1 - i].underlayIp!, key: vni });
    return { h, c, sw, att, tun };
  });

  sides.forEach(({ h, c, sw, att, tun }, i) => {
    const flow = (id: string, priority: number, match: pulumi.Input<string>, actions: pulumi.Input<string>) =>
      new FlowEntry(`${h.name}-${id}`, { ...c, bridge: sw.name, priority, match, actions });
    const vm = att.ofport;
    // ARP: answer "who has <my gateway>" with the gateway MAC (seed flow 1).
    flow("arp-gw", 100, pulumi.interpolate`in_port=${vm},arp,arp_tpa=${gwIp(i)},arp_op=1`,
      `load:0x2->NXM_OF_ARP_OP[],move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],move:NXM_NX_ARP_SHA[]->NXM_NX_ARP_THA[],` +
      `move:NXM_OF_ARP_SPA[]->NXM_OF_ARP_TPA[],mod_dl_src:${gwMac},load:${macHex(gwMac)}->NXM_NX_ARP_SHA[],load:${ipHex(gwIp(i))}->NXM_OF_ARP_SPA[],IN_PORT`);
    // ICMP echo to either gateway: swap MACs and IPs, turn the request into a reply (seed flows 1-4).
    [0, 1].forEach((g) =>
      flow(`icmp-gw${g + 1}`, 100, pulumi.interpolate`in_port=${vm},icmp,nw_dst=${gwIp(g)},icmp_type=8,icmp_code=0`,
        "push:NXM_OF_ETH_SRC[],push:NXM_OF_ETH_DST[],pop:NXM_OF_ETH_SRC[],pop:NXM_OF_ETH_DST[]," +
        "push:NXM_OF_IP_SRC[],push:NXM_OF_IP_DST[],pop:NXM_OF_IP_SRC[],pop:NXM_OF_IP_DST[],load:0xff->NXM_NX_IP_TTL[],load:0->NXM_OF_ICMP_TYPE[],IN_PORT"));
    // Route to the other subnet: source MAC becomes the gateway's, destination the other VM's (seed flows 5-7).
    for (const proto of ["icmp", "tcp"]) {
      flow(`to-other-${proto}`, 500, pulumi.interpolate`in_port=${vm},${proto},nw_dst=${vmIp(1 - i)}`,
        pulumi.interpolate`mod_dl_src:${gwMac},mod_dl_dst:${vmMac(1 - i)},output:${tun.ofport}`);
    }
    // What arrives through the tunnel for this VM is already rewritten: deliver it.
    flow("from-tunnel", 500, pulumi.interpolate`in_port=${tun.ofport},ip,nw_dst=${vmIp(i)}`, pulumi.interpolate`output:${vm}`);
    // Seed flow 8: vm2 may not open TCP connections to vm1 (SYN without ACK dropped).
    if (i === 1) flow("drop-syn", 600, pulumi.interpolate`in_port=${vm},tcp,nw_dst=${vmIp(0)},tcp_flags=+syn-ack`, "drop");
  });
  return { vm1: { host: hosts[0].name, ip: vmIp(0) }, vm2: { host: hosts[1].name, ip: vmIp(1) } };
}
export = program;
