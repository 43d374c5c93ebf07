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

test("gre-overlay: containers of two hosts in one subnet talk over GRE (ICMP and TCP)", async () => {
  const r = await deployExample("gre-overlay", `gre-${p}`, { prefix: p, net: "198.18.32", key: 7 });
  handle = r.handle;
  const c = (n: number) => `docker:${p}con${n}`;
  // con1, con2 on h1 (198.18.32.1/.2); con3, con4 on h2 (198.18.33.1/.2)
  expect(await eventually(() => pings(0, c(1), "198.18.33.1", 1))).toBe(true);
  expect(await pings(1, c(4), "198.18.32.2")).toBe(true);
  expect(await tcpWorks({ listenHost: 1, listenIn: c(3), from: 0, fromIn: c(1), to: "198.18.33.1" })).toBe(true);
  expect(await tcpWorks({ listenHost: 0, listenIn: c(2), from: 1, fromIn: c(4), to: "198.18.32.2" })).toBe(true);
  await expectNoChanges(r.handle);
  await destroyAndCheckClean(r.handle, p);
  handle = undefined;
});
