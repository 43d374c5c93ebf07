import * as fs from "node:fs";
import * as path from "node:path";
import * as veth from "../../provider/resources/veth";
import { endsCollide, liveInputs, outputs, pairWrites, present, type PairLive } from "../../provider/resources/veth";
import { parseIpJson } from "../../provider/ip/ip";
import { UNKNOWN } from "../../provider/schema/base";
import { parseInputs } from "../../provider/resources/framework";
import { vethSchema, type VethInputs } from "../../provider/schema/veth";
import type { EndLive } from "../../provider/ip/veth";
import { HOSTILE } from "../helpers/hostile";

const fx = (f: string) => fs.readFileSync(path.join(__dirname, "..", "fixtures", "ip", f), "utf8");
const connection = { host: "198.18.0.10", user: "ops", privateKey: "k" };
const owner = "labtest/veth/p";
const base = { connection, owner, name: "v0", peerName: "eth1" };

async function failures(news: Record<string, unknown>): Promise<Record<string, string>> {
  const r = await veth.check({}, { ...base, ...news });
  return Object.fromEntries((r.failures ?? []).map((f) => [f.property, f.reason]));
}
async function failed(news: Record<string, unknown>): Promise<string[]> {
  return Object.keys(await failures(news)).sort();
}

describe("VethPair check", () => {
  it("normalizes: defaults, canonical sorted addresses, lower-case MACs", async () => {
    const r = await veth.check({}, { ...base, namespace: "a", addresses: ["2001:DB8::1/64", "198.18.100.1/24"], mac: "02:AA:00:00:00:01" });
    expect(r.failures).toBeUndefined();
    expect(r.inputs).toEqual({ ...base, namespace: "a", addresses: ["198.18.100.1/24", "2001:db8::1/64"], mac: "02:aa:00:00:00:01", up: true, peerUp: true });
  });

  it.each([
    ["name", "a;reboot"],
    ["name", "$(id)"],
    ["name", "a b"],
    ["name", "eth\n1"],
    ["name", "sixteen-chars-xx"],
    ["name", "-rf"],
    ["peerName", "`id`"],
    ["namespace", "a b"],
    ["namespace", "-all"],
    ["peerNamespace", "$(touch /tmp/x)"],
    ["peerNamespace", "x".repeat(65)],
  ])("refuses %s %j", async (prop, value) => {
    expect(await failed({ [prop]: value })).toEqual([prop]);
  });

  it("refuses every hostile string as an interface or namespace name unless it is a plain name", async () => {
    for (const s of HOSTILE) {
      const plain = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(s);
      expect(await failed({ peerName: s })).toEqual(plain && s.length <= 15 ? [] : ["peerName"]);
      expect(await failed({ namespace: s })).toEqual(plain ? [] : ["namespace"]);
    }
  });

  it.each([
    ["addresses", ["198.18.0.1"]],
    ["addresses", ["198.18.0.1/33"]],
    ["addresses", ["198.18.0.256/24"]],
    ["addresses", ["198.18.0.1/24; reboot"]],
    ["addresses", ["$(id)/24"]],
    ["addresses", ["fe80::1%eth0/64"]],
    ["peerAddresses", ["2001:db8::1/129"]],
    ["peerAddresses", "198.18.0.1/24"],
    ["mac", "02:00:00:00:00"],
    ["mac", "02-00-00-00-00-01"],
    ["mac", "01:00:5e:00:00:01"],
    ["peerMac", "00:00:00:00:00:00"],
    ["peerMac", "02:00:00:00:00:01\n"],
    ["mtu", 67],
    ["mtu", 65536],
    ["mtu", 1500.5],
    ["mtu", "1500"],
    ["up", "yes"],
    ["txChecksumOffload", "off"],
  ])("refuses %s %j", async (prop, value) => {
    // The failure names the element of a list (addresses.0), else the property.
    expect(await failed({ [prop]: value })).toEqual([Array.isArray(value) ? `${prop}.0` : prop]);
  });

  it("refuses bad gateways, each with its reason", async () => {
    const ns = { namespace: "a", addresses: ["198.18.100.1/24"] };
    expect(await failures({ ...ns, gateway: "198.18.100.254; reboot" })).toEqual({ gateway: expect.stringMatching(/IPv4 or IPv6 address/) });
    expect(await failures({ ...ns, gateway: "$(id)" })).toEqual({ gateway: expect.any(String) });
    expect(await failures({ ...ns, gateway: "198.18.100.256" })).toEqual({ gateway: expect.any(String) });
    expect(await failures({ ...ns, gateway: "198.18.101.1" })).toEqual({ gateway: expect.stringMatching(/inside the subnet of one of addresses/) });
    expect(await failures({ ...ns, gateway: "2001:db8::1" })).toEqual({ gateway: expect.stringMatching(/inside the subnet/) });
    expect(await failures({ namespace: "a", gateway: "198.18.100.254" })).toEqual({ gateway: expect.stringMatching(/needs addresses/) });
    expect(await failures({ ...ns, up: false, gateway: "198.18.100.254" })).toEqual({ gateway: expect.stringMatching(/needs the end up/) });
    // In the host namespace a default route would be the host's own: never.
    expect(await failures({ addresses: ["198.18.100.1/24"], gateway: "198.18.100.254" })).toEqual({ gateway: expect.stringMatching(/only allowed for an end inside a namespace/) });
    expect(await failures({ peerNamespace: "b", peerAddresses: ["2001:db8:1::2/64"], peerGateway: "2001:DB8:1::1" })).toEqual({});
  });

  it("refuses the same name twice in one namespace, allows it across namespaces", async () => {
    expect(await failed({ peerName: "v0" })).toEqual(["peerName"]);
    expect(await failed({ peerName: "v0", namespace: "a", peerNamespace: "a" })).toEqual(["peerName"]);
    expect(await failed({ name: "eth1", peerName: "eth1", namespace: "a", peerNamespace: "b" })).toEqual([]);
    expect(await failed({ name: "eth1", peerName: "eth1", peerNamespace: "b" })).toEqual([]);
  });

  it("does not judge values that are not known yet", async () => {
    expect(await failed({ namespace: UNKNOWN, peerNamespace: UNKNOWN, peerName: "v0" })).toEqual([]);
    expect(await failed({ namespace: "a", addresses: UNKNOWN, gateway: "198.18.0.1" })).toEqual([]);
    expect(await failed({ namespace: "a", addresses: ["198.18.0.2/24", UNKNOWN], gateway: "198.18.0.1" })).toEqual([]);
    expect(await failed({ name: UNKNOWN, mtu: UNKNOWN, mac: UNKNOWN })).toEqual([]);
  });
});

