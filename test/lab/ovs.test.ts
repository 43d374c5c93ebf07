import * as bridge from "../../provider/resources/bridge";
import * as port from "../../provider/resources/port";
import * as vxlan from "../../provider/resources/vxlan";
import * as gre from "../../provider/resources/gre";
import { closeAllHosts } from "../../provider/transport/pool";
import { labConnection, labHost, onHost, uniq } from "../helpers/lab";
import { Managed, owner } from "../helpers/provider";
import { pings, tcpWorks } from "../helpers/packets";

jest.setTimeout(120_000);

const u = uniq();
const T = "ovs";
const ovs = (i: number, ...args: string[]) => onHost(i, ["ovs-vsctl", ...args]);
const listBr = async (i: number) => (await ovs(i, "list-br")).stdout.split("\n").filter(Boolean).sort();
const ns = { a: `na${u}`, b: `nb${u}`, c: `nc${u}` };

const before: string[][] = [];
const cleanup: Managed[] = [];

beforeAll(async () => {
  before[0] = await listBr(0);
  before[1] = await listBr(1);
  for (const n of Object.values(ns)) await onHost(0, ["ip", "netns", "add", n]);
});

afterAll(async () => {
  for (const m of cleanup.reverse()) await m.delete().catch(() => undefined);
  for (const n of Object.values(ns)) await onHost(0, ["ip", "netns", "del", n], { reject: false });
  closeAllHosts();
});

function managed(mod: ConstructorParameters<typeof Managed>[0], inputs: Record<string, unknown>): Managed {
  const m = new Managed(mod, inputs);
  cleanup.push(m);
  return m;
}

