import * as pulumi from "@pulumi/pulumi";
import { ContainerAttachment, DockerContainer, FlowEntry, GreTunnel, OvsBridge, OvsPort, hostsFromConfig } from "pulumi-ovs";

/**
 * Seed 002 §5.5 (多租户环境下的 GRE 网络: OpenStack Neutron's GRE mode, figures 4-15/4-16). Per host an integration
 * bridge br-int in normal mode, where each tenant's ports carry its local VLAN (tenant A = VLAN 1, tenant B =
 * VLAN 4), patched to a tunnel bridge br-tun (fail_mode=secure) whose flow tables turn VLANs into GRE keys
 * (A <-> 0x2, B <-> 0x3), flood broadcasts and unknown unicast into the tunnel, learn MAC -> tunnel from what
 * arrives (table 10's learn() writes table 20) and drop everything else. Both tenants share ONE subnet: only the
 * VLAN tags and the tunnel keys keep them apart.
 *
 *   seed                                                    here (default config)
 *   ovs-vsctl add-br br-int; add-br br-tun                  OvsBridge <prefix>br-int, <prefix>br-tun (failMode secure)
 *   patch-tun <-> patch-int (type=patch, options:peer=...)  OvsPort { type: "patch", peer } on each side
 *   ovs-vsctl add-port br-tun gre-1 -- set Interface gre-1  GreTunnel { key: "flow", ofportRequest: 2 }
 *     type=gre options:remote_ip=... options:in_key=flow options:out_key=flow
 *   pipework br-int con1 <seed net>.1/24 @1                 ContainerAttachment: eth1 198.18.100.1/24, vlan 1
 *   ovs-ofctl add-flow br-tun "priority=1 in_port=1         FlowEntry { table, priority, match, actions }
 *     actions=resubmit(,1)"  (and the rest of the dump)
 */

/** Port numbers on br-tun that the tables name (the seed's: patch-int is 1, gre-1 is 2), pinned with ofport_request. */
const PATCH_INT = 1;
const GRE = 2;

interface Tenant {
  name: string;
  /** Local VLAN of the tenant's ports on br-int. */
  vlan: number;
  /** GRE key of the tenant's traffic between hosts. */
  key: number;
}

/** The n-th address of an IPv4 subnet with its prefix length: ("198.18.100.0/24", 3) -> "198.18.100.3/24". */
function nth(subnet: string, n: number): string {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(subnet);
  if (!m) fail(`subnet must be an IPv4 CIDR such as 198.18.100.0/24, got ${JSON.stringify(subnet)}`);
  const v = m.slice(1, 5).reduce((a, o) => a * 256 + Number(o), 0) + n;
  return `${[24, 16, 8, 0].map((s) => (v >>> s) & 255).join(".")}/${m[5]}`;
}

const hex = (n: number) => `0x${n.toString(16)}`;

/** br-tun's tables as in the seed's dump-flows: [id, table, priority, match, actions]. */
function tunnelTables(tenants: Tenant[]): [string, number, number, string, string][] {
  return [
    // table 0: from br-int (patch-int) -> 1, from the tunnel -> 2, else drop
    ["from-int", 0, 1, `in_port=${PATCH_INT}`, "resubmit(,1)"],
    ["from-tun", 0, 1, `in_port=${GRE}`, "resubmit(,2)"],
    ["drop", 0, 0, "", "drop"],
    // table 1: unicast -> 20 (learned), multicast/broadcast -> 21 (flood)
    ["unicast", 1, 1, "dl_dst=00:00:00:00:00:00/01:00:00:00:00:00", "resubmit(,20)"],
    ["multicast", 1, 1, "dl_dst=01:00:00:00:00:00/01:00:00:00:00:00", "resubmit(,21)"],
    // table 2: tunnel key -> the tenant's local VLAN, then learn; unknown keys dropped
    ...tenants.map((t): [string, number, number, string, string] => [`key-${t.name}`, 2, 1, `tun_id=${hex(t.key)}`, `mod_vlan_vid:${t.vlan},resubmit(,10)`]),
    ["drop", 2, 0, "", "drop"],
    ["drop", 3, 0, "", "drop"],
    // table 10: remember "this MAC, in this VLAN, is behind this tunnel port with this key" in table 20, deliver to br-int
    ["learn", 10, 1, "",
      "learn(table=20,hard_timeout=300,priority=1,NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[]," +
      `load:0->NXM_OF_VLAN_TCI[],load:NXM_NX_TUN_ID[]->NXM_NX_TUN_ID[],output:NXM_OF_IN_PORT[]),output:${PATCH_INT}`],
    // table 20: learned unicast entries land here (cookie 0, not ours); unknown -> flood
    ["flood", 20, 0, "", "resubmit(,21)"],
    // table 21: the tenant's VLAN -> its key, out of the tunnel; other VLANs dropped
    ...tenants.map((t): [string, number, number, string, string] => [`vlan-${t.name}`, 21, 1, `dl_vlan=${t.vlan}`, `strip_vlan,set_tunnel:${hex(t.key)},output:${GRE}`]),
    ["drop", 21, 0, "", "drop"],
  ];
}

