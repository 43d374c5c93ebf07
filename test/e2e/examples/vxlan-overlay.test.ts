import { onHost, uniq } from "../../helpers/lab";
import { eventually, pings, tcpWorks } from "../../helpers/packets";
import { deployExample, destroyAndCheckClean, expectNoChanges } from "./run";
import type { ExampleHandle as StackHandle } from "./run";
import { labStackConfig } from "../config";

jest.setTimeout(600_000);
const p = `x${uniq()}`;
let handle: StackHandle | undefined;
afterAll(async () => {
  await handle?.stack.destroy({ onOutput: () => undefined }).catch(() => undefined);
});

const cfg = (hostCount: number) => ({ prefix: p, subnet: "198.18.15", hostCount, keyA: 4100, keyB: 4200 });
const c = (overlay: string, host: number) => `docker:${p}${overlay}h${host}`;
const ip = (overlay: string, host: number) => `198.18.15.${(overlay === "a" ? 10 : 20) + host}`;

/** Packets host 1 received on overlay a's tunnel ports (to h2 and h3), live from OpenFlow (OVSDB's lag 5 s). */
async function tunnelRx(): Promise<number> {
  let sum = 0;
  for (const port of [`${p}vah2`, `${p}vah3`]) {
    const m = /rx pkts=(\d+)/.exec((await onHost(0, ["ovs-ofctl", "dump-ports", `${p}ova`, port])).stdout);
    if (!m) throw new Error(`no port statistics for ${port}`);
    sum += Number(m[1]);
  }
  return sum;
}

test("vxlan-overlay: two hosts, grown to a full mesh of three; overlays with different keys stay apart", async () => {
  const r = await deployExample("vxlan-overlay", `vx-${p}`, cfg(2), { creates: 31 });
  handle = r.handle;
  expect(await eventually(() => pings(0, c("a", 1), ip("a", 2), 1))).toBe(true);
  expect(await eventually(() => tcpWorks({ listenHost: 1, listenIn: c("a", 2), from: 0, fromIn: c("a", 1), to: ip("a", 2) }), 20)).toBe(true);
  expect(await eventually(() => pings(1, c("b", 2), ip("b", 1), 1))).toBe(true);
  expect(await pings(0, c("a", 1), ip("b", 2), 1)).toBe(false); // other overlay (other key)
  expect(await pings(0, c("a", 1), ip("b", 1), 1)).toBe(false);

  // Grow to three hosts: only creations.
  await r.handle.stack.setAllConfig(labStackConfig(cfg(3)));
  const up = await r.handle.stack.up({ onOutput: () => undefined });
  expect(Object.keys(up.summary.resourceChanges ?? {}).sort()).toEqual(["create", "same"]);
  for (const [from, to] of [[1, 3], [3, 1], [2, 3], [3, 2], [1, 2]]) {
    expect(await eventually(() => pings(from - 1, c("a", from), ip("a", to), 1))).toBe(true);
  }
  expect(await eventually(() => tcpWorks({ listenHost: 2, listenIn: c("a", 3), from: 1, fromIn: c("a", 2), to: ip("a", 3) }), 20)).toBe(true);
  expect(await pings(2, c("a", 3), ip("b", 1), 1)).toBe(false);
  // No loop in the full mesh: broadcasts (ARP for an address nobody has) from host 1 never come back to it.
  const rx = await tunnelRx();
  expect(await pings(0, c("a", 1), "198.18.15.99", 2)).toBe(false);
  await new Promise((r) => setTimeout(r, 2000));
  expect((await tunnelRx()) - rx).toBeLessThan(10);
  await expectNoChanges(r.handle);
  await destroyAndCheckClean(r.handle, p);
  handle = undefined;
});
