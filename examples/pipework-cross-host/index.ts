import * as pulumi from "@pulumi/pulumi";
import { ContainerAttachment, DockerContainer, NatRule, OvsBridge, OvsPort, Route, hostsFromConfig } from "pulumi-ovs";

/**
 * Seed 002 §3 (pipework 跨主机通信): containers of two hosts on one LAN talk with their own addresses, without
 * tunnels, in the seed's two ways, side by side in one stack.
 *
 * 1. Bridging (桥接): every host's spare NIC (eth1) joins its container bridge, so the bridges of all hosts form
 *    one big switch; the containers share one subnet and each host hands out its own range of it.
 *      seed (host N)                                       here (default config)
 *      DOCKER_OPTS="--fixed-cidr=<net>.N.1/24"              con-bN: <bridgedNet> range N, e.g. 198.18.65.1/18 on h1
 *      ifconfig docker0 <net>.42.N/16                       OvsPort b0 (internal) 198.18.106.N/18 (the host's own)
 *      brctl addif docker0 eth1                             OvsPort eth1 on bridge br-b
 *
 * 2. Direct routing (直接路由): each host's containers in a subnet of their own behind the host (their gateway);
 *    each host routes the other's subnet to the other host's LAN address, and masquerades only what leaves the
 *    container networks (so containers see each other's real addresses).
 *      ifconfig docker0 <net>.N.254/24                      OvsPort r0 (internal) 198.18.129.254/24 on h1
 *      route add -net <other subnet> gw <other host>        Route { destination: other subnet, via: other host }
 *      iptables -t nat -A POSTROUTING -s <own subnet>       NatRule { source: own subnet,
 *        ! -d <net>/16 -j MASQUERADE                           destination: "!198.18.128.0/17" }
 *
 * The hosts' LAN is the lab's management network (the seed's eth0 at 10.10.103.9N): routed packets cross it.
 */

/** An IPv4 address as a number and back. */
const toNum = (ip: string) => ip.split(".").reduce((a, o) => a * 256 + Number(o), 0);
const toIp = (v: number) => [24, 16, 8, 0].map((s) => (v >>> s) & 255).join(".");

/** The network address and prefix length of a CIDR, checked. */
function cidr(s: string, what: string): { base: number; len: number } {
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(s);
  if (!m || Number(m[2]) > 24) throw new Error(`pipework-cross-host: ${what} must be an IPv4 network of /24 or larger, got ${JSON.stringify(s)}`);
  return { base: toNum(m[1]), len: Number(m[2]) };
}

async function program() {
  const config = new pulumi.Config();
  const prefix = config.get("prefix") ?? "";
  const image = config.get("image") ?? "pulumi-ovs/busybox:latest";
  // The seed's docker /16 for each way, mapped into 198.18.0.0/15; /24 number N belongs to host N.
  const bridged = cidr(config.get("bridgedNet") ?? "198.18.64.0/18", "bridgedNet");
  const routed = cidr(config.get("routedNet") ?? "198.18.128.0/17", "routedNet");
  const hostOctet = config.getNumber("hostOctet") ?? 42; // the /24 that holds the hosts' own bridged addresses
  const all = hostsFromConfig(config);
  const names = config.getObject<string[]>("hostNames") ?? all.slice(0, 2).map((h) => h.name);
  const hosts = names.map((n) => all.find((h) => h.name === n) ?? fail(`no host named ${n} in config \`hosts\``));
  if (hosts.length !== 2) fail("needs exactly two hosts (config `hostNames`)");

  const subnet24 = (net: { base: number }, n: number) => toIp(net.base + n * 256);
  const containers: Record<string, unknown> = {};
  hosts.forEach((h, i) => {
    const n = i + 1;
    const other = hosts[1 - i];
    const c = { connection: h.connection };

    // 1. Bridging: one L2 segment over eth1.
    const brB = new OvsBridge(`${h.name}-br-b`, { ...c, name: `${prefix}br-b`, datapathType: "netdev" });
    new OvsPort(`${h.name}-eth1`, { ...c, bridge: brB.name, name: h.trunkNic ?? "eth1" });
    const hostB = `${toIp(bridged.base + hostOctet * 256 + n)}`;
    const b0 = new OvsPort(`${h.name}-b0`, { ...c, bridge: brB.name, name: `${prefix}b0`, type: "internal", addresses: [`${hostB}/${bridged.len}`] });
    const nameB = `${prefix}con-b${n}`;
    const ipB = toIp(bridged.base + n * 256 + 1);
    const ctrB = new DockerContainer(nameB, { ...c, name: nameB, image, command: ["sleep", "infinity"] });
    new ContainerAttachment(`${nameB}-net`, { ...c, container: ctrB.name, bridge: brB.name, address: `${ipB}/${bridged.len}`, gateway: hostB }, { dependsOn: [b0] });
    containers[nameB] = { host: h.name, ip: ipB, way: "bridged" };

    // 2. Direct routing: a subnet per host, routes between hosts, MASQUERADE only out of the container networks.
    const own = `${subnet24(routed, n)}/24`;
    const gw = toIp(routed.base + n * 256 + 254);
    const brR = new OvsBridge(`${h.name}-br-r`, { ...c, name: `${prefix}br-r`, datapathType: "netdev" });
    const r0 = new OvsPort(`${h.name}-r0`, { ...c, bridge: brR.name, name: `${prefix}r0`, type: "internal", addresses: [`${gw}/24`] });
    new Route(`${h.name}-to-${other.name}`, { ...c, destination: `${subnet24(routed, 2 - i)}/24`, via: other.host });
    new NatRule(`${h.name}-masq`, { ...c, source: own, destination: `!${toIp(routed.base)}/${routed.len}`, jump: "MASQUERADE" });
    const nameR = `${prefix}con-r${n}`;
    const ipR = toIp(routed.base + n * 256 + 1);
    const ctrR = new DockerContainer(nameR, { ...c, name: nameR, image, command: ["sleep", "infinity"] });
    new ContainerAttachment(`${nameR}-net`, { ...c, container: ctrR.name, bridge: brR.name, address: `${ipR}/24`, gateway: gw }, { dependsOn: [r0] });
    containers[nameR] = { host: h.name, ip: ipR, gateway: gw, subnet: own, way: "routed" };
  });
  return { hosts: names, containers };
}

function fail(msg: string): never {
  throw new Error(`pipework-cross-host: ${msg}`);
}
export = program;
