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

test("openflow-gateway: flows answer ARP/ICMP for virtual gateways, route ICMP+TCP between subnets, drop SYNs one way", async () => {
  const r = await deployExample("openflow-gateway", `ofgw-${p}`, { prefix: p, subnetA: "198.18.21", subnetB: "198.18.22", vni: 3100 });
  handle = r.handle;
  const vm1 = `docker:${p}vm1`, vm2 = `docker:${p}vm2`;
  expect(await eventually(() => pings(0, vm1, "198.18.21.1", 1))).toBe(true); // own gateway, answered by flows
  expect(await pings(1, vm2, "198.18.22.1")).toBe(true);
  expect(await pings(0, vm1, "198.18.22.1")).toBe(true); // the other subnet's gateway
  expect(await pings(0, vm1, "198.18.22.100")).toBe(true); // routed by MAC rewriting, across the tunnel
  expect(await pings(1, vm2, "198.18.21.100")).toBe(true);
  expect(await tcpWorks({ listenHost: 1, listenIn: vm2, from: 0, fromIn: vm1, to: "198.18.22.100" })).toBe(true); // vm1 -> vm2 open
  expect(await tcpWorks({ listenHost: 0, listenIn: vm1, from: 1, fromIn: vm2, to: "198.18.21.100" })).toBe(false); // vm2 -> vm1: SYN dropped
  await expectNoChanges(r.handle);
  await destroyAndCheckClean(r.handle, p);
  handle = undefined;
  expect((await onHost(0, ["ovs-vsctl", "list-br"])).stdout).not.toContain(p);
});
