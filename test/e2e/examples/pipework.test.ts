import { onHost, uniq } from "../../helpers/lab";
import { eventually, pings, tcpWorks } from "../../helpers/packets";
import { deployExample, destroyAndCheckClean, expectNoChanges } from "./run";
import type { ExampleHandle as StackHandle } from "./run";

/**
 * pipework / ovs-docker parity through the engine: what each attachment configured inside its container,
 * VLAN reachability and isolation, a container made outside the stack attached by name, and the re-plug
 * after `docker restart` (refresh + up).
 */
jest.setTimeout(600_000);

const p = `pw${uniq()}`;
const external = `ext${uniq()}`; // not under the prefix: it is not the stack's, and must survive the destroy
const hi = 0;
let handle: StackHandle | undefined;

interface Att { container: string; ip: string; address: string; ifName: string; vlan: number; mac: string; port: string; netns: string }

beforeAll(async () => {
  // A container this stack did not create, as `docker run` (or @pulumi/docker) would have made it.
  await onHost(hi, ["docker", "run", "-d", "--network", "none", "--label", "pulumi-ovs.lab=test", "--name", external, "pulumi-ovs/busybox:latest", "sleep", "infinity"]);
});
afterAll(async () => {
  await handle?.stack.destroy({ onOutput: () => undefined }).catch(() => undefined);
  await handle?.stack.workspace.removeStack(handle.stack.name).catch(() => undefined);
  await onHost(hi, ["docker", "rm", "-f", external], { reject: false });
});

const dexec = async (name: string, ...argv: string[]) => (await onHost(hi, ["docker", "exec", name, ...argv], { reject: false })).stdout;

/** What `ip addr/link/route` inside the container say about the attachment's interface. */
async function insideView(a: Att): Promise<{ addr: string; link: string; route: string; links: string[] }> {
  return {
    addr: await dexec(a.container, "ip", "-o", "addr", "show", "dev", a.ifName),
    link: await dexec(a.container, "ip", "-o", "link", "show", "dev", a.ifName),
    route: await dexec(a.container, "ip", "route"),
    links: (await dexec(a.container, "ip", "-o", "link")).split("\n").filter(Boolean).map((l) => l.split(":")[1].trim().split("@")[0]),
  };
}

