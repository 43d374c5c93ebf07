import { uniq } from "../../helpers/lab";
import { eventually, pings, tcpWorks } from "../../helpers/packets";
import { deployExample, destroyAndCheckClean, expectNoChanges } from "./run";
import type { StackHandle } from "../harness";

jest.setTimeout(600_000);
const p = `x${uniq()}`;
let handle: StackHandle | undefined;
afterAll(async () => {
  await handle?.stack.destroy({ onOutput: () => undefined }).catch(() => undefined);
});

test("vlan-cross-host: same VLAN talks across hosts through the eth1 trunks, different VLANs don't", async () => {
  const r = await deployExample("vlan-cross-host", `vch-${p}`, { prefix: p, subnet: "198.18.11", vlans: "[2100,2200]" });
  handle = r.handle;
  const ip = (n: number) => `198.18.11.${n}`;
  const c = (n: number) => `docker:${p}con${n}`;
  // con1 (h1, VLAN 2100) <-> con3 (h2, VLAN 2100); con2 (h1, 2200) <-> con4 (h2, 2200)
  expect(await eventually(() => pings(0, c(1), ip(3), 1))).toBe(true);
  expect(await eventually(() => pings(0, c(2), ip(4), 1))).toBe(true);
  expect(await tcpWorks({ listenHost: 1, listenIn: c(3), from: 0, fromIn: c(1), to: ip(3) })).toBe(true);
  expect(await tcpWorks({ listenHost: 1, listenIn: c(4), from: 0, fromIn: c(2), to: ip(4) })).toBe(true);
  for (const [a, b] of [[1, 4], [2, 3], [1, 2], [3, 4]]) expect(await pings(0, c(a), ip(b), 1)).toBe(false);
  await expectNoChanges(r.handle);
  await destroyAndCheckClean(r.handle, p);
  handle = undefined;
});