describe("OvsBridge and OvsPort on a lab host", () => {
  const brName = `b${u}`;
  let br: Managed;
  const ports: Record<string, Managed> = {};

  it("creates a bridge and reads back exactly what was declared", async () => {
    br = managed(bridge, {
      connection: labConnection(0), owner: owner(T, "br"), name: brName, datapathType: "netdev", failMode: "standalone",
      protocols: ["OpenFlow13", "OpenFlow10"], externalIds: { role: "test" }, otherConfig: { "mac-aging-time": "120" },
    });
    await br.create();
    expect(br.outs.uuid).toMatch(/^[0-9a-f-]{36}$/);
    const r = await br.refresh();
    expect(r.id).toBe(br.id);
    expect(r.inputs).toMatchObject({ name: brName, datapathType: "netdev", failMode: "standalone", protocols: ["OpenFlow10", "OpenFlow13"], externalIds: { role: "test" } });
    expect(r.inputsReturned).toBe(false); // nothing drifted: the state's inputs stay
    expect((await br.diff()).changes).toBe(false);
    expect((await ovs(0, "get", "Bridge", brName, "external_ids:pulumi-ovs-owner")).stdout.trim()).toBe(`"${owner(T, "br")}"`);
  });

  it("puts internal ports into namespaces on VLANs: same VLAN talks (ICMP and TCP), other VLAN does not", async () => {
    const mk = (key: string, name: string, tag: number, netns: string, addr: string) =>
      (ports[key] = managed(port, {
        connection: labConnection(0), owner: owner(T, name), bridge: brName, name, type: "internal", tag, netns, addresses: [addr], mtuRequest: 1400,
      }));
    await mk("a", `pa${u}`, 100, ns.a, "198.18.120.1/24").create();
    await mk("b", `pb${u}`, 100, ns.b, "198.18.120.2/24").create();
    await mk("c", `pc${u}`, 200, ns.c, "198.18.120.3/24").create();
    expect(ports.a.outs.ofport).toEqual(expect.any(Number));
    expect(ports.a.outs.macInUse).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    expect(await pings(0, ns.a, "198.18.120.2")).toBe(true);
    expect(await tcpWorks({ listenHost: 0, listenIn: ns.b, from: 0, fromIn: ns.a, to: "198.18.120.2" })).toBe(true);
    expect(await pings(0, ns.a, "198.18.120.3", 1)).toBe(false);
    for (const p of Object.values(ports)) expect((await p.diff()).changes).toBe(false);
    for (const p of Object.values(ports)) expect((await p.refresh()).inputsReturned).toBe(false);
  });

  it("sees a tag changed by hand, shows it as an in-place update, and repairs it", async () => {
    await ovs(0, "set", "Port", `pb${u}`, "tag=200");
    const r = await ports.b.refresh();
    expect(r.inputs).toMatchObject({ tag: 200 });
    expect(await ports.b.diff()).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    await ports.b.up();
    expect((await ovs(0, "get", "Port", `pb${u}`, "tag")).stdout.trim()).toBe("100");
    expect(await pings(0, ns.a, "198.18.120.2")).toBe(true);
  });

  it("sees an address removed by hand and a trunk added by hand", async () => {
    await onHost(0, ["ip", "-n", ns.b, "addr", "del", "198.18.120.2/24", "dev", `pb${u}`]);
    expect((await ports.b.refresh()).inputs).toMatchObject({ addresses: [] });
    await ports.b.up();
    expect(await pings(0, ns.a, "198.18.120.2")).toBe(true);

    const trunk = managed(port, { connection: labConnection(0), owner: owner(T, "tr"), bridge: brName, name: `pt${u}`, type: "internal", trunks: [100, 200] });
    await trunk.create();
    await ovs(0, "add", "Port", `pt${u}`, "trunks", "300");
    expect((await trunk.refresh()).inputs).toMatchObject({ trunks: [100, 200, 300] });
    await trunk.up();
    expect((await ovs(0, "get", "Port", `pt${u}`, "trunks")).stdout.trim()).toBe("[100, 200]");
  });

  it("sees a port deleted by hand as gone, and re-creates it", async () => {
    await ovs(0, "del-port", `pc${u}`);
    const r = await ports.c.refresh();
    expect(r.id).toBeFalsy();
    await ports.c.create();
    expect((await ovs(0, "get", "Port", `pc${u}`, "tag")).stdout.trim()).toBe("200");
  });

  it("manages only its own external_ids keys", async () => {
    await ovs(0, "set", "Bridge", brName, "external_ids:foreign=keep", "external_ids:role=changed");
    const r = await br.refresh();
    expect(r.inputs).toMatchObject({ externalIds: { role: "changed" } });
    await br.up({ ...br.inputs, externalIds: { role: "test", extra: "1" } });
    await br.up({ ...br.inputs, externalIds: { role: "test" } });
    const ids = (await ovs(0, "get", "Bridge", brName, "external_ids")).stdout;
    expect(ids).toContain("foreign=keep");
    expect(ids).toContain("role=test");
    expect(ids).not.toContain("extra");
  });

  it("replaces a port whose name changes, and moves VLAN in place", async () => {
    const d = await ports.a.diff({ ...ports.a.inputs, name: `px${u}` });
    expect(d).toEqual({ changes: true, replaces: ["name"], deleteBeforeReplace: false });
  });

  it("removes only the port row it found: a same-named port made by hand since then stays", async () => {
    const name = `pr${u}`;
    const p = new Managed(port, { connection: labConnection(0), owner: owner(T, "replaced"), bridge: brName, name, type: "internal" });
    await p.create();
    await p.refresh(); // the provider now holds a snapshot in which the port is ours
    // Someone else's port of the same name replaces it before the delete arrives.
    await ovs(0, "del-port", name, "--", "add-port", brName, name, "--", "set", "Interface", name, "type=internal", "--", "set", "Port", name, "external_ids:pulumi-ovs-owner=someone-else");
    await p.mod.delete(p.id, p.outs);
    expect((await ovs(0, "get", "Port", name, "external_ids:pulumi-ovs-owner")).stdout.trim()).toBe("someone-else");
    await ovs(0, "del-port", name);
  });

  it("refuses a foreign bridge unless adopted, then deletes it only as its owner", async () => {
    const name = `f${u}`;
    await ovs(0, "add-br", name, "--", "set", "bridge", name, "datapath_type=netdev");
    const m = new Managed(bridge, { connection: labConnection(0), owner: owner(T, "foreign"), name, datapathType: "netdev" });
    await expect(m.create()).rejects.toThrow(/already exists.*adopt: true/s);
    // Nothing was changed by the refused create.
    expect((await ovs(0, "br-get-external-id", name)).stdout).not.toContain("pulumi-ovs-owner");
    m.inputs = { ...m.inputs, adopt: true };
    await m.create();
    expect((await ovs(0, "br-get-external-id", name, "pulumi-ovs-owner")).stdout.trim()).toBe(owner(T, "foreign"));
    // Another stack's resource with the same name does not delete it.
    await new Managed(bridge, {}).mod.delete("x", { ...m.outs, owner: owner("other-stack", "foreign") });
    expect(await listBr(0)).toContain(name);
    await m.delete();
    expect(await listBr(0)).not.toContain(name);
  });

  it("deletes everything it created and leaves the host as it was", async () => {
    for (const m of cleanup.splice(0).reverse()) await m.delete();
    expect(await listBr(0)).toEqual(before[0]);
    // Deleting again is a no-op.
    await br.delete();
  });
});

