import * as pulumi from "@pulumi/pulumi";
import { ContainerAttachment, DockerContainer, FlowEntry, OvsBridge, VxlanTunnel, hostsFromConfig } from "pulumi-ovs";

/**
 * Seed 003 §open vswitch模拟交换机: a virtual gateway made of OpenFlow flows. vm1 (subnet A) and vm2 (subnet B)
 * each use a gateway that does not exist: flows answer ARP and ICMP echo for it, route ICMP and TCP between the
 * subnets by rewriting MACs, and drop TCP SYNs from vm2 to vm1, so vm1 can open connections to vm2 and not the
 * other way round. Here vm1 and vm2 are on two hosts whose switches are joined by VXLAN, and the switches are
 * fail_mode=secure: nothing moves without one of these flows.
 *
 *   seed (one host)                                        here (default config)
 *   docker run --net=none --name vm1 ...                   DockerContainer <prefix>vm1 on host 1 (vm2: host 2)
 *   ovs-vsctl add-br switch                                OvsBridge <prefix>switch on each host, failMode secure
 *   ovs-docker add-port switch eth0 vm1                    ContainerAttachment: eth0 198.18.21.100/24,
 *     --ipaddress=<seed A>.100/24 --gateway=<seed A>.1     gateway 198.18.21.1, fixed MAC (flows name it)
 *   ovs-ofctl show switch  (port numbers 1 and 2)          ContainerAttachment.ofport / VxlanTunnel.ofport
 *   ovs-ofctl add-flow switch "table=0,in_port=1,arp,..."  FlowEntry (one per seed flow and host)
 */

/** An IPv4 CIDR's network number and prefix length. */
function parseCidr(cidr: string): { net: number; len: number } {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
  if (!m) throw new Error(`openflow-gateway: subnet must be an IPv4 CIDR such as 198.18.21.0/24, got ${JSON.stringify(cidr)}`);
  return { net: m.slice(1, 5).reduce((a, o) => a * 256 + Number(o), 0), len: Number(m[5]) };
}

const dotted = (v: number) => [24, 16, 8, 0].map((s) => (v >>> s) & 255).join(".");
/** The n-th address of a subnet: ("198.18.21.0/24", 100) -> "198.18.21.100". */
const nth = (cidr: string, n: number) => dotted(parseCidr(cidr).net + n);
/** Flows load addresses as numbers: "198.18.21.1" -> "0xc6121501" (the seed's load:0x0a140101->NXM_OF_ARP_SPA[]). */
const ipHex = (ip: string) => "0x" + ip.split(".").map((o) => Number(o).toString(16).padStart(2, "0")).join("");
const macHex = (mac: string) => "0x" + mac.replace(/:/g, "");

