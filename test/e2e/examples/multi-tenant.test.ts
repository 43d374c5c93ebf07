import { onHost, uniq } from "../../helpers/lab";
import { eventually, pings, tcpWorks } from "../../helpers/packets";
import { deployExample, destroyAndCheckClean, expectNoChanges } from "./run";
import type { StackHandle } from "../harness";

jest.setTimeout(600_000);
const p = `x${uniq()}`;
let handle: StackHandle | undefined;
afterAll(async () => {
  await handle?.stack.destroy({ onOutput: () => undefined }).catch(() => undefined);
});

test("multi-tenant: br-int + br-tun with VLAN<->key tables and learn(): each tenant talks across hosts, tenants never meet", async () => {
  const r = await deployExample("multi-tenant", `mt-${p}`, { prefix: p, subnet: "198.18.40" });
  handle = r.handle;
  const c = (t: string, h: number) => `docker:${p}${t}h${h}`;
  const ip = (t: string, h: number) => `198.18.40.${(t === "a" ? 10 : 20) + h}`;
  expect(await eventually(() => pings(0, c("a", 1), ip("a", 2), 1))).toBe(true);
  expect(await eventually(() => pings(1, c("b", 2), ip("b", 1), 1))).toBe(true);
  expect(await tcpWorks({ listenHost: 1, listenIn: c("a", 2), from: 0, fromIn: c("a", 1), to: ip("a", 2) })).toBe(true);
  expect(await tcpWorks({ listenHost: 0, listenIn: c("b", 1), from: 1, fromIn: c("b", 2), to: ip("b", 1) })).toBe(true);
  // Same subnet, other tenant: nothing, on the same host or across.
  expect(await pings(0, c("a", 1), ip("b", 1), 1)).toBe(false);
  expect(await pings(0, c("a", 1), ip("b", 2), 1)).toBe(false);
  expect(await tcpWorks({ listenHost: 1, listenIn: c("b", 2), from: 0, fromIn: c("a", 1), to: ip("b", 2) })).toBe(false);
  // The learn() action wrote MAC -> tunnel entries into table 20 (not ours: cookie 0, left alone).
  expect((await onHost(0, ["ovs-ofctl", "dump-flows", `${p}bt`, "table=20"])).stdout).toMatch(/hard_timeout=300/);
  await expectNoChanges(r.handle);
  await destroyAndCheckClean(r.handle, p);
  handle = undefined;
});
