import { inventory, onHost, uniq } from "../../helpers/lab";
import { eventually, pings, tcpWorks } from "../../helpers/packets";
import { deployExample, destroyAndCheckClean, expectNoChanges, masqueraded, replyTtl, waitForTwoFreeTrunks } from "./run";
import type { ExampleHandle as StackHandle } from "./run";

/**
 * Seed 002 §3 through the engine: containers of two hosts on one LAN, bridged over eth1 (one subnet, a range per
 * host) and directly routed (a subnet per host, routes via the other host, MASQUERADE only out of the container
 * networks). eth1 is shared lab equipment: the test waits until two hosts have it free.
 */
jest.setTimeout(900_000);

const p = `pc${uniq()}`;
const hosts = inventory().hosts;
let handle: StackHandle | undefined;
afterAll(async () => {
  await handle?.stack.destroy({ onOutput: () => undefined }).catch(() => undefined);
});

interface Ctr { host: string; ip: string; way: string; subnet?: string }

test("pipework-cross-host: bridged containers share one L2 over eth1; routed containers reach each other unmasqueraded", async () => {
  const [a, b] = await waitForTwoFreeTrunks();
  const r = await deployExample("pipework-cross-host", `pch-${p}`, {
    prefix: p, hostNames: JSON.stringify([hosts[a].name, hosts[b].name]), bridgedNet: "198.18.64.0/18", routedNet: "198.18.128.0/17",
  }, { creates: 35 });
  handle = r.handle;
  const ctrs = r.outputs.containers as Record<string, Ctr>;
  const c = (way: "b" | "r", n: number) => `docker:${p}con-${way}${n}`;
  const ip = (way: "b" | "r", n: number) => ctrs[`${p}con-${way}${n}`].ip;
  expect([ip("b", 1), ip("b", 2), ip("r", 1), ip("r", 2)]).toEqual(["198.18.65.1", "198.18.66.1", "198.18.129.1", "198.18.130.1"]);

  // 1. Bridging: one subnet, plain L2 through eth1 (TTL untouched), ICMP and TCP both ways.
  expect(await eventually(() => pings(a, c("b", 1), ip("b", 2), 1))).toBe(true);
  expect(await pings(b, c("b", 2), ip("b", 1))).toBe(true);
  expect(await replyTtl(a, c("b", 1), ip("b", 2))).toBe(64);
  expect(await eventually(() => tcpWorks({ listenHost: a, listenIn: c("b", 1), from: b, fromIn: c("b", 2), to: ip("b", 1), port: 9000 }), 20)).toBe(true);
  expect(await eventually(() => tcpWorks({ listenHost: b, listenIn: c("b", 2), from: a, fromIn: c("b", 1), to: ip("b", 2), port: 9001 }), 20)).toBe(true);
  expect(await onHost(a, ["ovs-vsctl", "port-to-br", hosts[a].trunkNic]).then((x) => x.stdout.trim())).toBe(`${p}br-b`);

  // 2. Direct routing: routed by both hosts (TTL 62), ICMP and TCP both ways, never masqueraded...
  expect(await eventually(() => pings(a, c("r", 1), ip("r", 2), 1))).toBe(true);
  expect(await replyTtl(a, c("r", 1), ip("r", 2))).toBe(62);
  expect(await pings(b, c("r", 2), ip("r", 1))).toBe(true);
  expect(await eventually(() => tcpWorks({ listenHost: a, listenIn: c("r", 1), from: b, fromIn: c("r", 2), to: ip("r", 1), port: 9000 }), 20)).toBe(true);
  expect(await eventually(() => tcpWorks({ listenHost: b, listenIn: c("r", 2), from: a, fromIn: c("r", 1), to: ip("r", 2), port: 9001 }), 20)).toBe(true);
  expect(await masqueraded(a, "198.18.129.0/24")).toBe(0);
  expect(await masqueraded(b, "198.18.130.0/24")).toBe(0);
  // ...while what leaves the container networks (here: to the other host's own LAN address) is.
  expect(await pings(a, c("r", 1), hosts[b].address)).toBe(true);
  expect(await masqueraded(a, "198.18.129.0/24")).toBeGreaterThan(0);
  const rule = (await onHost(a, ["iptables", "-w", "5", "-t", "nat", "-S", "POSTROUTING"])).stdout.split("\n").find((l) => l.includes("198.18.129.0/24"));
  expect(rule).toMatch(/^-A POSTROUTING -s 198\.18\.129\.0\/24 ! -d 198\.18\.128\.0\/17 -m comment --comment "pulumi-ovs-owner=[0-9a-f]{16}" -j MASQUERADE$/);

  await expectNoChanges(r.handle);
  await destroyAndCheckClean(r.handle, p);
  handle = undefined;
  for (const i of [a, b]) {
    expect((await onHost(i, ["ip", "route", "show", "proto", "198"])).stdout).not.toMatch(/198\.18\.1(29|30)\.0/);
    expect((await onHost(i, ["iptables", "-w", "5", "-t", "nat", "-S", "POSTROUTING"])).stdout).not.toContain("198.18.128.0/17");
    expect((await onHost(i, ["ovs-vsctl", "port-to-br", hosts[i].trunkNic], { reject: false })).exitCode).not.toBe(0);
  }
});
