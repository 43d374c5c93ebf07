import * as veth from "../../provider/resources/veth";
import { closeAllHosts, transportStats } from "../../provider/transport/pool";
import { Managed, owner } from "../helpers/provider";
import { labConnection, onHost, uniq } from "../helpers/lab";

/**
 * VethPair against a real kernel: lab host h1, throwaway namespaces made beside the code under test.
 * Addresses: 198.18.100.0/24 (namespace to namespace) and 198.18.101.0/24 (namespace to host) only.
 */

jest.setTimeout(120_000);
const H = 0;
const id = uniq();
const nsA = `vt-a-${id}`;
const nsB = `vt-b-${id}`;
const hostEnd = `vh${id}`;
const foreignA = `vf${id}`;
const foreignB = `vg${id}`;

const sh = (argv: string[]) => onHost(H, argv);
const inNs = (ns: string, argv: string[]) => onHost(H, ["ip", "netns", "exec", ns, ...argv], { reject: false });

/**
 * Links of one of our namespaces by name, as the host sees them: for "left as it was" checks. In the host
 * namespace other test files come and go at the same time: there, only names carrying our id count.
 */
async function linkNames(ns?: string): Promise<string[]> {
  const r = await onHost(H, ns ? ["ip", "-n", ns, "-j", "link", "show"] : ["ip", "-j", "link", "show"]);
  const names = (JSON.parse(r.stdout) as { ifname: string }[]).map((l) => l.ifname).sort();
  return ns ? names : names.filter((n) => n.includes(id));
}

async function addrOf(ns: string | undefined, dev: string): Promise<{ mtu: number; address: string; flags: string[]; addr_info: { local: string; prefixlen: number; scope: string }[] } | undefined> {
  const r = await onHost(H, ns ? ["ip", "-n", ns, "-j", "addr", "show", "dev", dev] : ["ip", "-j", "addr", "show", "dev", dev], { reject: false });
  return r.exitCode === 0 ? JSON.parse(r.stdout)[0] : undefined;
}

async function ping(ns: string | undefined, ip: string): Promise<boolean> {
  const argv = ["ping", "-c", "2", "-i", "0.2", "-W", "2", ip];
  const r = ns ? await inNs(ns, argv) : await onHost(H, argv, { reject: false });
  return r.exitCode === 0;
}

/** A TCP byte stream from one namespace to another (busybox nc, bounded by timeouts). */
async function tcp(serverNs: string, serverIp: string, clientNs: string): Promise<string> {
  const port = String(20000 + Math.floor(Math.random() * 20000));
  const server = inNs(serverNs, ["timeout", "15", "busybox", "nc", "-l", "-p", port, "-w", "5"]);
  await new Promise((r) => setTimeout(r, 500));
  await onHost(H, ["ip", "netns", "exec", clientNs, "timeout", "10", "busybox", "nc", "-w", "2", serverIp, port], { reject: false, input: `hello-${id}\n` });
  return (await server).stdout.trim();
}

const baseline: Record<string, string[]> = {};

beforeAll(async () => {
  for (const ns of [nsA, nsB]) {
    await sh(["ip", "netns", "add", ns]);
    await sh(["ip", "-n", ns, "link", "set", "dev", "lo", "up"]);
  }
  baseline.host = await linkNames();
  baseline.a = await linkNames(nsA);
  baseline.b = await linkNames(nsB);
});

afterAll(async () => {
  for (const l of [hostEnd, foreignA]) await onHost(H, ["ip", "link", "del", "dev", l], { reject: false });
  for (const ns of [nsA, nsB]) await onHost(H, ["ip", "netns", "del", ns], { reject: false });
  closeAllHosts();
});

