import * as pulumi from "@pulumi/pulumi";
import { NetNamespace, VethPair, hostsFromConfig } from "pulumi-ovs";

/**
 * Seed 002 §1 (Linux Network Namespace), no OVS involved:
 *   1.2  a namespace joined to the host: nstest, veth-a in the host (.1), veth-b in nstest (.2)
 *   1.3  two namespaces joined by a veth pair: veth-a in ns1 (.1), veth-b in ns2 (.2)
 *
 *   seed                                               here
 *   ip netns add nstest; ip netns exec nstest            NetNamespace nstest (lo up, marked as ours)
 *     ip link set dev lo up
 *   ip link add veth-a type veth peer name veth-b        VethPair { name, peerName, peerNamespace,
 *   ip link set veth-b netns nstest                        addresses, peerAddresses } (both ends up)
 *   ip addr add <seed net>.1/24 dev veth-a; ...  
 */

/** The n-th address of an IPv4 subnet with its prefix length: ("198.18.12.0/24", 2) -> "198.18.12.2/24". */
function nth(subnet: string, n: number): string {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(subnet);
  if (!m) throw new Error(`subnet must be an IPv4 CIDR such as 198.18.12.0/24, got ${JSON.stringify(subnet)}`);
  const v = m.slice(1, 5).reduce((a, o) => a * 256 + Number(o), 0) + n;
  return `${[24, 16, 8, 0].map((s) => (v >>> s) & 255).join(".")}/${m[5]}`;
}

async function program() {
  const config = new pulumi.Config();
  const prefix = config.get("prefix") ?? "";
  const hostNet = config.get("hostNet") ?? "198.18.13.0/24"; // seed 1.2's subnet between the host and nstest
  const pairNet = config.get("pairNet") ?? "198.18.12.0/24"; // seed 1.3's subnet between ns1 and ns2
  const hosts = hostsFromConfig(config);
  const hostName = config.get("host") ?? hosts[0]?.name;
  const host = hosts.find((h) => h.name === hostName);
  if (!host) throw new Error(`netns-veth: no host named ${hostName} in config \`hosts\``);
  const c = { connection: host.connection };

  // 1.2: the host end lives in the host's namespace, where interface names are shared: prefix it.
  const nstest = new NetNamespace("nstest", { ...c, name: `${prefix}nstest` });
  const hostPair = new VethPair("host-nstest", {
    ...c, name: `${prefix}veth-a`, addresses: [nth(hostNet, 1)],
    peerName: "veth-b", peerNamespace: nstest.name, peerAddresses: [nth(hostNet, 2)],
  });

  // 1.3: both ends inside namespaces, so the seed's names can be used as they are.
  const ns1 = new NetNamespace("ns1", { ...c, name: `${prefix}ns1` });
  const ns2 = new NetNamespace("ns2", { ...c, name: `${prefix}ns2` });
  new VethPair("ns1-ns2", {
    ...c, name: "veth-a", namespace: ns1.name, addresses: [nth(pairNet, 1)],
    peerName: "veth-b", peerNamespace: ns2.name, peerAddresses: [nth(pairNet, 2)],
  });

  const ip = (cidr: string) => cidr.split("/")[0];
  return {
    host: host.name,
    hostEnd: { ifName: hostPair.name, ip: ip(nth(hostNet, 1)) },
    nstest: { netns: nstest.name, ip: ip(nth(hostNet, 2)) },
    ns1: { netns: ns1.name, ip: ip(nth(pairNet, 1)) },
    ns2: { netns: ns2.name, ip: ip(nth(pairNet, 2)) },
  };
}
export = program;
