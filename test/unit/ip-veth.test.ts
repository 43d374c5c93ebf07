import * as fs from "node:fs";
import * as path from "node:path";
import {
  addressCmds,
  arePeers,
  endConvergeCmds,
  endQuery,
  endQueryCmds,
  ethtoolArgv,
  gatewayDelArgv,
  gatewayReplaceArgv,
  isGone,
  linkDelArgv,
  parseDefaultGateway,
  parseEndQuery,
  parseTxChecksumming,
  txOffloadArgv,
  vethAddArgv,
  type EndLive,
  type VethEnd,
} from "../../provider/ip/veth";
import { parseIpJson } from "../../provider/ip/ip";
import type { CommandResult } from "../../provider/transport/command";

const fx = (f: string) => fs.readFileSync(path.join(__dirname, "..", "fixtures", "ip", f), "utf8");
const okR = (stdout: string): CommandResult => ({ stdout, stderr: "", code: 0 });
const fail = (stderr: string, code = 1): CommandResult => ({ stdout: "", stderr, code });
const end = (e: Partial<VethEnd> & { name: string }): VethEnd => ({ up: true, ...e });
const argvs = (cmds: { argv: string[] }[]) => cmds.map((c) => c.argv);

describe("veth argv builders", () => {
  it("creates both ends directly in their namespaces, with `name` spelled out", () => {
    expect(vethAddArgv(end({ name: "v0" }), end({ name: "v1" }))).toEqual(["ip", "link", "add", "name", "v0", "type", "veth", "peer", "name", "v1"]);
    expect(vethAddArgv(end({ name: "a", namespace: "ns1", mtu: 1400, mac: "02:00:00:00:00:01" }), end({ name: "eth1", namespace: "web", mtu: 1400, mac: "02:00:00:00:00:02" }))).toEqual([
      "ip", "link", "add", "name", "a", "netns", "ns1", "mtu", "1400", "address", "02:00:00:00:00:01",
      "type", "veth", "peer", "name", "eth1", "netns", "web", "mtu", "1400", "address", "02:00:00:00:00:02",
    ]);
  });

  it("addresses each end in its own namespace", () => {
    expect(linkDelArgv({ name: "v0" })).toEqual(["ip", "link", "del", "dev", "v0"]);
    expect(linkDelArgv({ name: "v0", namespace: "ns1" })).toEqual(["ip", "-n", "ns1", "link", "del", "dev", "v0"]);
    expect(ethtoolArgv(undefined, "-k", "v0")).toEqual(["ethtool", "-k", "v0"]);
    expect(txOffloadArgv({ name: "eth1", namespace: "web" }, false)).toEqual(["ip", "netns", "exec", "web", "ethtool", "-K", "eth1", "tx", "off"]);
    expect(txOffloadArgv({ name: "v0" }, true)).toEqual(["ethtool", "-K", "v0", "tx", "on"]);
    expect(gatewayReplaceArgv({ name: "eth1", namespace: "web" }, "198.18.100.1")).toEqual(["ip", "-n", "web", "-4", "route", "replace", "default", "via", "198.18.100.1", "dev", "eth1"]);
    expect(gatewayDelArgv({ name: "eth1", namespace: "web" }, "2001:db8::1")).toEqual(["ip", "-n", "web", "-6", "route", "del", "default", "via", "2001:db8::1", "dev", "eth1"]);
  });

  it("asks only for what is declared (or was)", () => {
    expect(argvs(endQueryCmds(endQuery(end({ name: "v0" }))))).toEqual([["ip", "-j", "-d", "addr", "show", "dev", "v0"]]);
    const q = endQuery(end({ name: "eth1", namespace: "web", gateway: "198.18.100.1", txChecksumOffload: false }), end({ name: "eth1", namespace: "web", gateway: "2001:db8::1" }));
    expect(q.gatewayFamilies).toEqual([4, 6]);
    expect(argvs(endQueryCmds(q))).toEqual([
      ["ip", "-n", "web", "-j", "-d", "addr", "show", "dev", "eth1"],
      ["ip", "-n", "web", "-j", "-4", "route", "show", "default"],
      ["ip", "-n", "web", "-j", "-6", "route", "show", "default"],
      ["ip", "netns", "exec", "web", "ethtool", "-k", "eth1"],
    ]);
  });
});