describe.each([
  ["VXLAN", vxlan, { key: 5000, dstPort: 4789 }],
  ["GRE", gre, { key: 77 }],
])("%s tunnel between two lab hosts", (label, mod, extra) => {
  const tag = label === "VXLAN" ? "v" : "g";
  const hosts = [0, 1];
  const nsName = `t${tag}${u}`;
  const parts: Managed[] = [];
  const tunnels: Managed[] = [];
  const addr = (i: number) => `198.18.${label === "VXLAN" ? 130 : 131}.${i + 1}`;

  beforeAll(async () => {
    for (const i of hosts) {
      await onHost(i, ["ip", "netns", "add", nsName]);
      const brName = `${tag}br${u}`;
      const b = new Managed(bridge, { connection: labConnection(i), owner: owner(T, `${tag}br${i}`), name: brName, datapathType: "netdev" });
      await b.create();
      const p = new Managed(port, {
        connection: labConnection(i), owner: owner(T, `${tag}p${i}`), bridge: brName, name: `${tag}p${u}`, type: "internal", netns: nsName, addresses: [`${addr(i)}/24`], mtuRequest: 1400,
      });
      await p.create();
      const t = new Managed(mod, {
        connection: labConnection(i), owner: owner(T, `${tag}t${i}`), bridge: brName, name: `${tag}t${u}`, remoteIp: labHost(1 - i).underlayIp, ...extra,
      });
      await t.create();
      parts.push(b, p);
      tunnels.push(t);
    }
  });

  afterAll(async () => {
    for (const m of [...tunnels, ...parts].reverse()) await m.delete().catch(() => undefined);
    for (const i of hosts) await onHost(i, ["ip", "netns", "del", nsName], { reject: false });
  });

  it("carries ICMP and TCP between namespaces on both hosts", async () => {
    expect(tunnels[0].outs.ofport).toEqual(expect.any(Number));
    expect(await pings(0, nsName, addr(1), 3)).toBe(true);
    expect(await tcpWorks({ listenHost: 1, listenIn: nsName, from: 0, fromIn: nsName, to: addr(1) })).toBe(true);
    expect((await tunnels[0].diff()).changes).toBe(false);
  });

  it("sees remote_ip changed by hand and repairs it", async () => {
    await ovs(0, "set", "Interface", `${tag}t${u}`, "options:remote_ip=198.19.0.99");
    const r = await tunnels[0].refresh();
    expect(r.inputs).toMatchObject({ remoteIp: "198.19.0.99" });
    expect((await tunnels[0].diff()).replaces).toEqual([]);
    await tunnels[0].up();
    expect((await ovs(0, "get", "Interface", `${tag}t${u}`, "options:remote_ip")).stdout.trim()).toBe(`"${labHost(1).underlayIp}"`);
    expect(await pings(0, nsName, addr(1), 3)).toBe(true);
  });
});