describe("VethPair diff", () => {
  const olds = { ...base, namespace: "a", peerNamespace: "b", up: true, peerUp: true, ifindex: 2, peerIfindex: 2 };
  const news = { ...base, namespace: "a", peerNamespace: "b", up: true, peerUp: true };
  it("no change", async () => {
    expect(await veth.diff("id", olds, news)).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
  });
  it("settings change in place", async () => {
    for (const [k, v] of Object.entries({ mtu: 1400, mac: "02:00:00:00:00:01", addresses: ["198.18.0.1/24"], up: false, peerGateway: "198.18.0.1", txChecksumOffload: false })) {
      expect(await veth.diff("id", olds, { ...news, [k]: v })).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    }
  });
  it("names and namespaces replace; deleting first only when an end would collide", async () => {
    expect(await veth.diff("id", olds, { ...news, peerName: "eth2" })).toEqual({ changes: true, replaces: ["peerName"], deleteBeforeReplace: true }); // v0 in a stays
    expect(await veth.diff("id", olds, { ...news, name: "v9", peerName: "eth9" })).toEqual({ changes: true, replaces: ["name", "peerName"], deleteBeforeReplace: false });
    expect(await veth.diff("id", olds, { ...news, namespace: "c", peerNamespace: "d" })).toEqual({ changes: true, replaces: ["namespace", "peerNamespace"], deleteBeforeReplace: false });
    // Ends moved to each other's namespace: v0 in b and eth1 in a are new names there...
    expect(await veth.diff("id", olds, { ...news, namespace: "b", peerNamespace: "a" })).toMatchObject({ deleteBeforeReplace: false });
    // ...but roles swapped (first end eth1 in b, peer v0 in a) reuse both old names in place.
    expect(await veth.diff("id", olds, { ...news, name: "eth1", namespace: "b", peerName: "v0", peerNamespace: "a" })).toMatchObject({ deleteBeforeReplace: true });
    expect(await veth.diff("id", olds, { ...news, name: UNKNOWN })).toEqual({ changes: true, replaces: ["name"], deleteBeforeReplace: true });
  });
  it("a different host never collides", async () => {
    expect(await veth.diff("id", olds, { ...news, connection: { ...connection, host: "198.18.0.11" } })).toMatchObject({ replaces: ["connection"], deleteBeforeReplace: false });
  });
  it("endsCollide", () => {
    expect(endsCollide({ name: "a", peerName: "b" }, { name: "b", peerName: "c" })).toBe(true);
    expect(endsCollide({ name: "a", peerName: "b" }, { name: "b", namespace: "x", peerName: "c" })).toBe(false);
  });
});

