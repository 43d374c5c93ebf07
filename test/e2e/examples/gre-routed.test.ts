import { onHost, uniq } from "../../helpers/lab";
import { eventually, pings, tcpWorks } from "../../helpers/packets";
import { deployExample, destroyAndCheckClean, expectNoChanges, masqueraded, rebootAndRestore, replyTtl } from "./run";
import type { ExampleHandle as StackHandle } from "./run";

jest.setTimeout(600_000);
const p = `x${uniq()}`;
const subnets = ["198.18.51.0/24", "198.18.52.0/24"];
let handle: StackHandle | undefined;
afterAll(async () => {
  await handle?.stack.destroy({ onOutput: () => undefined }).catch(() => undefined);
});

const con = (n: number) => `docker:${p}con${n}`;
const outside = `${p}outside`;

/** Our traces on host #i that names cannot show: routes with proto 198 and nat rules for our subnets. */
async function routesAndRules(i: number): Promise<string[]> {
  const routes = (await onHost(i, ["ip", "route", "show", "proto", "198"])).stdout.split("\n");
  const rules = (await onHost(i, ["iptables", "-w", "5", "-t", "nat", "-S", "POSTROUTING"])).stdout.split("\n");
  return [...routes, ...rules].filter((l) => subnets.some((s) => l.includes(s)));
}

test("gre-routed: containers in per-host subnets reach each other through routed GRE; only outbound traffic is masqueraded", async () => {
  const r = await deployExample("gre-routed", `grr-${p}`, { prefix: p, containerSubnets: JSON.stringify(subnets), transitSubnet: "198.18.50.0/24", outsideSubnet: "198.18.58.0/24", localVlan: 10, greKey: 11 }, { creates: 27 });
  handle = r.handle;
  expect(r.outputs.containers).toEqual({
    [`${p}con1`]: { host: "h1", ip: "198.18.51.1", gateway: "198.18.51.254" },
    [`${p}con2`]: { host: "h2", ip: "198.18.52.1", gateway: "198.18.52.254" },
  });
  expect(await routesAndRules(0)).toEqual([
    `198.18.52.0/24 via 198.18.50.2 dev ${p}rou0 `, // (proto 198: the filter)
    expect.stringMatching(new RegExp(`^-A POSTROUTING -s 198\\.18\\.51\\.0/24 -o ${p}up0 -m comment --comment "pulumi-ovs-owner=[0-9a-f]{16}" -j MASQUERADE$`)),
  ]);

  // Across hosts, routed twice (h1 then h2: TTL 62), ICMP and TCP both ways.
  expect(await eventually(() => pings(0, con(1), "198.18.52.1", 1))).toBe(true);
  expect(await replyTtl(0, con(1), "198.18.52.1")).toBe(62);
  expect(await pings(1, con(2), "198.18.51.1")).toBe(true);
  expect(await eventually(() => tcpWorks({ listenHost: 1, listenIn: con(2), from: 0, fromIn: con(1), to: "198.18.52.1" }), 20)).toBe(true);
  expect(await eventually(() => tcpWorks({ listenHost: 0, listenIn: con(1), from: 1, fromIn: con(2), to: "198.18.51.1", port: 5002 }), 20)).toBe(true);
  // ...and not masqueraded: the containers see each other's own addresses.
  expect(await masqueraded(0, subnets[0])).toBe(0);
  expect(await masqueraded(1, subnets[1])).toBe(0);

  // The outside world knows no route to the containers: only masqueraded traffic gets answers.
  expect(await pings(0, con(1), "198.18.58.2")).toBe(true);
  expect(await eventually(() => tcpWorks({ listenHost: 1, listenIn: outside, from: 1, fromIn: con(2), to: "198.18.58.2", port: 5003 }), 20)).toBe(true);
  expect(await masqueraded(0, subnets[0])).toBeGreaterThan(0);
  expect(await masqueraded(1, subnets[1])).toBeGreaterThan(0);
  expect(await pings(0, outside, "198.18.51.1", 1)).toBe(false);

  await expectNoChanges(r.handle);

  // Both hosts rebooted: the restore re-creates addresses, routes and the MASQUERADE rules, no `up`.
  const rebootedAt = Date.now();
  const { restoreMs } = await rebootAndRestore([0, 1], p);
  expect(await eventually(() => pings(0, con(1), "198.18.52.1", 1), 20)).toBe(true);
  expect(await eventually(() => tcpWorks({ listenHost: 1, listenIn: con(2), from: 0, fromIn: con(1), to: "198.18.52.1" }), 20)).toBe(true);
  expect(await pings(0, con(1), "198.18.58.2")).toBe(true); // masqueraded out again
  expect((await routesAndRules(0)).length).toBe(2);
  await expectNoChanges(r.handle, { refresh: true });
  console.log(`gre-routed after a reboot: restore ${restoreMs} ms; reboot, restore and the proofs again ${Date.now() - rebootedAt} ms`);
  await destroyAndCheckClean(r.handle, p);
  handle = undefined;
  expect([...(await routesAndRules(0)), ...(await routesAndRules(1))]).toEqual([]);
});
