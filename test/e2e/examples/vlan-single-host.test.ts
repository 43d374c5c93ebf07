import { inventory, onHost, uniq } from "../../helpers/lab";
import { eventually, pings, tcpWorks } from "../../helpers/packets";
import { deployExample, destroyAndCheckClean, expectNoChanges } from "./run";
import type { ExampleHandle as StackHandle } from "./run";

/** Seed 000/002 §4.1 through the engine: four containers, two VLANs, one subnet, one bridge. */
jest.setTimeout(600_000);

const p = `vs${uniq()}`;
// The last lab host: the others carry most of the other suites' stacks.
const hi = inventory().hosts.length - 1;
const HOST = inventory().hosts[hi].name;
let handle: StackHandle | undefined;

afterAll(async () => {
  await handle?.stack.destroy({ onOutput: () => undefined }).catch(() => undefined);
  await handle?.stack.workspace.removeStack(handle.stack.name).catch(() => undefined);
});

interface Ctr { ip: string; vlan: number; port: string; netns: string }

/** Those of `names` (interfaces, OVS ports, namespaces) still present on host #i. */
async function stillThere(i: number, names: string[]): Promise<string[]> {
  const links = (await onHost(i, ["ip", "-o", "link", "show"])).stdout;
  const ports = (await onHost(i, ["ovs-vsctl", "--format=csv", "--no-headings", "--columns=name", "list", "Port"])).stdout;
  const ns = (await onHost(i, ["ip", "netns", "list"])).stdout;
  return names.filter((n) => new RegExp(`(^|[\\s:"])${n}([\\s:@"]|$)`, "m").test(`${links}\n${ports}\n${ns}`));
}

test("vlan-single-host: con1<->con2 and con3<->con4 talk (ICMP, TCP), nothing crosses VLANs", async () => {
  const r = await deployExample("vlan-single-host", `vsh-${p}`, { prefix: p, host: HOST, subnet: "198.18.10.0/24", vlans: "[1100,1200]" }, { creates: 22 });
  handle = r.handle;
  const ctrs = r.outputs.containers as Record<string, Ctr>;
  const name = (n: number) => `${p}con${n}`;
  const c = (n: number) => `docker:${name(n)}`;
  const ip = (n: number) => ctrs[name(n)].ip;
  expect(Object.keys(ctrs).sort()).toEqual([1, 2, 3, 4].map(name));
  expect([1, 2, 3, 4].map(ip)).toEqual(["198.18.10.1", "198.18.10.2", "198.18.10.3", "198.18.10.4"]);

  // What `ovs-vsctl show` showed in the seed: every container's port is an access port with its tag.
  for (const [n, vlan] of [[1, 1100], [2, 1100], [3, 1200], [4, 1200]]) {
    expect((await onHost(hi, ["ovs-vsctl", "get", "Port", ctrs[name(n)].port, "tag"])).stdout.trim()).toBe(String(vlan));
    expect((await onHost(hi, ["docker", "exec", name(n), "ip", "-o", "addr", "show", "eth1"])).stdout).toContain(`${ip(n)}/24`);
  }

  // Same VLAN: ICMP both ways and TCP.
  expect(await eventually(() => pings(hi, c(1), ip(2), 1))).toBe(true);
  expect(await eventually(() => pings(hi, c(4), ip(3), 1))).toBe(true);
  expect(await pings(hi, c(2), ip(1))).toBe(true);
  expect(await pings(hi, c(3), ip(4))).toBe(true);
  expect(await tcpWorks({ listenHost: hi, listenIn: c(2), from: hi, fromIn: c(1), to: ip(2) })).toBe(true);
  expect(await tcpWorks({ listenHost: hi, listenIn: c(3), from: hi, fromIn: c(4), to: ip(3) })).toBe(true);

  // Across VLANs (same subnet!): nothing, in either direction.
  for (const [a, b] of [[1, 3], [1, 4], [2, 3], [2, 4], [3, 1], [4, 2]]) expect(await pings(hi, c(a), ip(b), 1)).toBe(false);
  expect(await tcpWorks({ listenHost: hi, listenIn: c(3), from: hi, fromIn: c(1), to: ip(3) })).toBe(false);
  expect(await tcpWorks({ listenHost: hi, listenIn: c(2), from: hi, fromIn: c(4), to: ip(2) })).toBe(false);

  await expectNoChanges(r.handle);

  await destroyAndCheckClean(r.handle, p);
  handle = undefined;
  // The attachments' own objects carry hashed names, not the prefix: check them by name.
  expect(await stillThere(hi, Object.values(ctrs).flatMap((x) => [x.port, x.netns]))).toEqual([]);
});
