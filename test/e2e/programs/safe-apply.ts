import * as pulumi from "@pulumi/pulumi";
import { ContainerAttachment, DockerContainer, FlowEntry, OvsBridge, OvsPort, VxlanTunnel, type HostConfig } from "pulumi-ovs";

/**
 * Safe apply and the management move on spare lab hosts (test/e2e/safe-apply.test.ts). Config:
 *   hosts (JSON HostConfig[]), privateKey (secret), suffix, rollbackAfter (optional seconds),
 *   layout "seed": seed 004 verbatim on two hosts: the management NIC mgmt0 joins ovs1 and the host's address
 *     and routes move to ovs1 itself; ovs2 holds the containers' gateway address and two containers per host,
 *     VXLAN between the ovs2s to the other host's management address (now on ovs1).
 *   layout "single": one host, mgmt0 into ovs1 with its address moved to the internal port "mgmt".
 *   change: a comma list of: probe (a good change: an addressed internal port "probe" on ovs1), probe-flow (a
 *     good change in one round trip: a flow on ovs1), wrong-address (the management address declared on "mgmt"
 *     in the wrong subnet), drop-all (a drop-everything flow on ovs1).
 */
export async function program() {
  const config = new pulumi.Config();
  const s = config.require("suffix");
  const rollbackAfter = config.getNumber("rollbackAfter");
  const change = (config.get("change") ?? "").split(",");
  const key = config.requireSecret("privateKey");
  const hosts = config.requireObject<HostConfig[]>("hosts").map((h) => ({
    ...h,
    connection: pulumi.secret(key.apply((privateKey) => ({ host: h.host, port: h.port ?? 22, user: h.user, hostKey: h.hostKey, privateKey, perDialTimeout: 5, dialErrorLimit: 2, ...(rollbackAfter ? { rollbackAfter } : {}) }))),
  }));
  const last = (h: HostConfig) => Number(h.host.split(".")[3]);
  const out: Record<string, unknown> = {};

  if (config.require("layout") === "seed") {
    hosts.slice(0, 2).forEach((h, i) => {
      const c = { connection: h.connection };
      const ovs1 = new OvsBridge(`${h.name}-ovs1`, { ...c, name: "ovs1", datapathType: "netdev" });
      // The seed's `ovs-vsctl add-port ovs1 em1; ifconfig em1 0; ifconfig ovs1 ADDR`, as one move.
      new OvsPort(`${h.name}-em1`, { ...c, bridge: ovs1.name, name: "mgmt0", moveAddressesTo: ovs1.name });
      const ovs2 = new OvsBridge(`${h.name}-ovs2`, { ...c, name: "ovs2", datapathType: "netdev" });
      new OvsPort(`${h.name}-gw`, { ...c, bridge: ovs2.name, name: "gw", type: "internal", addresses: [`198.18.160.${3 + i}/20`], mtuRequest: 1400, mac: `02:00:c6:12:a0:0${3 + i}` });
      new VxlanTunnel(`${h.name}-vx1`, { ...c, bridge: ovs2.name, name: "vx1", remoteIp: hosts[1 - i].host, key: 100 });
      [[5, 6], [8, 9]][i].forEach((ip, k) => {
        const name = `sa${"ab"[i]}${k + 1}${s}`;
        const ctr = new DockerContainer(name, { ...c, name, image: "pulumi-ovs/busybox:latest", command: ["sleep", "infinity"], restartPolicy: "no", labels: { "pulumi-ovs.lab": "safe-apply" } });
        new ContainerAttachment(`${name}-net`, { ...c, container: ctr.name, bridge: ovs2.name, address: `198.18.160.${ip}/20`, gateway: `198.18.160.${3 + i}`, mac: `02:00:c6:12:a0:${ip.toString(16).padStart(2, "0")}`, mtu: 1400 });
        out[name] = `198.18.160.${ip}`;
      });
      if (change.includes("probe") && i === 0) {
        new OvsPort(`${h.name}-probe`, { ...c, bridge: ovs1.name, name: "probe", type: "internal", addresses: [`198.18.162.${last(h)}/24`] });
      }
      if (change.includes("probe-flow") && i === 0) new FlowEntry(`${h.name}-probe-flow`, { ...c, bridge: ovs1.name, priority: 100, match: "udp,tp_dst=9", actions: "drop" });
    });
    return out;
  }

  const h = hosts[0];
  const c = { connection: h.connection };
  const ovs1 = new OvsBridge(`${h.name}-ovs1`, { ...c, name: "ovs1", datapathType: "netdev" });
  const mgmt = new OvsPort(`${h.name}-mgmt`, {
    ...c,
    bridge: ovs1.name,
    name: "mgmt",
    type: "internal",
    mac: `02:00:c6:12:00:${last(h).toString(16)}`,
    ...(change.includes("wrong-address") ? { addresses: [`198.18.99.${last(h)}/24`] } : {}),
  });
  new OvsPort(`${h.name}-em1`, { ...c, bridge: ovs1.name, name: "mgmt0", moveAddressesTo: mgmt.name });
  if (change.includes("drop-all")) new FlowEntry(`${h.name}-drop-all`, { ...c, bridge: ovs1.name, priority: 65000, match: "", actions: "drop" });
  return out;
}