async function program() {
  const config = new pulumi.Config();
  // Names are prefix + the seed's (patch-tun: 9 characters), and interface names have at most 15: prefix ≤ 6.
  const prefix = config.get("prefix") ?? "";
  const subnet = config.get("subnet") ?? "198.18.100.0/24"; // the seed's /24, mapped into 198.18.0.0/15; shared by every tenant
  const tenants = config.getObject<Tenant[]>("tenants") ?? [
    { name: "A", vlan: 1, key: 0x2 },
    { name: "B", vlan: 4, key: 0x3 },
  ];
  const image = config.get("image") ?? "pulumi-ovs/busybox:latest";
  const all = hostsFromConfig(config);
  const names = config.getObject<string[]>("hostNames") ?? all.slice(0, 2).map((h) => h.name);
  const hosts = names.map((n) => all.find((h) => h.name === n) ?? fail(`no host named ${n} in config \`hosts\``));
  if (hosts.length !== 2) fail("needs exactly two hosts (config `hostNames`)");

  const bridges: Record<string, unknown> = {};
  const containers: Record<string, unknown> = {};
  const flows: Record<string, unknown> = {};
  hosts.forEach((h, i) => {
    const c = { connection: h.connection };
    const remote = hosts[1 - i];
    if (!remote.underlayIp) fail(`host ${remote.name} has no underlayIp in config \`hosts\``);
    const brInt = new OvsBridge(`${h.name}-br-int`, { ...c, name: `${prefix}br-int`, datapathType: "netdev" });
    const brTun = new OvsBridge(`${h.name}-br-tun`, { ...c, name: `${prefix}br-tun`, datapathType: "netdev", failMode: "secure" });
    new OvsPort(`${h.name}-patch-tun`, { ...c, bridge: brInt.name, name: `${prefix}patch-tun`, type: "patch", peer: `${prefix}patch-int` });
    new OvsPort(`${h.name}-patch-int`, { ...c, bridge: brTun.name, name: `${prefix}patch-int`, type: "patch", peer: `${prefix}patch-tun`, ofportRequest: PATCH_INT });
    new GreTunnel(`${h.name}-gre-1`, { ...c, bridge: brTun.name, name: `${prefix}gre-1`, remoteIp: remote.underlayIp!, key: "flow", ofportRequest: GRE });
    bridges[h.name] = { int: brInt.name, tun: brTun.name };

    for (const [id, table, priority, match, actions] of tunnelTables(tenants)) {
      const f = new FlowEntry(`${h.name}-t${table}-${id}`, { ...c, bridge: brTun.name, table, priority, match, actions });
      flows[`${h.name}-t${table}-${id}`] = { host: h.name, bridge: brTun.name, cookie: f.cookie };
    }

    // As in figure 4-15: host 1 has vm1 (tenant A) and vm2 (tenant B), host 2 has vm3 (A) and vm4 (B).
    tenants.forEach((t, k) => {
      const n = i * tenants.length + k + 1;
      const name = `${prefix}vm${n}`;
      const address = nth(subnet, n);
      const ctr = new DockerContainer(name, { ...c, name, image, command: ["sleep", "infinity"] });
      // MTU 1400: room for the GRE header on a 1500-byte underlay.
      const net = new ContainerAttachment(`${name}-net`, { ...c, container: ctr.name, bridge: brInt.name, address, vlan: t.vlan, mtu: 1400 });
      containers[`vm${n}`] = { host: h.name, container: ctr.name, tenant: t.name, vlan: t.vlan, key: t.key, ip: address.split("/")[0], mac: net.mac, port: net.hostIfName, netns: net.namespace.name };
    });
  });
  return { hosts: names, bridges, containers, flows };
}

function fail(msg: string): never {
  throw new Error(`multi-tenant: ${msg}`);
}

export = program;
