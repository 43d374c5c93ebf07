import * as pulumi from "@pulumi/pulumi";
import { ContainerAttachment, DockerContainer, GreTunnel, NatRule, NetNamespace, OvsBridge, OvsPort, Route, VethPair, hostsFromConfig } from "pulumi-ovs";

/**
 * Seed 002 §5.4 (GRE 实现 Docker 容器跨网络通信, 容器在不同子网中): each host's containers in their own subnet
 * behind their host's gateway; the hosts route between the subnets over a GRE tunnel between their OVS bridges,
 * and masquerade what leaves for the outside world.
 *
 *   seed (host 1; its addresses in README.md)              here (default config, host N = 1, 2)
 *   ifconfig docker0 <subnet 1>.254/24                       OvsPort gw0 (internal, VLAN `localVlan`) 198.18.5N.254/24
 *   ovs-vsctl add-br ovs0; brctl addif docker0 ovs0          OvsBridge ovs0 (netdev) holds gw0, rou0, gre0, containers
 *   ovs-vsctl add-port ovs0 rou0 -- set interface rou0       OvsPort rou0 (internal, untagged) 198.18.50.N/24
 *     type=internal; ifconfig rou0 <transit>.1/24              (the seed gives both hosts .1: here .1, .2)
 *   route add -net <both subnets>/16 dev rou0                Route { other host's subnet, via its rou0, dev rou0 }
 *   ovs-vsctl add-port ovs0 gre0 -- set interface gre0       GreTunnel gre0 { remoteIp: other host's underlay }
 *     type=gre options:remote_ip=<host 2>
 *   iptables -t nat -A POSTROUTING -s <both subnets>/16      NatRule { source: own subnet, outInterface: uplink }
 *     -o eth0 -j MASQUERADE
 *   docker run --name con1 centos                            DockerContainer + ContainerAttachment (gateway .254)
 *
 * Why two VLANs on one bridge: the seed's docker0 and rou0 share ovs0's one L2 segment, so the host answers ARP
 * for its addresses from both interfaces (ARP flux) and, forwarding a packet out of the interface it came in
 * on, sends ICMP redirects. Here the containers and gw0 are in VLAN `localVlan` (it never leaves the host: the
 * GRE port is untagged), rou0 and gre0 in the untagged transit segment: every packet between the hosts is
 * routed, in on gw0 and out on rou0 (TTL 64 arrives as 62).
 */

/** An IPv4 /24 subnet's n-th address: ("198.18.51.0/24", 254) -> "198.18.51.254". */
function nth(subnet: string, n: number): string {
  const m = /^(\d+\.\d+\.\d+)\.0\/24$/.exec(subnet);
  if (!m) throw new Error(`gre-routed: subnets must be /24 networks like 198.18.51.0/24, got ${JSON.stringify(subnet)}`);
  return `${m[1]}.${n}`;
}

async function program() {
  const config = new pulumi.Config();
  const prefix = config.get("prefix") ?? "";
  // The seed's two container /24s (one per host).
  const subnets = config.getObject<string[]>("containerSubnets") ?? ["198.18.51.0/24", "198.18.52.0/24"];
  // The seed's rou0 subnet.
  const transit = config.get("transitSubnet") ?? "198.18.50.0/24";
  const localVlan = config.getNumber("localVlan") ?? 10;
  // The hosts' way out (the seed's eth0). Unset: each host gets a stand-in "outside" namespace behind a veth.
  const uplink = config.get("uplink");
  const outside = config.get("outsideSubnet") ?? "198.18.58.0/24";
  const greKey = config.getNumber("greKey");
  const image = config.get("image") ?? "pulumi-ovs/busybox:latest";
  const hosts = hostsFromConfig(config).slice(0, 2);
  if (hosts.length !== 2 || subnets.length < 2) throw new Error("gre-routed: needs two hosts (config `hosts`) and two containerSubnets");
  for (const h of hosts) if (!h.underlayIp) throw new Error(`gre-routed: host ${h.name} has no underlayIp in config \`hosts\``);

  const mtu = 1400; // GRE over a 1500 underlay
  const sides = hosts.map((h, i) => {
    const other = 1 - i;
    const c = { connection: h.connection };
    const br = new OvsBridge(`${h.name}-ovs0`, { ...c, name: `${prefix}ovs0`, datapathType: "netdev" });
    const gw = new OvsPort(`${h.name}-gw0`, { ...c, bridge: br.name, name: `${prefix}gw0`, type: "internal", tag: localVlan, addresses: [`${nth(subnets[i], 254)}/24`], mtuRequest: mtu });
    const rou = new OvsPort(`${h.name}-rou0`, { ...c, bridge: br.name, name: `${prefix}rou0`, type: "internal", addresses: [`${nth(transit, i + 1)}/24`], mtuRequest: mtu });
    new GreTunnel(`${h.name}-gre0`, { ...c, bridge: br.name, name: `${prefix}gre0`, remoteIp: hosts[other].underlayIp!, key: greKey });
    new Route(`${h.name}-to-${hosts[other].name}`, { ...c, destination: subnets[other], via: nth(transit, other + 1), dev: rou.name });

    let out: pulumi.Input<string>;
    if (uplink) {
      out = uplink;
    } else {
      // The outside world: it knows nothing of the container subnets, so only masqueraded traffic gets answers.
      const world = new NetNamespace(`${h.name}-outside`, { ...c, name: `${prefix}outside` });
      const up = new VethPair(`${h.name}-up0`, {
        ...c, name: `${prefix}up0`, addresses: [`${nth(outside, 1)}/24`], txChecksumOffload: false,
        peerName: "eth0", peerNamespace: world.name, peerAddresses: [`${nth(outside, 2)}/24`], peerTxChecksumOffload: false,
      });
      out = up.name;
    }
    new NatRule(`${h.name}-masq`, { ...c, source: subnets[i], outInterface: out, jump: "MASQUERADE" });

    const name = `${prefix}con${i + 1}`;
    const ctr = new DockerContainer(name, { ...c, name, image, command: ["sleep", "infinity"] });
    // Depends on gw0 so that the gateway answers ARP by the time the container is up.
    new ContainerAttachment(`${name}-net`, { ...c, container: ctr.name, bridge: br.name, address: `${nth(subnets[i], 1)}/24`, gateway: nth(subnets[i], 254), vlan: localVlan, mtu }, { dependsOn: [gw] });
    return { host: h.name, container: name, ip: nth(subnets[i], 1), gateway: nth(subnets[i], 254), transitIp: nth(transit, i + 1) };
  });
  return {
    containers: Object.fromEntries(sides.map((s) => [s.container, { host: s.host, ip: s.ip, gateway: s.gateway }])),
    transit: Object.fromEntries(sides.map((s) => [s.host, s.transitIp])),
    outside: uplink ? undefined : { netns: `${prefix}outside`, ip: nth(outside, 2), hostSide: nth(outside, 1) },
  };
}
export = program;