describe("VethPair between two namespaces", () => {
  const declared = {
    connection: labConnection(H),
    owner: owner("veth", `pair-${id}`),
    name: `va${id}`,
    namespace: nsA,
    peerName: "eth1",
    peerNamespace: nsB,
    mtu: 1400,
    mac: "02:00:00:18:64:01",
    peerMac: "02:00:00:18:64:02",
    addresses: ["198.18.100.1/24"],
    peerAddresses: ["198.18.100.2/24"],
    peerGateway: "198.18.100.1",
    txChecksumOffload: false,
    peerTxChecksumOffload: false,
  };
  const m = new Managed(veth, declared);

  it("creates in two round trips (probe, then all writes + the restore state put riding on them + read-back)", async () => {
    const trips = transportStats.roundTrips;
    await m.create();
    expect(transportStats.roundTrips - trips).toBe(2);
    expect(m.outs).toMatchObject({ macAddress: "02:00:00:18:64:01", peerMacAddress: "02:00:00:18:64:02", ifindex: expect.any(Number), peerIfindex: expect.any(Number) });
    const b = await addrOf(nsB, "eth1");
    expect(b).toMatchObject({ mtu: 1400, address: "02:00:00:18:64:02" });
    expect(b!.flags).toContain("UP");
    expect(b!.addr_info.filter((a) => a.scope === "global").map((a) => `${a.local}/${a.prefixlen}`)).toEqual(["198.18.100.2/24"]);
    expect((await sh(["ip", "-n", nsB, "route", "show", "default"])).stdout).toContain("default via 198.18.100.1 dev eth1");
    expect((await sh(["ip", "netns", "exec", nsB, "ethtool", "-k", "eth1"])).stdout).toMatch(/^tx-checksumming: off/m);
  });

  it("reads back exactly what was declared", async () => {
    const r = await m.refresh();
    expect(r.id).toBe(m.id);
    expect(r.inputs).toEqual(await m.checked(declared));
    expect((await m.diff()).changes).toBe(false);
  });

  it("pings and carries TCP both ways", async () => {
    expect(await ping(nsA, "198.18.100.2")).toBe(true);
    expect(await ping(nsB, "198.18.100.1")).toBe(true);
    expect(await tcp(nsB, "198.18.100.2", nsA)).toBe(`hello-${id}`);
    expect(await tcp(nsA, "198.18.100.1", nsB)).toBe(`hello-${id}`);
  });

  it("reports drift field by field: address removed, MTU changed, link down (which drops its routes), offload on", async () => {
    await sh(["ip", "-n", nsA, "addr", "del", "198.18.100.1/24", "dev", `va${id}`]);
    await sh(["ip", "-n", nsA, "link", "set", "dev", `va${id}`, "mtu", "1300"]);
    await sh(["ip", "-n", nsB, "link", "set", "dev", "eth1", "down"]);
    await sh(["ip", "netns", "exec", nsA, "ethtool", "-K", `va${id}`, "tx", "on"]);
    const r = await m.refresh();
    const { peerGateway: _gone, ...rest } = await m.checked(declared);
    expect(r.inputs).toEqual({ ...rest, addresses: [], mtu: 1300, peerUp: false, txChecksumOffload: true });
    expect(await m.diff()).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
  });

  it("update repairs all of it in place", async () => {
    const ifindex = m.outs.ifindex;
    await m.up(declared);
    expect(m.outs.ifindex).toBe(ifindex); // same link, not a new one
    const r = await m.refresh();
    expect(r.inputs).toEqual(await m.checked(declared));
    expect(await ping(nsA, "198.18.100.2")).toBe(true);
    expect(await tcp(nsB, "198.18.100.2", nsA)).toBe(`hello-${id}`);
  });

  it("changes settings in place: addresses, MAC, dropped gateway and MTU", async () => {
    const next = { ...declared, addresses: ["198.18.100.11/24"], peerAddresses: ["198.18.100.12/24", "2001:db8:100::12/64"], peerMac: "02:00:00:18:64:22", peerGateway: undefined, mtu: undefined };
    expect(await m.up(next)).toMatchObject({ changes: true, replaces: [] });
    expect((await m.refresh()).inputs).toEqual(await m.checked(next));
    expect((await sh(["ip", "-n", nsB, "route", "show", "default"])).stdout.trim()).toBe("");
    expect(await addrOf(nsB, "eth1")).toMatchObject({ mtu: 1500, address: "02:00:00:18:64:22" });
    expect(await ping(nsA, "198.18.100.12")).toBe(true);
    await m.up(declared);
  });

  it("a veth deleted by hand (one end takes the other) reads as gone; create repairs", async () => {
    await sh(["ip", "-n", nsB, "link", "del", "dev", "eth1"]);
    expect(await linkNames(nsA)).toEqual(baseline.a);
    expect((await m.refresh()).id).toBeUndefined();
    await m.create();
    expect((await m.refresh()).inputs).toEqual(await m.checked(declared));
    expect(await ping(nsA, "198.18.100.2")).toBe(true);
  });

  it("a deleted namespace reads as gone", async () => {
    const gone = `vt-c-${id}`;
    await sh(["ip", "netns", "add", gone]);
    const g = new Managed(veth, { ...declared, owner: owner("veth", `gone-${id}`), name: `vx${id}`, namespace: gone, peerName: "eth9", addresses: undefined, peerAddresses: undefined, peerGateway: undefined });
    await g.create();
    await sh(["ip", "netns", "del", gone]);
    // The namespace may take a moment to be torn down after its last reference is gone.
    for (let i = 0; i < 20 && (await addrOf(nsB, "eth9")); i++) await new Promise((r) => setTimeout(r, 100));
    expect((await g.refresh()).id).toBeUndefined();
    await g.delete(); // idempotent: nothing there
  });

  it("renaming the peer replaces the pair, deleting first (the first end's name stays)", async () => {
    const renamed = { ...declared, peerName: "eth2" };
    expect(await m.up(renamed)).toMatchObject({ replaces: ["peerName"], deleteBeforeReplace: true });
    expect(await linkNames(nsB)).toEqual([...baseline.b, "eth2"].sort());
    expect(await ping(nsA, "198.18.100.2")).toBe(true);
  });

  it("delete removes the pair, twice is fine, and leaves both namespaces as they were", async () => {
    await m.delete();
    await m.delete();
    expect(await linkNames(nsA)).toEqual(baseline.a);
    expect(await linkNames(nsB)).toEqual(baseline.b);
    expect(await linkNames()).toEqual(baseline.host);
  });
});

