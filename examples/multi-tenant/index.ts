import * as pulumi from "@pulumi/pulumi";
import { ContainerAttachment, DockerContainer, FlowEntry, GreTunnel, OvsBridge, OvsPort, hostsFromConfig } from "pulumi-ovs";

/**
 * Seed 002 §5.5 (多租户环境下的 GRE 网络, OpenStack Neutron's GRE mode): per host an integration bridge br-int
 * (tenants' ports carry local VLAN tags: tenant A = VLAN 1, tenant B = VLAN 4) patched to a tunnel bridge br-tun
 * whose flow tables map VLANs to GRE keys (A <-> 0x2, B <-> 0x3), flood broadcasts to the tunnels, learn
 * MAC -> tunnel port from arriving traffic (table 10 learn()), and drop everything else. Both tenants use the
 * SAME subnet: only VLAN tags and tunnel keys keep them apart.
 */
async function program() {
  const config = new pulumi.Config();
  const prefix = config.get("prefix") ?? "";
  const subnet = config.get("subnet") ?? "198.18.40"; // one /24 shared by both tenants
  const image = config.get("image") ?? "pulumi-ovs/busybox:latest";
  const hosts = hostsFromConfig(config).slice(0, 2);
  const tenants = [
    { id: "a", vlan: 1, key: "0x2" },
    { id: "b", vlan: 4, key: "0x3" },
  ];
  const PATCH = 1; // br-tun port numbers the flows name (ofport_request)
  const TUN = 2;

  const containers: Record<string, { host: string; ip: string; tenant: string }> = {};
  hosts.forEach((h, i) => {
    const c = { connection: h.connection };
    const brInt = new OvsBridge(`${h.name}-br-int`, { ...c, name: `${prefix}bi`, datapathType: "netdev" });
    const brTun = new OvsBridge(`${h.name}-br-tun`, { ...c, name: `${prefix}bt`, datapathType: "netdev", failMode: "secure" });
    new OvsPort(`${h.name}-patch-tun`, { ...c, bridge: brInt.name, name: `${prefix}pt`, type: "patch", peer: `${prefix}pi` });
    new OvsPort(`${h.name}-patch-int`, { ...c, bridge: brTun.name, name: `${prefix}pi`, type: "patch", peer: `${prefix}pt`, ofportRequest: PATCH });
    new GreTunnel(`${h.name}-gre`, { ...c, bridge: brTun.name, name: `${prefix}gre`, remoteIp: hosts[1 - i].underlayIp!, key: "flow", ofportRequest: TUN });

    const flow = (id: string, table: number, priority: number, match: string, actions: string) =>
      new FlowEntry(`${h.name}-t${table}-${id}`, { ...c, bridge: brTun.name, table, priority, match, actions });
    flow("from-int", 0, 1, `in_port=${PATCH}`, "resubmit(,1)");
    flow("from-tun", 0, 1, `in_port=${TUN}`, "resubmit(,2)");
    flow("drop", 0, 0, "", "drop");
    flow("unicast", 1, 1, "dl_dst=00:00:00:00:00:00/01:00:00:00:00:00", "resubmit(,20)");
    flow("multicast", 1, 1, "dl_dst=01:00:00:00:00:00/01:00:00:00:00:00", "resubmit(,21)");
    flow("drop", 2, 0, "", "drop");
    flow("learn", 10, 1, "",
      "learn(table=20,hard_timeout=300,priority=1,NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[]," +
      `load:0->NXM_OF_VLAN_TCI[],load:NXM_NX_TUN_ID[]->NXM_NX_TUN_ID[],output:NXM_OF_IN_PORT[]),output:${PATCH}`);
    flow("flood", 20, 0, "", "resubmit(,21)");
    flow("drop", 21, 0, "", "drop");
    for (const t of tenants) {
      flow(`key-${t.id}`, 2, 1, `tun_id=${t.key}`, `mod_vlan_vid:${t.vlan},resubmit(,10)`);
      flow(`vlan-${t.id}`, 21, 1, `dl_vlan=${t.vlan}`, `strip_vlan,set_tunnel:${t.key},output:${TUN}`);
      const name = `${prefix}${t.id}${h.name}`;
      const ip = `${subnet}.${t.id === "a" ? 10 + i + 1 : 20 + i + 1}`;
      const ctr = new DockerContainer(name, { ...c, name, image, command: ["sleep", "infinity"] });
      new ContainerAttachment(`${name}-net`, { ...c, container: ctr.name, bridge: brInt.name, address: `${ip}/24`, vlan: t.vlan, mtu: 1400 });
      containers[name] = { host: h.name, ip, tenant: t.id };
    }
  });
  return { containers };
}
export = program;