describe("VethPair plan and read-back", () => {
  const link = (f: string) => parseIpJson(fx(f))[0];
  const endLive = (f: string, extra: Partial<EndLive> = {}): EndLive => ({ link: link(f), addresses: [], gateways: {}, ...extra });
  const want = (extra: Record<string, unknown> = {}): VethInputs =>
    parseInputs(vethSchema, { ...base, owner, name: "v0", namespace: "ipfx-a", peerName: "eth1", peerNamespace: "ipfx-b", ...extra });

  it("finds out which namespace is missing from the probe's answers", () => {
    const q = veth.pairQuery(want());
    const gone = { stdout: "", stderr: fx("err-netns-missing.txt"), code: 255 };
    const noDev = { stdout: "", stderr: fx("err-device-missing.txt"), code: 1 };
    expect(q.parse([noDev, gone])).toEqual({ a: undefined, b: undefined, missingNamespaces: ["ipfx-b"] });
    expect(q.parse([noDev, noDev])).toEqual({ a: undefined, b: undefined });
  });

  it("creates the pair in one command, then configures each end", () => {
    const w = want({ mtu: 1400, addresses: ["198.18.100.1/24"], peerAddresses: ["198.18.100.2/24"], peerGateway: "198.18.100.1", peerTxChecksumOffload: false });
    expect(pairWrites(w, {}).map((c) => c.argv)).toEqual([
      ["ip", "link", "add", "name", "v0", "netns", "ipfx-a", "mtu", "1400", "type", "veth", "peer", "name", "eth1", "netns", "ipfx-b", "mtu", "1400"],
      ["ip", "-n", "ipfx-a", "link", "set", "dev", "v0", "alias", "pulumi-ovs-owner=labtest/veth/p"],
      ["ip", "-n", "ipfx-a", "addr", "replace", "198.18.100.1/24", "dev", "v0"],
      ["ip", "-n", "ipfx-a", "link", "set", "dev", "v0", "up"],
      ["ip", "-n", "ipfx-b", "link", "set", "dev", "eth1", "alias", "pulumi-ovs-owner=labtest/veth/p"],
      ["ip", "-n", "ipfx-b", "addr", "replace", "198.18.100.2/24", "dev", "eth1"],
      ["ip", "-n", "ipfx-b", "link", "set", "dev", "eth1", "up"],
      ["ip", "netns", "exec", "ipfx-b", "ethtool", "-K", "eth1", "tx", "off"],
      ["ip", "-n", "ipfx-b", "-4", "route", "replace", "default", "via", "198.18.100.1", "dev", "eth1"],
    ]);
  });

  it("refuses a foreign interface of the same name unless adopt, and a half-taken pair always", () => {
    const foreign = { ...link("addr-veth-ns-full.json"), ifalias: undefined };
    const live: PairLive = { a: endLive("addr-veth-ns-full.json", { link: foreign }), b: endLive("addr-veth-ns-peer.json") };
    expect(() => pairWrites(want(), live)).toThrow(/VethPair "v0" already exists .*adopt: true/s);
    expect(pairWrites(want({ adopt: true }), live).map((c) => c.argv)).toEqual([
      ["ip", "-n", "ipfx-a", "link", "set", "dev", "v0", "alias", "pulumi-ovs-owner=labtest/veth/p"],
      ["ip", "-n", "ipfx-b", "link", "set", "dev", "eth1", "alias", "pulumi-ovs-owner=labtest/veth/p"],
    ]);
    expect(() => pairWrites(want(), { b: live.b })).toThrow(/eth1 in namespace ipfx-b already exists without v0 in namespace ipfx-a as its peer/);
    expect(() => pairWrites(want({ adopt: true }), { a: live.a, b: endLive("addr-veth-down.json") })).toThrow(/is not a veth whose peer is eth1/);
    expect(() => pairWrites(want(), { missingNamespaces: ["ipfx-b"] })).toThrow(/namespace ipfx-b does not exist on the host .*NetNamespace/);
  });

  it("reports every declared field as the host has it", () => {
    const a = endLive("addr-veth-ns-full.json", { addresses: ["198.18.100.1/24"], txChecksumOffload: true });
    const b = endLive("addr-veth-ns-peer.json", { gateways: {} });
    const d = want({ mtu: 1500, mac: "02:00:00:00:00:01", addresses: ["198.18.100.1/24", "198.18.100.3/24"], peerAddresses: ["198.18.100.2/24"], peerGateway: "198.18.100.1", txChecksumOffload: false });
    expect(liveInputs(d, a, b)).toEqual({
      ...d,
      mtu: 1400,
      mac: "02:00:00:00:aa:01",
      addresses: ["198.18.100.1/24"],
      peerAddresses: [],
      up: true,
      peerUp: true,
      peerGateway: undefined,
      txChecksumOffload: true,
      peerTxChecksumOffload: undefined,
      gateway: undefined,
      peerMac: undefined,
    });
    const live = { a, b };
    expect(present(live, owner)).toBe(true);
    expect(present(live, "someone/else")).toBe(false);
    expect(present({ a }, owner)).toBe(false);
    expect(outputs(d, live)).toMatchObject({ ifindex: 2, peerIfindex: 2, macAddress: "02:00:00:00:aa:01", peerMacAddress: "02:00:00:00:aa:02" });
  });
});
