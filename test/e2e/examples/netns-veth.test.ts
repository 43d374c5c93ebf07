import { uniq } from "../../helpers/lab";
import { pings, tcpWorks } from "../../helpers/packets";
import { deployExample, destroyAndCheckClean, expectNoChanges } from "./run";
import type { StackHandle } from "../harness";

jest.setTimeout(600_000);
const p = `x${uniq()}`;
let handle: StackHandle | undefined;
afterAll(async () => {
  await handle?.stack.destroy({ onOutput: () => undefined }).catch(() => undefined);
});

test("netns-veth: two namespaces joined by a veth, and a namespace joined to the host (ICMP and TCP)", async () => {
  const r = await deployExample("netns-veth", `nv-${p}`, { prefix: p, pairNet: "198.18.12", hostNet: "198.18.13" });
  handle = r.handle;
  expect(await pings(0, `${p}ns1`, "198.18.12.2")).toBe(true);
  expect(await pings(0, `${p}ns2`, "198.18.12.1")).toBe(true);
  expect(await tcpWorks({ listenHost: 0, listenIn: `${p}ns2`, from: 0, fromIn: `${p}ns1`, to: "198.18.12.2" })).toBe(true);
  expect(await tcpWorks({ listenHost: 0, listenIn: `${p}ns1`, from: 0, fromIn: `${p}ns2`, to: "198.18.12.1" })).toBe(true);
  expect(await pings(0, `${p}nstest`, "198.18.13.1")).toBe(true); // namespace -> host
  expect(await tcpWorks({ listenHost: 0, listenIn: `${p}nstest`, from: 0, fromIn: `${p}ns1`, to: "198.18.13.2" })).toBe(false); // no route ns1 -> nstest
  await expectNoChanges(r.handle);
  await destroyAndCheckClean(r.handle, p);
  handle = undefined;
});