async function program() {
  const config = new pulumi.Config();
  const prefix = config.get("prefix") ?? "";
  // The seed's two /24s, mapped into 198.18.0.0/15.
  const subnets = [config.get("subnetA") ?? "198.18.21.0/24", config.get("subnetB") ?? "198.18.22.0/24"];
  const vmIndex = config.getNumber("vmIndex") ?? 100; // vm address: the subnet's .100, as in the seed
  const gatewayIndex = config.getNumber("gatewayIndex") ?? 1; // gateway: the subnet's .1
  // The seed answers ARP with the switch's own MAC; any fixed, locally administered MAC does.
  const gatewayMac = config.get("gatewayMac") ?? "02:00:c6:12:00:01";
  const vmMacs = config.getObject<string[]>("vmMacs") ?? ["02:00:c6:12:15:64", "02:00:c6:12:16:64"];
  const vni = config.getNumber("vni") ?? 300;
  const image = config.get("image") ?? "pulumi-ovs/busybox:latest";
  const all = hostsFromConfig(config);
  const names = config.getObject<string[]>("hostNames") ?? all.slice(0, 2).map((h) => h.name);
  const hosts = names.map((n) => all.find((h) => h.name === n) ?? fail(`no host named ${n} in config \`hosts\``));
  if (hosts.length !== 2) fail("needs exactly two hosts (config `hostNames`)");

  const len = subnets.map((s) => parseCidr(s).len);
  const vmIp = subnets.map((s) => nth(s, vmIndex));
  const gwIp = subnets.map((s) => nth(s, gatewayIndex));

  const sides = hosts.map((h, i) => {
    const c = { connection: h.connection };
    const sw = new OvsBridge(`${h.name}-switch`, { ...c, name: `${prefix}switch`, datapathType: "netdev", failMode: "secure" });
    const name = `${prefix}vm${i + 1}`;
    const vm = new DockerContainer(name, { ...c, name, image, command: ["sleep", "infinity"] });
    const att = new ContainerAttachment(`${name}-net`, {
      ...c, container: vm.name, bridge: sw.name, ifName: "eth0", address: `${vmIp[i]}/${len[i]}`, gateway: gwIp[i], mac: vmMacs[i], mtu: 1400,
    });
    if (!hosts[1 - i].underlayIp) fail(`host ${hosts[1 - i].name} has no underlayIp in config \`hosts\``);
    const tun = new VxlanTunnel(`${h.name}-vx`, { ...c, bridge: sw.name, name: `${prefix}vx`, remoteIp: hosts[1 - i].underlayIp!, key: vni });
    return { h, c, sw, vm, att, tun };
  });

  const flows: Record<string, unknown> = {};
  sides.forEach(({ h, c, sw, att, tun }, i) => {
    const flow = (id: string, match: pulumi.Input<string>, actions: pulumi.Input<string>, priority?: number) => {
      const f = new FlowEntry(`${h.name}-${id}`, { ...c, bridge: sw.name, priority, match, actions });
      flows[`${h.name}-${id}`] = { host: h.name, bridge: sw.name, cookie: f.cookie };
    };
    const me = att.ofport;
    const other = 1 - i;
    // Seed flows 1/2 (ARP): "who has <my gateway>?" is answered with the gateway MAC, out of the port it came in.
    flow("arp-gw", pulumi.interpolate`in_port=${me},arp,arp_tpa=${gwIp[i]},arp_op=1`,
      "load:0x2->NXM_OF_ARP_OP[],move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],move:NXM_NX_ARP_SHA[]->NXM_NX_ARP_THA[]," +
      `move:NXM_OF_ARP_SPA[]->NXM_OF_ARP_TPA[],mod_dl_src:${gatewayMac},load:${macHex(gatewayMac)}->NXM_NX_ARP_SHA[],` +
      `load:${ipHex(gwIp[i])}->NXM_OF_ARP_SPA[],IN_PORT`);
    // Seed flows 1-4 (ICMP): an echo request to either gateway comes back as a reply (MACs and IPs swapped).
    gwIp.forEach((gw, g) =>
      flow(`icmp-gw${g + 1}`, pulumi.interpolate`in_port=${me},icmp,nw_dst=${gw},icmp_type=8,icmp_code=0`,
        "push:NXM_OF_ETH_SRC[],push:NXM_OF_ETH_DST[],pop:NXM_OF_ETH_SRC[],pop:NXM_OF_ETH_DST[]," +
        "push:NXM_OF_IP_SRC[],push:NXM_OF_IP_DST[],pop:NXM_OF_IP_SRC[],pop:NXM_OF_IP_DST[],load:0xff->NXM_NX_IP_TTL[],load:0->NXM_OF_ICMP_TYPE[],IN_PORT"));
    // Seed flows 5-7: routing is MAC rewriting. The frame came to the gateway MAC; it leaves from it, to the
    // other VM's MAC, out of the tunnel (the seed's output:2 when both VMs shared one switch).
    const route = pulumi.interpolate`move:NXM_OF_ETH_DST[]->NXM_OF_ETH_SRC[],mod_dl_dst:${vmMacs[other]},output:${tun.ofport}`;
    flow("route-icmp", pulumi.interpolate`in_port=${me},icmp,nw_dst=${vmIp[other]}`, route);
    flow("route-tcp", pulumi.interpolate`in_port=${me},tcp,nw_dst=${vmIp[other]}`, route, 500);
    // Across two switches: what the tunnel brings for this VM is already rewritten; deliver it.
    flow("from-tunnel", pulumi.interpolate`in_port=${tun.ofport},ip,nw_dst=${vmIp[i]}`, pulumi.interpolate`output:${me}`, 500);
    // Seed flow 8: vm2 may not open TCP connections to vm1 (a SYN without ACK is dropped before routing).
    if (i === 1) flow("drop-syn", pulumi.interpolate`in_port=${me},tcp,nw_dst=${vmIp[0]},tcp_flags=+syn-ack`, "drop", 600);
  });

  const vms = Object.fromEntries(
    sides.map(({ h, sw, vm, att, tun }, i) => [
      `vm${i + 1}`,
      { host: h.name, container: vm.name, bridge: sw.name, ip: vmIp[i], gateway: gwIp[i], mac: att.mac, ofport: att.ofport, tunnelOfport: tun.ofport,
        port: att.hostIfName, netns: att.namespace.name },
    ]),
  );
  return { vms, gatewayMac, flows, blocked: "TCP connections from vm2 to vm1" };
}

function fail(msg: string): never {
  throw new Error(`openflow-gateway: ${msg}`);
}

export = program;
