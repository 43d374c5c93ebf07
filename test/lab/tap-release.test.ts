import * as bridge from "../../provider/resources/bridge";
import * as port from "../../provider/resources/port";
import { TAP_RELEASE_MIN, tapReleaseGroup } from "../../provider/ovs/merge";
import { closeAllHosts, hostFor, transportStats } from "../../provider/transport/pool";
import { parseConnection } from "../../provider/schema/connection";
import { ovsState } from "../../provider/host/facts";
import { listAllArgv, parseOvsState, type OvsState } from "../../provider/ovs/ovsdb";
import { labConnection, onHost, uniq } from "../helpers/lab";
import { Managed, owner } from "../helpers/provider";
import { pings, tcpWorks } from "../helpers/packets";

jest.setTimeout(120_000);

/**
 * Internal ports of a netdev bridge are taps; deleting many at once removes their devices in one netlink
 * request (ovs/merge.ts). What must hold whatever the speed: the host ends clean, and nothing that is not
 * ours is touched (a foreign tap, a foreign device in the group number the release would use).
 */
const u = uniq();
const T = "taps";
const conn = labConnection(0);
const tuns = async () => (await onHost(0, ["ip", "-o", "link", "show", "type", "tun"])).stdout;
const portsOf = async (br: string) => (await onHost(0, ["ovs-vsctl", "list-ports", br])).stdout.split("\n").filter(Boolean);
const brName = `tr${u}`;
const foreignTap = `ft${u}`;
const nsA = `ta${u}`;
const nsB = `tb${u}`;
let br: Managed;
const mk = (i: number) => new Managed(port, { connection: conn, owner: owner(T, `p${i}`), bridge: brName, name: `tp${u}${i}`, type: "internal", tag: 10 + i });

beforeAll(async () => {
  br = new Managed(bridge, { connection: conn, owner: owner(T, "br"), name: brName, datapathType: "netdev", failMode: "standalone" });
  await br.create();
  await onHost(0, ["ip", "tuntap", "add", "mode", "tap", foreignTap]);
  for (const n of [nsA, nsB]) await onHost(0, ["ip", "netns", "add", n]);
});

afterAll(async () => {
  await br.delete().catch(() => undefined);
  await onHost(0, ["ip", "link", "del", foreignTap], { reject: false });
  for (const n of [nsA, nsB]) await onHost(0, ["ip", "netns", "del", n], { reject: false });
  closeAllHosts();
});

it("deletes 24 internal ports at once: rows, taps and datapath ports gone, a foreign tap untouched; the name works again", async () => {
  const ports = Array.from({ length: 24 }, (_, i) => mk(i));
  await Promise.all(ports.map((p) => p.create()));
  expect(await portsOf(brName)).toHaveLength(24);
  expect((await tuns()).match(new RegExp(`tp${u}\\d+:`, "g"))).toHaveLength(24);
  await Promise.all(ports.map((p) => p.delete()));
  expect(await portsOf(brName)).toEqual([]);
  const left = await tapsGone(ports.map((p) => String(p.outs.name)));
  expect(left).not.toContain(`tp${u}`);
  expect(left).toContain(`${foreignTap}:`);
  expect((await onHost(0, ["ip", "-d", "-j", "link", "show", foreignTap])).stdout).toContain('"group":"default"');
  expect((await onHost(0, ["ovs-appctl", "dpif/show"])).stdout).not.toContain(`tp${u}`);
  // ovs-vswitchd took it in stride: a new port of a released name comes back and carries ICMP and TCP.
  const again = new Managed(port, { connection: conn, owner: owner(T, "p3"), bridge: brName, name: `tp${u}3`, type: "internal", tag: 13, netns: nsA, addresses: ["198.18.141.1/24"], mtuRequest: 1400 });
  const peer = new Managed(port, { connection: conn, owner: owner(T, "peer"), bridge: brName, name: `tpp${u}`, type: "internal", tag: 13, netns: nsB, addresses: ["198.18.141.2/24"], mtuRequest: 1400 });
  await again.create();
  await peer.create();
  try {
    expect((await again.refresh()).id).toBe(again.id);
    expect(await pings(0, nsA, "198.18.141.2")).toBe(true);
    expect(await tcpWorks({ listenHost: 0, listenIn: nsB, from: 0, fromIn: nsA, to: "198.18.141.2" })).toBe(true);
  } finally {
    await again.delete();
    await peer.delete();
  }
  expect(await portsOf(brName)).toEqual([]);
});

