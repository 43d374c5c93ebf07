import { inventory, onHost, uniq } from "../../helpers/lab";
import { eventually, pings, tcpWorks } from "../../helpers/packets";
import { deployExample, destroyAndCheckClean, expectNoChanges, flowsWithCookies, present, rebootAndRestore } from "./run";
import type { ExampleHandle as StackHandle } from "./run";

/**
 * Seed 003 §open vswitch模拟交换机 through the engine: two hosts' containers in two subnets behind a gateway made
 * of flows (ARP/ICMP responders, MAC-rewriting routes over VXLAN, one-way SYN drop) on fail_mode=secure switches.
 */
jest.setTimeout(600_000);

const s = uniq();
const p = `of${s}`;
const hosts = inventory().hosts;
const idx = (name: string) => hosts.findIndex((h) => h.name === name);
// A VNI of this run only: another stack's VXLAN between the same hosts must never carry our frames.
const vni = 0x100000 + parseInt(s, 36);
let handle: StackHandle | undefined;

afterAll(async () => {
  await handle?.stack.destroy({ onOutput: () => undefined }).catch(() => undefined);
});

interface Vm { host: string; container: string; bridge: string; ip: string; gateway: string; mac: string; ofport: number; tunnelOfport: number; port: string; netns: string }
interface FlowOut { host: string; bridge: string; cookie: string }

/** The flows of one bridge on host #i: cookie and n_packets per line. */
async function dumpFlows(i: number, bridge: string): Promise<{ cookie: string; packets: number; text: string }[]> {
  const out = (await onHost(i, ["ovs-ofctl", "dump-flows", bridge])).stdout;
  return out.split("\n").filter((l) => /cookie=/.test(l)).map((text) => ({
    cookie: /cookie=(0x[0-9a-f]+)/.exec(text)![1],
    packets: Number(/n_packets=(\d+)/.exec(text)?.[1] ?? 0),
    text: text.trim(),
  }));
}


test("openflow-gateway: flows answer ARP/ICMP for virtual gateways, route ICMP+TCP across hosts by MAC rewriting, drop SYNs one way", async () => {
  const r = await deployExample("openflow-gateway", `ofgw-${p}`, { prefix: p, subnetA: "198.18.21.0/24", subnetB: "198.18.22.0/24", vni }, { creates: 28 });
  handle = r.handle;
  const { vm1, vm2 } = r.outputs.vms as Record<"vm1" | "vm2", Vm>;
  const flows = r.outputs.flows as Record<string, FlowOut>;
  const [h1, h2] = [idx(vm1.host), idx(vm2.host)];
  expect(h1).not.toBe(h2);
  expect([vm1.ip, vm1.gateway, vm2.ip, vm2.gateway]).toEqual(["198.18.21.100", "198.18.21.1", "198.18.22.100", "198.18.22.1"]);
  const [c1, c2] = [`docker:${vm1.container}`, `docker:${vm2.container}`];

  // fail_mode=secure and nothing on either switch but our flows (no NORMAL): whatever moves, our flows moved it.
  for (const [i, vm] of [[h1, vm1], [h2, vm2]] as const) {
    expect((await onHost(i, ["ovs-vsctl", "get-fail-mode", vm.bridge])).stdout.trim()).toBe("secure");
    const mine = Object.values(flows).filter((f) => f.host === vm.host).map((f) => f.cookie).sort();
    expect((await dumpFlows(i, vm.bridge)).map((f) => f.cookie).sort()).toEqual(mine);
  }
  expect(Object.keys(flows).filter((k) => k.endsWith("drop-syn"))).toEqual([`${vm2.host}-drop-syn`]);

  // Each VM pings its own gateway and the other subnet's: answered by flows, no such host exists.
  expect(await eventually(() => pings(h1, c1, vm1.gateway, 1))).toBe(true);
  expect(await eventually(() => pings(h2, c2, vm2.gateway, 1))).toBe(true);
  expect(await pings(h1, c1, vm2.gateway)).toBe(true);
  expect(await pings(h2, c2, vm1.gateway)).toBe(true);
  // The ARP answer carried the configured gateway MAC.
  expect((await onHost(h1, ["docker", "exec", vm1.container, "ip", "neigh", "show", vm1.gateway])).stdout).toContain(r.outputs.gatewayMac as string);
  // Routed across subnets (and hosts) by MAC rewriting.
  expect(await pings(h1, c1, vm2.ip)).toBe(true);
  expect(await pings(h2, c2, vm1.ip)).toBe(true);
  // TCP: vm1 -> vm2 opens; vm2 -> vm1 does not, and it is the drop-syn flow that stopped it.
  expect(await tcpWorks({ listenHost: h2, listenIn: c2, from: h1, fromIn: c1, to: vm2.ip })).toBe(true);
  const dropSyn = flows[`${vm2.host}-drop-syn`].cookie;
  const before = (await dumpFlows(h2, vm2.bridge)).find((f) => f.cookie === dropSyn)!.packets;
  expect(await tcpWorks({ listenHost: h1, listenIn: c1, from: h2, fromIn: c2, to: vm1.ip })).toBe(false);
  expect((await dumpFlows(h2, vm2.bridge)).find((f) => f.cookie === dropSyn)!.packets).toBeGreaterThan(before);

  await expectNoChanges(r.handle);

  // Both hosts rebooted: the restore re-creates the flows, veths and namespaces (docs/reboot.md), no `up`.
  const rebootedAt = Date.now();
  const { restoreMs } = await rebootAndRestore([h1, h2], p);
  expect(await eventually(() => pings(h1, c1, vm2.ip, 1), 20)).toBe(true);
  expect(await pings(h2, c2, vm1.gateway)).toBe(true);
  expect(await tcpWorks({ listenHost: h2, listenIn: c2, from: h1, fromIn: c1, to: vm2.ip })).toBe(true);
  expect(await tcpWorks({ listenHost: h1, listenIn: c1, from: h2, fromIn: c2, to: vm1.ip })).toBe(false);
  await expectNoChanges(r.handle, { refresh: true });
  console.log(`openflow-gateway after a reboot: restore ${restoreMs} ms; reboot, restore and the proofs again ${Date.now() - rebootedAt} ms`);

  // The veth host ends and namespace links are named from hashes, not the prefix: check them by name.
  for (const [i, vm] of [[h1, vm1], [h2, vm2]] as const) expect(await present(i, [vm.port, vm.netns])).toEqual([vm.port, vm.netns]);
  const cookies = Object.values(flows).map((f) => f.cookie);
  await destroyAndCheckClean(r.handle, p);
  handle = undefined;
  for (const [i, vm] of [[h1, vm1], [h2, vm2]] as const) {
    expect(await flowsWithCookies(i, cookies)).toEqual([]);
    expect(await present(i, [vm.port, vm.netns])).toEqual([]);
  }
});
