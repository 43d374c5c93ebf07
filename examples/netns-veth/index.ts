import * as pulumi from "@pulumi/pulumi";
import { NetNamespace, VethPair, hostsFromConfig } from "pulumi-ovs";

/**
 * Seed 002 §1 (Linux Network Namespace): two namespaces joined by a veth pair, and a namespace joined to the
 * host. No OVS involved.
 *   ip netns add ns1; ip link add veth-a type veth peer name veth-b; ip link set veth-a netns ns1 ...
 */
async function program() {
  const config = new pulumi.Config();
  const prefix = config.get("prefix") ?? "";
  const pairNet = config.get("pairNet") ?? "198.18.12"; // seed: 10.0.0.0/24 between ns1 and ns2
  const hostNet = config.get("hostNet") ?? "198.18.13"; // seed: 10.0.0.0/24 between the host and nstest
  const [host] = hostsFromConfig(config);
  const c = { connection: host.connection };

  const ns1 = new NetNamespace("ns1", { ...c, name: `${prefix}ns1` });
  const ns2 = new NetNamespace("ns2", { ...c, name: `${prefix}ns2` });
  new VethPair("ns1-ns2", {
    ...c, name: "veth-a", namespace: ns1.name, peerName: "veth-b", peerNamespace: ns2.name,
    addresses: [`${pairNet}.1/24`], peerAddresses: [`${pairNet}.2/24`],
  });

  const nstest = new NetNamespace("nstest", { ...c, name: `${prefix}nstest` });
  new VethPair("host-nstest", {
    ...c, name: `${prefix}veth-a`, peerName: "veth-b", peerNamespace: nstest.name,
    addresses: [`${hostNet}.1/24`], peerAddresses: [`${hostNet}.2/24`],
    // TX checksum offload off: harmless here, and what TCP over OVS's userspace datapath would need.
    txChecksumOffload: false, peerTxChecksumOffload: false,
  });
  return { ns1: ns1.name, ns2: ns2.name, nstest: nstest.name };
}
export = program;