test("pipework/ovs-docker parity: address@gateway, MAC, MTU, VLAN, eth0 or eth1, containers by name; re-plug after restart", async () => {
  const r = await deployExample("pipework", `pw-${p}`, { prefix: p, subnet: "198.18.14.0/24", vlanA: 1310, vlanB: 1320, external }, { creates: 22 });
  handle = r.handle;
  const att = r.outputs.attachments as Record<"web1" | "vm1" | "vm2" | "external", Att>;
  const gw = r.outputs.gateway as string;
  expect(gw).toBe("198.18.14.1");
  expect(att.external.container).toBe(external);
  const at = (k: keyof typeof att) => `docker:${att[k].container}`;

  // Inside every container: the declared address, MAC, MTU and default route, on the declared interface.
  for (const a of Object.values(att)) {
    const v = await insideView(a);
    expect(v.addr).toContain(`inet ${a.address}`);
    expect(v.link).toContain(`link/ether ${a.mac}`);
    expect(v.link).toMatch(/mtu 1400 /);
    expect(v.link).toMatch(/<[^>]*\bUP\b[^>]*\bLOWER_UP\b[^>]*>/); // busybox ip prints flags, not "state UP"
    expect(v.route).toMatch(new RegExp(`^default via ${gw.replace(/\./g, "\\.")} dev ${a.ifName}`, "m"));
    // ovs-docker's --net=none containers have exactly lo and eth0; pipework adds eth1.
    expect(v.links).toEqual(["lo", a.ifName]);
    expect((await onHost(hi, ["ovs-vsctl", "get", "Port", a.port, "tag"])).stdout.trim()).toBe(String(a.vlan));
  }
  expect(att.web1.mac).toBe("fa:de:b0:99:52:1c"); // pipework's MAC argument
  expect([att.web1.ifName, att.vm1.ifName, att.external.ifName]).toEqual(["eth1", "eth0", "eth1"]);

  // VLAN A (web1, vm1, the outside container and the gateway) talks; vm2 on VLAN B reaches none of them.
  expect(await eventually(() => pings(hi, at("web1"), gw, 1))).toBe(true);
  expect(await pings(hi, at("vm1"), gw)).toBe(true);
  expect(await pings(hi, at("external"), gw)).toBe(true);
  expect(await pings(hi, at("web1"), att.vm1.ip)).toBe(true);
  expect(await pings(hi, at("external"), att.web1.ip)).toBe(true);
  expect(await tcpWorks({ listenHost: hi, listenIn: at("vm1"), from: hi, fromIn: at("web1"), to: att.vm1.ip })).toBe(true);
  expect(await tcpWorks({ listenHost: hi, listenIn: at("web1"), from: hi, fromIn: at("external"), to: att.web1.ip })).toBe(true);
  for (const k of ["web1", "vm1", "external"] as const) expect(await pings(hi, at("vm2"), att[k].ip, 1)).toBe(false);
  expect(await pings(hi, at("vm2"), gw, 1)).toBe(false);
  expect(await pings(hi, at("web1"), att.vm2.ip, 1)).toBe(false);
  expect(await tcpWorks({ listenHost: hi, listenIn: at("vm2"), from: hi, fromIn: at("web1"), to: att.vm2.ip })).toBe(false);

  await expectNoChanges(r.handle);

  // A restart gives the container a fresh namespace: its eth1 and the veth are gone, the OVS port is stale.
  await onHost(hi, ["docker", "restart", "-t", "0", att.web1.container]);
  expect((await insideView(att.web1)).links).toEqual(["lo"]);
  expect(await pings(hi, at("vm1"), att.web1.ip, 1)).toBe(false);
  // refresh sees it: the veth and the port are gone, the namespace link is stale (pid moved)...
  await r.handle.stack.refresh({ onOutput: () => undefined });
  const pv = await r.handle.stack.preview({ diff: true });
  expect(pv.changeSummary).toMatchObject({ create: 2, update: 1 });
  expect(pv.stdout).toMatch(/~ pulumi-nodejs:dynamic\/ovs:NetNamespace: \(update\)[\s\S]*?web1-net-ns/);
  expect(pv.stdout).toMatch(/\+ pulumi-nodejs:dynamic\/ovs:VethPair: \(create\)[\s\S]*?web1-net-veth/);
  expect(pv.stdout).toMatch(/\+ pulumi-nodejs:dynamic\/ovs:OvsPort: \(create\)[\s\S]*?web1-net-port/);
  // ...and up plugs it in again: re-linked namespace, new veth with the same MAC, port re-added.
  const up = await r.handle.stack.up({ onOutput: () => undefined });
  expect(up.summary.resourceChanges).toMatchObject({ create: 2, update: 1 });
  const again = await insideView(att.web1);
  expect(again.link).toContain(`link/ether ${att.web1.mac}`);
  expect(again.addr).toContain(`inet ${att.web1.address}`);
  expect(again.route).toMatch(new RegExp(`^default via ${gw.replace(/\./g, "\\.")} dev eth1`, "m"));
  expect(await eventually(() => pings(hi, at("vm1"), att.web1.ip, 1))).toBe(true);
  expect(await pings(hi, at("web1"), gw)).toBe(true);
  expect(await tcpWorks({ listenHost: hi, listenIn: at("web1"), from: hi, fromIn: at("vm1"), to: att.web1.ip })).toBe(true);
  expect(await pings(hi, at("web1"), att.vm2.ip, 1)).toBe(false);
  await expectNoChanges(r.handle);

  await destroyAndCheckClean(r.handle, p);
  handle = undefined;
  // The attachments' own objects have hashed names: check them by name.
  const left = `${(await onHost(hi, ["ip", "-o", "link", "show"])).stdout}\n${(await onHost(hi, ["ip", "netns", "list"])).stdout}`;
  expect(Object.values(att).flatMap((a) => [a.port, a.netns]).filter((n) => left.includes(n))).toEqual([]);
  // The outside container was only unplugged, never removed.
  expect((await onHost(hi, ["docker", "ps", "--filter", `name=^${external}$`, "--format", "{{.Names}}"])).stdout.trim()).toBe(external);
  expect((await insideView(att.external)).links).toEqual(["lo"]);
});
