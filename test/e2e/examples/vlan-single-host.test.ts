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

test("vlan-single-host: con1<->con2 and con3<->con4 talk (ICMP, TCP), nothing crosses VLANs", async () => {
  const r = await deployExample("vlan-single-host", `vsh-${p}`, { prefix: p, subnet: "198.18.10", vlans: "[1100,1200]" });
  handle = r.handle;
  const ip = (n: number) => `198.18.10.${n}`;
  const c = (n: number) => `docker:${p}con${n}`;
  expect(await eventually(() => pings(0, c(1), ip(2), 1))).toBe(true);
  expect(await pings(0, c(3), ip(4))).toBe(true);
  expect(await tcpWorks({ listenHost: 0, listenIn: c(2), from: 0, fromIn: c(1), to: ip(2) })).toBe(true);
  expect(await tcpWorks({ listenHost: 0, listenIn: c(4), from: 0, fromIn: c(3), to: ip(4) })).toBe(true);
  for (const [a, b] of [[1, 3], [1, 4], [2, 3], [2, 4]]) expect(await pings(0, c(a), ip(b), 1)).toBe(false);
  expect(await tcpWorks({ listenHost: 0, listenIn: c(3), from: 0, fromIn: c(1), to: ip(3) })).toBe(false);
  await expectNoChanges(r.handle);
  await destroyAndCheckClean(r.handle, p);
  handle = undefined;
});
