import { inventory, onHost, uniq } from "../../helpers/lab";
import { deployExample, destroyAndCheckClean, expectNoChanges } from "./run";
import type { ExampleHandle as StackHandle } from "./run";

/**
 * Seed 002 §1 through the CLI: a namespace joined to the host, two namespaces joined by a veth pair. Run on
 * the machine's Node 20 with the pinned SDK and on Node 24 with the SDK users install today.
 */
jest.setTimeout(600_000);

const hi = Math.min(1, inventory().hosts.length - 1); // h2: spread the example suites over the lab hosts
let handle: StackHandle | undefined;

afterAll(async () => {
  await handle?.stack.destroy({ onOutput: () => undefined }).catch(() => undefined);
  await handle?.stack.workspace.removeStack(handle.stack.name).catch(() => undefined);
});

/** argv inside namespace `ns` of the host, or in the host's own namespace when `ns` is undefined. */
const inNs = (ns: string | undefined, argv: string[]) => (ns ? ["ip", "netns", "exec", ns, ...argv] : argv);

async function pings(from: string | undefined, to: string, count = 2): Promise<boolean> {
  return (await onHost(hi, inNs(from, ["ping", "-c", String(count), "-W", "1", "-i", "0.2", to]), { reject: false })).exitCode === 0;
}

/** A TCP message from `from` to `to`, listened for in `listenIn` (undefined: the host itself); bounded. */
async function tcpWorks(listenIn: string | undefined, from: string | undefined, to: string, port = 5001): Promise<boolean> {
  const token = `povs-${Math.random().toString(36).slice(2, 10)}`;
  const listener = onHost(hi, inNs(listenIn, ["timeout", "6", "nc", "-l", "-p", String(port)]), { reject: false });
  await new Promise((r) => setTimeout(r, 400));
  await onHost(hi, inNs(from, ["sh", "-c", `echo ${token} | timeout 4 nc -N -w 2 ${to} ${port}`]), { reject: false });
  return (await listener).stdout.includes(token);
}

test.each(["node20", "node24"] as const)("netns-veth (%s): ns1<->ns2 and host<->nstest over veth pairs, ICMP and TCP both ways; nothing else connects", async (runtime) => {
  const p = `nv${uniq()}`;
  const r = await deployExample("netns-veth", `nv-${p}`, { prefix: p, host: inventory().hosts[hi].name, pairNet: "198.18.12.0/24", hostNet: "198.18.13.0/24" }, { creates: 6, runtime });
  handle = r.handle;
  const o = r.outputs as Record<string, { netns: string; ip: string }> & { hostEnd: { ifName: string; ip: string } };
  const [ns1, ns2, nstest] = [o.ns1.netns, o.ns2.netns, o.nstest.netns];
  expect([ns1, ns2, nstest]).toEqual([`${p}ns1`, `${p}ns2`, `${p}nstest`]);
  expect(o.hostEnd.ifName).toBe(`${p}veth-a`);

  // What the seed looks at: `ip netns list`, the veth ends with their addresses, the connected routes.
  const list = (await onHost(hi, ["ip", "netns", "list"])).stdout;
  for (const ns of [ns1, ns2, nstest]) expect(list).toMatch(new RegExp(`^${ns}( |$)`, "m"));
  expect((await onHost(hi, ["ip", "-n", ns1, "-o", "addr", "show", "veth-a"])).stdout).toContain("198.18.12.1/24");
  expect((await onHost(hi, ["ip", "-n", ns2, "-o", "addr", "show", "veth-b"])).stdout).toContain("198.18.12.2/24");
  expect((await onHost(hi, ["ip", "-n", nstest, "-o", "addr", "show", "veth-b"])).stdout).toContain("198.18.13.2/24");
  expect((await onHost(hi, ["ip", "-o", "addr", "show", o.hostEnd.ifName])).stdout).toContain("198.18.13.1/24");
  expect((await onHost(hi, ["ip", "-n", ns1, "route"])).stdout).toMatch(/198\.18\.12\.0\/24 dev veth-a/);
  expect((await onHost(hi, ["ip", "route"])).stdout).toContain(`198.18.13.0/24 dev ${o.hostEnd.ifName}`);
  expect((await onHost(hi, ["ip", "-n", ns1, "link", "show", "lo"])).stdout).toMatch(/state UNKNOWN|UP/);

  // 1.3: two namespaces as two machines on one cable.
  expect(await pings(ns1, "198.18.12.2")).toBe(true);
  expect(await pings(ns2, "198.18.12.1")).toBe(true);
  expect(await tcpWorks(ns2, ns1, "198.18.12.2")).toBe(true);
  expect(await tcpWorks(ns1, ns2, "198.18.12.1")).toBe(true);
  // 1.2: the host and its namespace.
  expect(await pings(undefined, "198.18.13.2")).toBe(true);
  expect(await pings(nstest, "198.18.13.1")).toBe(true);
  expect(await tcpWorks(nstest, undefined, "198.18.13.2")).toBe(true);
  expect(await tcpWorks(undefined, nstest, "198.18.13.1")).toBe(true);
  // No cable, no route: ns1 and the host do not reach each other, nstest does not reach ns2.
  expect(await pings(ns1, "198.18.13.2", 1)).toBe(false);
  expect(await pings(undefined, "198.18.12.1", 1)).toBe(false);
  expect(await pings(nstest, "198.18.12.2", 1)).toBe(false);

  await expectNoChanges(r.handle);
  await destroyAndCheckClean(r.handle, p);
  handle = undefined;
});