/** Until the host has no tun device of these names (ovs-vswitchd removes taps it was left after a --no-wait write). */
async function tapsGone(names: string[], seconds = 5): Promise<string> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const left = await tuns();
    if (!names.some((n) => left.includes(`${n}:`)) || Date.now() > deadline) return left;
    await new Promise((r) => setTimeout(r, 100));
  }
}

it(`deletes fewer than ${TAP_RELEASE_MIN} internal ports without releasing their taps or waiting for ovs-vswitchd; it removes them`, async () => {
  const ports = [mk(20), mk(21)];
  await Promise.all(ports.map((p) => p.create()));
  await Promise.all(ports.map((p) => p.delete()));
  expect(await portsOf(brName)).toEqual([]);
  const left = await tapsGone([`tp${u}20`, `tp${u}21`]);
  expect(left).not.toContain(`tp${u}2`);
  expect(left).toContain(`${foreignTap}:`);
  expect((await onHost(0, ["ovs-appctl", "dpif/show"])).stdout).not.toContain(`tp${u}2`);
});

it("leaves a group in use alone (a foreign device keeps it) and still deletes the ports", async () => {
  const ports = [mk(30), mk(31), mk(32)];
  await Promise.all(ports.map((p) => p.create()));
  const foreign = `fd${u}`;
  await onHost(0, ["ip", "tuntap", "add", "mode", "tap", foreign]);
  // The group a release of these three taps uses (deleted together, they leave in one round trip).
  await onHost(0, ["ip", "link", "set", foreign, "group", String(tapReleaseGroup(ports.map((p) => ({ name: String(p.outs.name), ifindex: Number(p.outs.boundIfindex) }))))]);
  try {
    await Promise.all(ports.map((p) => p.delete()));
    expect(await portsOf(brName)).toEqual([]);
    expect(await tapsGone(ports.map((p) => String(p.outs.name)))).not.toContain(`tp${u}3`);
    expect((await onHost(0, ["ip", "-o", "link", "show", foreign])).stdout).toContain(foreign);
  } finally {
    await onHost(0, ["ip", "link", "del", foreign], { reject: false });
  }
});

it("leaves a same-named foreign tap alone when our internal ports live in a namespace", async () => {
  const ns = `tn${u}`;
  await onHost(0, ["ip", "netns", "add", ns]);
  const ports = [0, 1, 2].map((i) => new Managed(port, { connection: conn, owner: owner(T, `pn${i}`), bridge: brName, name: `tq${u}${i}`, type: "internal", netns: ns, addresses: [`198.18.140.${i + 1}/24`] }));
  try {
    await Promise.all(ports.map((p) => p.create()));
    await onHost(0, ["ip", "tuntap", "add", "mode", "tap", `tq${u}0`]); // free in the host's namespace: someone else's
    await Promise.all(ports.map((p) => p.delete()));
    expect(await portsOf(brName)).toEqual([]);
    expect(await tuns()).toContain(`tq${u}0:`);
  } finally {
    await onHost(0, ["ip", "link", "del", `tq${u}0`], { reject: false });
    await onHost(0, ["ip", "netns", "del", ns], { reject: false });
  }
});

it("after deleting ports, the snapshot it keeps (patched, not read back) is what the host has", async () => {
  const ports = Array.from({ length: 6 }, (_, i) => mk(40 + i));
  await Promise.all(ports.map((p) => p.create()));
  const host = hostFor(parseConnection(conn));
  await Promise.all(ports.slice(0, 4).map((p) => p.delete()));
  const trips = transportStats.roundTrips;
  const kept = await ovsState(host);
  expect(transportStats.roundTrips).toBe(trips); // served from what the deletes left, no read
  const fresh = parseOvsState((await onHost(0, listAllArgv())).stdout);
  const onBridge = (s: OvsState) => (s.bridges.get(brName)?.ports ?? []).map((uuid) => [...s.ports.values()].find((p) => p.uuid === uuid)?.name).sort();
  expect(onBridge(kept)).toEqual(onBridge(fresh));
  expect(onBridge(kept)).toEqual([`tp${u}44`, `tp${u}45`, brName].sort()); // and the bridge's own port
  expect([...kept.interfaces.keys()].sort()).toEqual([...fresh.interfaces.keys()].sort());
  expect([...kept.portBridge.keys()].sort()).toEqual([...fresh.portBridge.keys()].sort());
  await Promise.all(ports.slice(4).map((p) => p.delete()));
});