describe("veth parsers (captured output)", () => {
  it("reads an end with addresses, alias and state", () => {
    const q = endQuery(end({ name: "v0", namespace: "ipfx-a" }));
    const live = parseEndQuery(q, [okR(fx("addr-veth-ns-full.json"))])!;
    expect(live.addresses).toEqual(["198.18.100.1/24", "2001:db8:100::1/64"]); // kernel order, no link-local
    expect(live.link).toMatchObject({ ifname: "v0", mtu: 1400, address: "02:00:00:00:aa:01", linkKind: "veth", ifalias: "pulumi-ovs-owner=labtest/veth/p" });
    expect(live.link.flags).toContain("UP");
  });

  it("reads default routes per family and offloads", () => {
    const q = endQuery(end({ name: "eth1", namespace: "ipfx-b", gateway: "198.18.100.1", txChecksumOffload: false }));
    const live = parseEndQuery(q, [okR(fx("addr-veth-ns-peer.json")), okR(fx("route-default-v4.json")), okR(fx("ethtool-k-off.txt"))])!;
    expect(live.gateways).toEqual({ 4: "198.18.100.1" });
    expect(live.txChecksumOffload).toBe(false);
    expect(parseDefaultGateway(fx("route-default-v6.json"), "eth1")).toBe("2001:db8:100::1");
    expect(parseDefaultGateway(fx("route-default-v4.json"), "eth0")).toBeUndefined(); // through another device
    expect(parseDefaultGateway(fx("route-default-none.json"), "eth1")).toBeUndefined();
    expect(parseDefaultGateway("", "eth1")).toBeUndefined();
    expect(parseTxChecksumming(fx("ethtool-k-on.txt"))).toBe(true);
    expect(parseTxChecksumming(fx("ethtool-k-off.txt"))).toBe(false);
    expect(() => parseTxChecksumming("Features for x:\nrx-checksumming: on\n")).toThrow(/tx-checksumming/);
  });

  it("gone is an answer, other failures are errors", () => {
    const q = endQuery(end({ name: "v0", namespace: "ns", txChecksumOffload: false }));
    for (const f of ["err-device-missing.txt", "err-netns-missing.txt", "err-netns-dangling.txt", "err-cannot-find-device.txt"]) {
      expect(isGone(fx(f))).toBe(true);
      expect(parseEndQuery(q, [fail(fx(f)), fail("netlink error: no device matches name")])).toBeUndefined();
    }
    expect(() => parseEndQuery(q, [fail("sudo: a password is required")])).toThrow(/cannot read v0 in namespace ns: sudo/);
    expect(() => parseEndQuery(q, [fail("sh: 1: ip: not found", 127)])).toThrow(/cannot read/);
    expect(() => parseEndQuery(q, [okR(fx("addr-veth-ns-full.json")), fail("sh: ethtool: not found", 127)])).toThrow(/is ethtool installed/);
  });

  it("recognizes a pair by crossed ifindexes", () => {
    const [a] = parseIpJson(fx("addr-veth-ns-full.json"));
    const [b] = parseIpJson(fx("addr-veth-ns-peer.json"));
    expect(arePeers(a, b)).toBe(true);
    const [h0] = parseIpJson(fx("addr-veth-host.json"));
    const [h1] = parseIpJson(fx("addr-veth-down.json"));
    expect(arePeers(h0, h1)).toBe(true);
    expect(arePeers(a, h1)).toBe(false);
    const [s0] = parseIpJson(fx("addr-veth-same-ns-a.json"));
    const [s1] = parseIpJson(fx("addr-veth-same-ns-b.json"));
    expect(s0.linkIndex).toBeUndefined(); // same namespace: named, not indexed
    expect(arePeers(s0, s1)).toBe(true);
    expect(arePeers(s0, h1)).toBe(false);
  });
});

