import * as portProvider from "../../../provider/resources/port";
import { closeAllHosts } from "../../../provider/transport/pool";
import { inventory, labConnection, onHost, uniq } from "../../helpers/lab";
import { eventually, pings, tcpWorks } from "../../helpers/packets";
import { deployExample, destroyAndCheckClean, expectNoChanges, rebootAndRestore, waitForTwoFreeTrunks } from "./run";
import type { ExampleHandle as StackHandle } from "./run";

/**
 * Seed 000 §跨主机vlan / 002 §4.2 through the engine: each host's spare NIC (eth1) is a trunk port of its
 * bridge; same-VLAN containers talk across hosts, other VLANs don't. eth1 is shared lab equipment: the test
 * waits until two hosts have it free, plugs only those two, and uses VLAN ids nobody else uses.
 */
jest.setTimeout(900_000);

const p = `vc${uniq()}`;
const hosts = inventory().hosts;
let handle: StackHandle | undefined;

afterAll(async () => {
  await handle?.stack.destroy({ onOutput: () => undefined }).catch(() => undefined);
  await handle?.stack.workspace.removeStack(handle.stack.name).catch(() => undefined);
  closeAllHosts();
});

interface Ctr { host: string; ip: string; vlan: number; port: string; netns: string }

const vsctl = async (i: number, ...args: string[]) => (await onHost(i, ["ovs-vsctl", ...args])).stdout.trim();

test("vlan-cross-host: same VLAN talks across hosts through the eth1 trunks, different VLANs don't; the trunk ports are ours", async () => {
  const [a, b] = await waitForTwoFreeTrunks();
  const r = await deployExample("vlan-cross-host", `vch-${p}`, {
    prefix: p, hostNames: JSON.stringify([hosts[a].name, hosts[b].name]), subnet: "198.18.11.0/24", vlans: "[2100,2200]",
  }, { creates: 25 });
  handle = r.handle;
  const ctrs = r.outputs.containers as Record<string, Ctr>;
  const name = (n: number) => `${p}con${n}`;
  const c = (n: number) => `docker:${name(n)}`;
  const ip = (n: number) => ctrs[name(n)].ip;
  const at = (n: number) => (n <= 2 ? a : b);
  expect([1, 2, 3, 4].map((n) => [ctrs[name(n)].host, ctrs[name(n)].vlan])).toEqual([
    [hosts[a].name, 2100], [hosts[a].name, 2200], [hosts[b].name, 2100], [hosts[b].name, 2200],
  ]);

  // eth1 is a trunk of exactly our VLANs on our bridge, marked as this stack's (the ownership marker).
  for (const i of [a, b]) {
    const nic = hosts[i].trunkNic;
    expect(await vsctl(i, "port-to-br", nic)).toBe(`${p}ovs0`);
    expect(await vsctl(i, "get", "Port", nic, "trunks")).toBe("[2100, 2200]");
    expect(await vsctl(i, "get", "Port", nic, "vlan_mode")).toBe("trunk");
    expect(await vsctl(i, "get", "Port", nic, "external_ids:pulumi-ovs-owner")).toContain(`vch-${p}/OvsPort/${hosts[i].name}-trunk`);
  }
  for (let n = 1; n <= 4; n++) expect(await vsctl(at(n), "get", "Port", ctrs[name(n)].port, "tag")).toBe(String(ctrs[name(n)].vlan));

  // Same VLAN across hosts: ICMP both ways, TCP both ways.
  expect(await eventually(() => pings(a, c(1), ip(3), 1))).toBe(true);
  expect(await eventually(() => pings(b, c(4), ip(2), 1))).toBe(true);
  expect(await pings(b, c(3), ip(1))).toBe(true);
  expect(await pings(a, c(2), ip(4))).toBe(true);
  expect(await tcpWorks({ listenHost: b, listenIn: c(3), from: a, fromIn: c(1), to: ip(3) })).toBe(true);
  expect(await tcpWorks({ listenHost: a, listenIn: c(2), from: b, fromIn: c(4), to: ip(2) })).toBe(true);
  // Different VLANs (one subnet): nothing, across hosts or on one host.
  for (const [x, y] of [[1, 4], [2, 3], [3, 2], [4, 1], [1, 2], [3, 4]]) expect(await pings(at(x), c(x), ip(y), 1)).toBe(false);
  expect(await tcpWorks({ listenHost: b, listenIn: c(4), from: a, fromIn: c(1), to: ip(4) })).toBe(false);

  // Another owner (another stack, another resource) can neither take eth1 nor delete it.
  const foreign = { connection: labConnection(a), bridge: `${p}ovs0`, name: hosts[a].trunkNic, owner: "another-project/another-stack/OvsPort/eth1" };
  await expect(portProvider.create({ ...foreign, trunks: [2100] })).rejects.toThrow(/managed by pulumi-ovs resource ".*vch-.*trunk"/);
  await portProvider.delete(`${hosts[a].address}/${p}ovs0/eth1`, foreign);
  expect(await vsctl(a, "port-to-br", hosts[a].trunkNic)).toBe(`${p}ovs0`);
  expect(await vsctl(a, "get", "Port", hosts[a].trunkNic, "trunks")).toBe("[2100, 2200]");

  await expectNoChanges(r.handle);

  // Both hosts rebooted: the containers' ports come back on their VLANs, the trunks carry them, no `up`.
  const rebootedAt = Date.now();
  const { restoreMs } = await rebootAndRestore([a, b], p);
  expect(await eventually(() => pings(a, c(1), ip(3), 1), 20)).toBe(true);
  expect(await tcpWorks({ listenHost: a, listenIn: c(2), from: b, fromIn: c(4), to: ip(2) })).toBe(true);
  expect(await pings(a, c(1), ip(4), 1)).toBe(false);
  await expectNoChanges(r.handle, { refresh: true });
  console.log(`vlan-cross-host after a reboot: restore ${restoreMs} ms; reboot, restore and the proofs again ${Date.now() - rebootedAt} ms`);

  await destroyAndCheckClean(r.handle, p);
  handle = undefined;
  for (const i of [a, b]) {
    // The NIC itself stays (it is the host's): only its port is gone.
    expect((await onHost(i, ["ovs-vsctl", "port-to-br", hosts[i].trunkNic], { reject: false })).exitCode).not.toBe(0);
    expect((await onHost(i, ["ip", "-o", "link", "show", "dev", hosts[i].trunkNic])).stdout).toContain(hosts[i].trunkNic);
    const mine = Object.values(ctrs).filter((x) => x.host === hosts[i].name).flatMap((x) => [x.port, x.netns]);
    const left = `${(await onHost(i, ["ip", "-o", "link", "show"])).stdout}\n${(await onHost(i, ["ip", "netns", "list"])).stdout}`;
    expect(mine.filter((n) => left.includes(n))).toEqual([]);
  }
});