describe("VethPair joining a namespace to the host", () => {
  const declared = {
    connection: labConnection(H),
    owner: owner("veth", `host-${id}`),
    name: hostEnd,
    addresses: ["198.18.101.1/24"],
    peerName: "eth0",
    peerNamespace: nsA,
    peerAddresses: ["198.18.101.2/24"],
    peerGateway: "198.18.101.1",
  };
  const m = new Managed(veth, declared);

  it("pings between the host and the namespace", async () => {
    await m.create();
    expect((await m.refresh()).inputs).toEqual(await m.checked(declared));
    expect(await ping(undefined, "198.18.101.2")).toBe(true);
    expect(await ping(nsA, "198.18.101.1")).toBe(true);
  });

  it("delete leaves the host as it was", async () => {
    await m.delete();
    expect(await linkNames()).toEqual(baseline.host);
    expect(await linkNames(nsA)).toEqual(baseline.a);
    expect((await sh(["ip", "-j", "addr", "show"])).stdout).not.toContain("198.18.101.1");
  });
});

describe("VethPair errors", () => {
  it("name the resource, the host, the command and its stderr", async () => {
    // Checks of our own say what is wrong in words about the program...
    const m = new Managed(veth, { connection: labConnection(H), owner: owner("veth", `err-${id}`), name: `ve${id}`, peerName: "eth1", peerNamespace: `nope-${id}` });
    await expect(m.create()).rejects.toThrow(new RegExp(`^VethPair "ve${id}" on povs@198\\.18\\.0\\.11:22: namespace nope-${id} does not exist on the host`));
    await sh(["ip", "-n", nsA, "link", "add", "name", `vd${id}`, "type", "veth", "peer", "name", `ve${id}`]);
    const clash = new Managed(veth, { connection: labConnection(H), owner: owner("veth", `err-${id}`), name: `ve${id}`, namespace: nsA, peerName: "eth7", peerNamespace: nsB, adopt: true });
    await expect(clash.create()).rejects.toThrow(new RegExp(`^VethPair "ve${id}" on povs@198\\.18\\.0\\.11:22: ve${id} in namespace ${nsA} exists but is not a veth whose peer is eth7 in namespace ${nsB}$`));
    await sh(["ip", "-n", nsA, "link", "del", "dev", `vd${id}`]);
    // ...and the kernel's refusals come with the command and ip's own words (a broadcast address as gateway),
    // leaving no half-made pair behind.
    const bad = new Managed(veth, { connection: labConnection(H), owner: owner("veth", `err-${id}`), name: `ve${id}`, namespace: nsA, peerName: "eth7", peerNamespace: nsB, peerAddresses: ["198.18.100.7/24"], peerGateway: "198.18.100.255" });
    await expect(bad.create()).rejects.toThrow(
      new RegExp(`^VethPair "ve${id}": on povs@198\\.18\\.0\\.11:22: command failed \\(exit code 2\\): ip '?-n'? ${nsB} '?-4'? route replace default via 198\\.18\\.100\\.255 dev eth7\nError: Nexthop has invalid gateway\\.$`),
    );
    expect(await linkNames(nsB)).toEqual(baseline.b);
    expect(await linkNames(nsA)).toEqual(baseline.a);
  });
});

describe("VethPair ownership", () => {
  const declared = { connection: labConnection(H), owner: owner("veth", `foreign-${id}`), name: foreignA, peerName: foreignB, addresses: ["198.18.101.5/32"] };

  beforeAll(async () => {
    await sh(["ip", "link", "add", "name", foreignA, "type", "veth", "peer", "name", foreignB]);
  });

  it("create refuses an interface it did not make, naming adopt", async () => {
    await expect(new Managed(veth, declared).create()).rejects.toThrow(/VethPair "vf\w+" on povs@198\.18\.0\.11:22: VethPair "vf\w+" already exists on the host and is managed by something other than pulumi-ovs.*adopt: true/s);
    expect(await addrOf(undefined, foreignA)).toMatchObject({ addr_info: [] });
  });

  it("delete never removes an interface that is not ours", async () => {
    const m = new Managed(veth, declared);
    m.outs = await m.checked(declared);
    await m.delete();
    expect(await addrOf(undefined, foreignA)).toBeDefined();
  });

  it("adopt takes it over (marker set), and it is then deleted with the stack", async () => {
    const m = new Managed(veth, { ...declared, adopt: true });
    await m.create();
    expect((await sh(["ip", "-j", "link", "show", "dev", foreignA])).stdout).toContain(`"ifalias":"pulumi-ovs-owner=${declared.owner}"`);
    expect((await m.refresh()).inputs).toMatchObject({ addresses: ["198.18.101.5/32"] });
    await m.delete();
    expect(await addrOf(undefined, foreignA)).toBeUndefined();
  });
});
