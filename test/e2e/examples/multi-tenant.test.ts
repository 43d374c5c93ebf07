import { inventory, onHost, uniq } from "../../helpers/lab";
import { eventually, pings, tcpWorks } from "../../helpers/packets";
import { deployExample, destroyAndCheckClean, expectNoChanges, flowsWithCookies, present } from "./run";
import type { ExampleHandle as StackHandle } from "./run";

/**
 * Seed 002 §5.5 through the engine: per host br-int (tenant VLANs 1 and 4) patched to br-tun (GRE key=flow, the
 * Neutron tables with learn()). Tenant A's containers talk across hosts, so do B's; A and B share one subnet and
 * never meet.
 */
jest.setTimeout(600_000);

const p = `mt${uniq()}`; // ≤ 6 characters: port names are prefix + "patch-tun"
const hosts = inventory().hosts;
const idx = (name: string) => hosts.findIndex((h) => h.name === name);
let handle: StackHandle | undefined;

afterAll(async () => {
  await handle?.stack.destroy({ onOutput: () => undefined }).catch(() => undefined);
});

interface Vm { host: string; container: string; tenant: string; vlan: number; key: number; ip: string; mac: string; port: string; netns: string }
interface FlowOut { host: string; bridge: string; cookie: string }


test("multi-tenant: br-int + br-tun with VLAN<->key tables and learn(): each tenant talks across hosts, tenants never meet", async () => {
  const r = await deployExample("multi-tenant", `mt-${p}`, { prefix: p, subnet: "198.18.100.0/24" }, { creates: 59 });
  handle = r.handle;
  const vms = r.outputs.containers as Record<string, Vm>;
  const flows = r.outputs.flows as Record<string, FlowOut>;
  const bridges = r.outputs.bridges as Record<string, { int: string; tun: string }>;
  // Figure 4-15: vm1/vm3 tenant A (VLAN 1, key 0x2), vm2/vm4 tenant B (VLAN 4, key 0x3), vm1/vm2 on host 1.
  expect(Object.entries(vms).map(([k, v]) => [k, v.tenant, v.vlan, v.key, v.ip]).sort()).toEqual([
    ["vm1", "A", 1, 2, "198.18.100.1"], ["vm2", "B", 4, 3, "198.18.100.2"], ["vm3", "A", 1, 2, "198.18.100.3"], ["vm4", "B", 4, 3, "198.18.100.4"],
  ]);
  const at = (n: number) => idx(vms[`vm${n}`].host);
  const c = (n: number) => `docker:${vms[`vm${n}`].container}`;
  const ip = (n: number) => vms[`vm${n}`].ip;
  expect(at(1)).toBe(at(2));
  expect(at(3)).toBe(at(4));
  expect(at(1)).not.toBe(at(3));

  // The wiring of `ovs-vsctl show` in the seed: tagged ports on br-int, patch pair, gre-1 with key=flow, secure br-tun.
  for (const n of [1, 2, 3, 4]) expect((await onHost(at(n), ["ovs-vsctl", "get", "Port", vms[`vm${n}`].port, "tag"])).stdout.trim()).toBe(String(vms[`vm${n}`].vlan));
  for (const i of [at(1), at(3)]) {
    const br = bridges[hosts[i].name];
    expect((await onHost(i, ["ovs-vsctl", "get-fail-mode", br.tun])).stdout.trim()).toBe("secure");
    expect((await onHost(i, ["ovs-vsctl", "get", "Interface", `${p}patch-int`, "options:peer", "ofport"])).stdout.replace(/"/g, "").trim().split("\n")).toEqual([`${p}patch-tun`, "1"]);
    expect((await onHost(i, ["ovs-vsctl", "get", "Interface", `${p}gre-1`, "type", "options:key", "ofport"])).stdout.replace(/"/g, "").trim().split("\n")).toEqual(["gre", "flow", "2"]);
  }

  // Tenant A across hosts, tenant B across hosts: ICMP and TCP, both directions.
  expect(await eventually(() => pings(at(1), c(1), ip(3), 1))).toBe(true);
  expect(await eventually(() => pings(at(4), c(4), ip(2), 1))).toBe(true);
  expect(await pings(at(3), c(3), ip(1))).toBe(true);
  expect(await pings(at(2), c(2), ip(4))).toBe(true);
  expect(await tcpWorks({ listenHost: at(3), listenIn: c(3), from: at(1), fromIn: c(1), to: ip(3) })).toBe(true);
  expect(await tcpWorks({ listenHost: at(2), listenIn: c(2), from: at(4), fromIn: c(4), to: ip(2) })).toBe(true);
  // Same subnet, other tenant: nothing, on the same host or across.
  for (const [x, y] of [[1, 2], [1, 4], [3, 2], [3, 4], [2, 1], [4, 3], [2, 3]]) expect(await pings(at(x), c(x), ip(y), 1)).toBe(false);
  expect(await tcpWorks({ listenHost: at(4), listenIn: c(4), from: at(1), fromIn: c(1), to: ip(4) })).toBe(false);

  // table 10's learn() wrote "vm3's MAC in VLAN 1 is behind the tunnel with key 0x2" into host 1's table 20
  // (cookie 0: not ours, left alone).
  const learned = (await onHost(at(1), ["ovs-ofctl", "dump-flows", bridges[vms.vm1.host].tun, "table=20"])).stdout;
  const entry = learned.split("\n").find((l) => l.includes(`dl_dst=${vms.vm3.mac}`));
  expect(entry).toMatch(/hard_timeout=300/);
  expect(entry).toMatch(/vlan_tci=0x0001\/0x0fff|dl_vlan=1\b/); // VLAN id 1 (learned from NXM_OF_VLAN_TCI[0..11])
  expect(entry).toMatch(/(load:0x2->NXM_NX_TUN_ID\[\]|set_field:0x2->tun_id)/);

  await expectNoChanges(r.handle);

  // The veth host ends and namespace links are named from hashes, not the prefix: check them by name.
  const mine = (i: number) => Object.values(vms).filter((v) => idx(v.host) === i).flatMap((v) => [v.port, v.netns]);
  for (const i of [at(1), at(3)]) expect(await present(i, mine(i))).toEqual(mine(i));
  const cookies = Object.values(flows).map((f) => f.cookie);
  await destroyAndCheckClean(r.handle, p);
  handle = undefined;
  for (const i of [at(1), at(3)]) {
    expect(await flowsWithCookies(i, cookies)).toEqual([]);
    expect(await present(i, mine(i))).toEqual([]);
  }
});