describe("converging one end", () => {
  const marker = "pulumi-ovs-owner=o";
  const liveOf = (file: string, extra: Partial<EndLive> = {}): EndLive => {
    const link = parseIpJson(fx(file))[0];
    return { link, addresses: parseEndQuery(endQuery(end({ name: link.ifname })), [okR(fx(file))])!.addresses, gateways: {}, ...extra };
  };

  it("a fresh end: marker, addresses, up, offload, gateway — in that order", () => {
    const want = end({ name: "eth1", namespace: "web", mtu: 1400, addresses: ["198.18.100.2/24"], gateway: "198.18.100.1", txChecksumOffload: false });
    expect(argvs(endConvergeCmds(want, "fresh", undefined, marker))).toEqual([
      ["ip", "-n", "web", "link", "set", "dev", "eth1", "alias", marker],
      ["ip", "-n", "web", "addr", "replace", "198.18.100.2/24", "dev", "eth1"],
      ["ip", "-n", "web", "link", "set", "dev", "eth1", "up"],
      ["ip", "netns", "exec", "web", "ethtool", "-K", "eth1", "tx", "off"],
      ["ip", "-n", "web", "-4", "route", "replace", "default", "via", "198.18.100.1", "dev", "eth1"],
    ]);
    expect(argvs(endConvergeCmds(end({ name: "v0", up: false }), "fresh"))).toEqual([]);
  });

  it("an end that matches needs nothing", () => {
    const live = liveOf("addr-veth-ns-full.json");
    const want = end({ name: "v0", namespace: "ipfx-a", mtu: 1400, mac: "02:00:00:00:aa:01", addresses: ["198.18.100.1/24", "2001:db8:100::1/64"] });
    expect(endConvergeCmds(want, live, want, "pulumi-ovs-owner=labtest/veth/p")).toEqual([]);
  });

  it("repairs drift: MTU, MAC, a removed address, a foreign address, link down, offload, gateway", () => {
    const live = liveOf("addr-veth-down.json", { gateways: { 4: "198.18.101.254" }, txChecksumOffload: true });
    const want = end({ name: "h1", namespace: "a", mtu: 1400, mac: "02:00:00:00:00:07", addresses: ["198.18.101.2/24"], gateway: "198.18.101.1", txChecksumOffload: false });
    expect(argvs(endConvergeCmds(want, { ...live, addresses: ["198.18.101.9/24"] }, want, marker))).toEqual([
      ["ip", "-n", "a", "link", "set", "dev", "h1", "mtu", "1400", "address", "02:00:00:00:00:07", "alias", marker],
      ["ip", "-n", "a", "addr", "del", "198.18.101.9/24", "dev", "h1"],
      ["ip", "-n", "a", "addr", "replace", "198.18.101.2/24", "dev", "h1"],
      ["ip", "-n", "a", "link", "set", "dev", "h1", "up"],
      ["ip", "netns", "exec", "a", "ethtool", "-K", "h1", "tx", "off"],
      ["ip", "-n", "a", "-4", "route", "replace", "default", "via", "198.18.101.1", "dev", "h1"],
    ]);
  });

  it("fields dropped from the program go back to defaults; foreign addresses stay when none are declared", () => {
    const live: EndLive = { ...liveOf("addr-veth-host.json"), addresses: ["198.18.101.1/24", "198.18.101.50/24"] };
    live.link = { ...live.link, mtu: 1400 };
    const old = end({ name: "h0", mtu: 1400, addresses: ["198.18.101.1/24"], up: true });
    expect(argvs(endConvergeCmds(end({ name: "h0", up: false }), live, old))).toEqual([
      ["ip", "link", "set", "dev", "h0", "mtu", "1500"],
      ["ip", "addr", "del", "198.18.101.1/24", "dev", "h0"],
      // Deleting the primary took the secondary .50 with it: put it back.
      ["ip", "addr", "replace", "198.18.101.50/24", "dev", "h0"],
      ["ip", "link", "set", "dev", "h0", "down"],
    ]);
  });

  it("deletes secondaries before their primary, then re-applies every wanted address", () => {
    const e = { name: "v0", namespace: "a" };
    // Kernel order: primaries first (.2 and 198.18.7.1), then secondaries (.3, .4).
    const have = ["198.18.5.2/24", "198.18.7.1/24", "198.18.5.3/24", "198.18.5.4/24"];
    expect(addressCmds(e, have, ["198.18.5.3/24", "198.18.7.1/24"])).toEqual([
      ["ip", "-n", "a", "addr", "del", "198.18.5.4/24", "dev", "v0"],
      ["ip", "-n", "a", "addr", "del", "198.18.5.2/24", "dev", "v0"],
      ["ip", "-n", "a", "addr", "replace", "198.18.5.3/24", "dev", "v0"],
      ["ip", "-n", "a", "addr", "replace", "198.18.7.1/24", "dev", "v0"],
    ]);
    expect(addressCmds(e, have.slice(0, 2), [...have.slice(0, 2), "2001:db8::1/64"])).toEqual([["ip", "-n", "a", "addr", "replace", "2001:db8::1/64", "dev", "v0"]]);
    expect(addressCmds(e, have, have)).toEqual([]);
  });

  it("re-applies a kept gateway after address changes (they may have flushed it)", () => {
    const base = liveOf("addr-veth-ns-peer.json");
    const want = end({ name: "eth1", namespace: "b", addresses: ["198.18.100.12/24"], gateway: "198.18.100.1" });
    const live = { ...base, addresses: ["198.18.100.2/24"], gateways: { 4: "198.18.100.1" } };
    expect(argvs(endConvergeCmds(want, live, { ...want, addresses: ["198.18.100.2/24"] }))).toEqual([
      ["ip", "-n", "b", "addr", "del", "198.18.100.2/24", "dev", "eth1"],
      ["ip", "-n", "b", "addr", "replace", "198.18.100.12/24", "dev", "eth1"],
      ["ip", "-n", "b", "-4", "route", "replace", "default", "via", "198.18.100.1", "dev", "eth1"],
    ]);
  });

  it("removes a dropped gateway only while it is still there, and switches families cleanly", () => {
    const base = liveOf("addr-veth-ns-peer.json");
    const old = end({ name: "eth1", namespace: "b", addresses: ["198.18.100.2/24", "2001:db8:100::2/64"], gateway: "198.18.100.1" });
    const noGw = { ...old, gateway: undefined };
    expect(argvs(endConvergeCmds(noGw, { ...base, gateways: { 4: "198.18.100.1" } }, old))).toEqual([["ip", "-n", "b", "-4", "route", "del", "default", "via", "198.18.100.1", "dev", "eth1"]]);
    expect(argvs(endConvergeCmds(noGw, { ...base, gateways: { 4: "198.18.100.9" } }, old))).toEqual([]); // someone else's now
    const v6 = { ...old, gateway: "2001:db8:100::1" };
    expect(argvs(endConvergeCmds(v6, { ...base, gateways: { 4: "198.18.100.1" } }, old))).toEqual([
      ["ip", "-n", "b", "-4", "route", "del", "default", "via", "198.18.100.1", "dev", "eth1"],
      ["ip", "-n", "b", "-6", "route", "replace", "default", "via", "2001:db8:100::1", "dev", "eth1"],
    ]);
    // A dropped gateway goes before address changes that could flush it (its del would then fail).
    const moved = { ...noGw, addresses: ["198.18.100.12/24"] };
    expect(argvs(endConvergeCmds(moved, { ...base, addresses: ["198.18.100.2/24"], gateways: { 4: "198.18.100.1" } }, old))[0]).toEqual(["ip", "-n", "b", "-4", "route", "del", "default", "via", "198.18.100.1", "dev", "eth1"]);
  });
});
