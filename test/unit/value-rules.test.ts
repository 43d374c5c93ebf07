import { portConvergeArgv, livePortSpec, type LivePort } from "../../provider/ovs/port";
import { bridgeConvergeArgv, liveInputs as bridgeLive } from "../../provider/resources/bridge";
import * as portMod from "../../provider/resources/port";
import { bridgeSchema } from "../../provider/schema/bridge";
import { natSchema } from "../../provider/schema/nat";
import { portSchema } from "../../provider/schema/port";
import { routeSchema } from "../../provider/schema/route";
import { tunnelFromOptions, tunnelSchema } from "../../provider/schema/tunnel";
import { vethSchema } from "../../provider/schema/veth";
import { MAP_KEY_MAX, MAP_VALUE_MAX, MAP_ENTRIES_MAX, MAP_TOTAL_MAX } from "../../provider/shared/values";
import type { z } from "zod";

/**
 * Every value check() accepts means the same to the host tool as to us, and is stored in the form the host
 * reports back (so a refresh right after `up` shows no drift). One describe per kind of value.
 */
const base = { connection: {}, owner: "proj/stack/t/n" };
const port = (extra: object) => ({ ...base, bridge: "br0", name: "p0", ...extra });
const internal = (extra: object) => port({ type: "internal", ...extra });
const vxlan = tunnelSchema("vxlan");
const tun = (extra: object) => ({ ...base, bridge: "br0", name: "vx0", remoteIp: "198.19.0.12", ...extra });
const route = (destination: string) => ({ ...base, destination, dev: "eth0" });

/** The failing properties (top-level, with the message) or the parsed value. */
function verdict<S extends z.ZodType>(schema: S, input: unknown): { ok: z.output<S> } | { bad: string[] } {
  const r = schema.safeParse(input);
  return r.success ? { ok: r.data } : { bad: r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`) };
}
const refused = (schema: z.ZodType, input: unknown, prop: string) => {
  const v = verdict(schema, input);
  expect("bad" in v && v.bad.some((m) => m.startsWith(prop))).toBe(true);
  return "bad" in v ? v.bad.join("; ") : "";
};

describe("CIDR: decimal prefix without leading zeros, canonical text", () => {
  it("refuses 198.18.1.2/010 (iproute2 reads the prefix as octal 8)", () => {
    refused(portSchema, internal({ addresses: ["198.18.1.2/010"] }), "addresses.0");
    refused(vethSchema, { ...base, name: "a", peerName: "b", addresses: ["198.18.1.2/010"] }, "addresses.0");
    refused(portSchema, internal({ addresses: ["198.18.1.2/33"] }), "addresses.0");
  });
  it("NatRule refuses leading zeros in prefixes and ports (iptables parses numbers with base 0)", () => {
    refused(natSchema, { ...base, source: "198.18.0.0/016" }, "source");
    refused(natSchema, { ...base, jump: "SNAT", protocol: "tcp", toSource: "198.18.41.2:08080" }, "toSource");
    expect(natSchema.parse({ ...base, jump: "SNAT", protocol: "tcp", toSource: "198.18.41.2:8080", source: "198.18.0.0/16" }).source).toBe("198.18.0.0/16");
  });
  it("stores an OvsPort IPv6 address as ip prints it", () => {
    expect(portSchema.parse(internal({ addresses: ["2001:DB8:0:0::1/64"] })).addresses).toEqual(["2001:db8::1/64"]);
  });
});

describe("route destination: one default route, decimal prefixes", () => {
  it("refuses leading zeros in the prefix", () => {
    refused(routeSchema, route("0.0.0.0/00"), "destination");
    expect(refused(routeSchema, route("198.0.0.0/08"), "destination")).toMatch(/leading zeros/);
  });
  it("stores every /0 and default as what `ip -j route` reports: default", () => {
    expect(routeSchema.parse(route("0.0.0.0/0")).destination).toBe("default");
    expect(routeSchema.parse(route("default")).destination).toBe("default");
    expect(routeSchema.parse(route("198.18.42.7")).destination).toBe("198.18.42.7/32");
  });
});

describe("IP addresses: canonical, no %scope", () => {
  it("stores tunnel remote/local IPs in RFC 5952 form", () => {
    const t = vxlan.parse(tun({ remoteIp: "2001:DB8:0:0::1", localIp: "2001:db8:0::2" }));
    expect([t.remoteIp, t.localIp]).toEqual(["2001:db8::1", "2001:db8::2"]);
    // glibc inet_ntop (what ip prints) ends a v4-mapped address in a dotted quad.
    expect(vxlan.parse(tun({ remoteIp: "::FFFF:C612:1" })).remoteIp).toBe("::ffff:198.18.0.1");
    expect(vethSchema.parse({ ...base, name: "a", namespace: "n", peerName: "b", addresses: ["2001:DB8::1/64"], gateway: "2001:DB8::2" }).gateway).toBe("2001:db8::2");
  });
  it("refuses a %scope suffix (Node's net.isIP accepts it)", () => {
    expect(refused(vxlan, tun({ remoteIp: "fe80::1%eth0" }), "remoteIp")).toMatch(/scope/);
    refused(vxlan, tun({ localIp: "fe80::1%eth0" }), "localIp");
  });
});

describe("MAC: one rule for OvsPort and VethPair", () => {
  it.each(["01:00:5e:00:00:01", "ff:ff:ff:ff:ff:ff", "00:00:00:00:00:00"])("OvsPort refuses %s like VethPair does", (m) => {
    refused(portSchema, internal({ mac: m }), "mac");
    refused(vethSchema, { ...base, name: "a", peerName: "b", mac: m }, "mac");
  });
  it("stores lower case", () => {
    expect(portSchema.parse(internal({ mac: "02:AA:00:00:00:01" })).mac).toBe("02:aa:00:00:00:01");
  });
});

describe("map keys and values", () => {
  it.each([
    ["a C1 control character", { k: "a\u0085b" }],
    ["a lone surrogate", { k: "a\ud800" }],
    ["a too long value", { k: "x".repeat(MAP_VALUE_MAX + 1) }],
    ["a too long key", { ["k".repeat(MAP_KEY_MAX + 1)]: "v" }],
    ["too much text in all", Object.fromEntries(Array.from({ length: Math.ceil(MAP_TOTAL_MAX / MAP_VALUE_MAX) + 1 }, (_, i) => [`k${i}`, "v".repeat(MAP_VALUE_MAX)]))],
    ["too many entries", Object.fromEntries(Array.from({ length: MAP_ENTRIES_MAX + 1 }, (_, i) => [`k${i}`, "v"]))],
  ])("refuses %s, naming the property", (_, m) => {
    refused(portSchema, port({ externalIds: m }), "externalIds");
    refused(bridgeSchema, { ...base, name: "br0", otherConfig: m }, "otherConfig");
    refused(vxlan, tun({ options: m }), "options");
  });
  it("refuses __proto__ as a key with a message", () => {
    const m = JSON.parse('{"__proto__": "v"}');
    expect(refused(portSchema, port({ options: m }), "options.__proto__")).toMatch(/options\.__proto__: must not be __proto__/);
    refused(bridgeSchema, { ...base, name: "br0", externalIds: m }, "externalIds");
  });
  it("check() names the key and the reason", async () => {
    const conn = { host: "198.18.0.11", user: "povs", privateKey: "k" };
    const r = await portMod.check({}, { connection: conn, owner: "p/s/OvsPort/p0", bridge: "br0", name: "p0", options: JSON.parse('{"__proto__": "v"}') });
    expect(r.failures).toEqual([{ property: "options.__proto__", reason: expect.stringMatching(/^must not be __proto__/) }]);
  });
  it("accepts the largest allowed entries", () => {
    expect("ok" in verdict(portSchema, port({ externalIds: { ["k".repeat(MAP_KEY_MAX)]: "v".repeat(MAP_VALUE_MAX) } }))).toBe(true);
  });

  it("removes a dropped `constructor` key from the host like any other key", () => {
    const old = { bridge: "br0", name: "p0", owner: "o", options: { constructor: "1", a: "1" }, externalIds: { toString: "1" } };
    const argv = portConvergeArgv({ bridge: "br0", name: "p0", owner: "o" }, old).join(" ");
    expect(argv).toContain('remove Interface p0 options "constructor" "a"');
    expect(argv).toContain('remove Port p0 external_ids "toString"');
    const b = bridgeConvergeArgv(bridgeSchema.parse({ ...base, name: "br0" }), bridgeSchema.parse({ ...base, name: "br0", otherConfig: { valueOf: "1" } }));
    expect(b.join(" ")).toContain('remove Bridge br0 other_config "valueOf"');
  });

  it("never reads a prototype member back as a host value", () => {
    const live: LivePort = { bridge: "br0", port: { uuid: "u", name: "p0", externalIds: {}, otherConfig: {} } as never, iface: { options: {} } as never };
    const spec = livePortSpec(live, { bridge: "br0", name: "p0", owner: "o", options: { constructor: "1" }, externalIds: { hasOwnProperty: "1" } });
    expect(spec.options).toEqual({});
    expect(spec.externalIds).toEqual({});
    const t = tunnelFromOptions(vxlan.parse(tun({ options: { constructor: "1" } })), { remote_ip: "198.19.0.12" });
    expect(t.options).toEqual({});
    const row = { name: "br0", externalIds: {}, otherConfig: {}, controllers: [] } as never;
    expect(bridgeLive(row, bridgeSchema.parse({ ...base, name: "br0", otherConfig: { toString: "x" } })).otherConfig).toEqual({});
  });
});

describe("OvsBridge controllers", () => {
  it.each([
    "punix:/tmp/ctl", // ovs-vswitchd (root) would replace /tmp/ctl with its socket
    "unix:/etc/shadow",
    "punix:/var/run/openvswitch/../../etc/passwd",
    "punix:/run/openvswitch//x",
    "tcp:198.18.0.1:0",
    "tcp:198.18.0.1:70000",
    "tcp:2001:db8::1:6653", // IPv6 must be bracketed
    "tcp:[198.18.0.1]:6653",
    "ssl:",
    "ptcp:0",
    "tcp:198.18.0.1:" + "1".repeat(300),
  ])("refuses %s", (c) => {
    refused(bridgeSchema, { ...base, name: "br0", controllers: [c] }, "controllers.0");
  });
  it("accepts the OVS forms and stores IPv6 canonical", () => {
    const ok = ["tcp:198.18.0.1:6653", "ssl:[2001:DB8::1]:6653", "ptcp:6653", "ptcp:6653:198.18.0.1", "pssl:6653:[::1]", "unix:/run/openvswitch/br0.ctl", "punix:/var/run/openvswitch/br0.mgmt"];
    const parsed = bridgeSchema.parse({ ...base, name: "br0", controllers: ok }).controllers;
    expect(parsed).toContain("ssl:[2001:db8::1]:6653");
    expect(parsed).toHaveLength(ok.length);
  });
});

describe("tunnels: typed fields and options never set the same OVS option", () => {
  it.each([
    ["remoteIp", "remote_ip", "198.19.0.13"],
    ["localIp", "local_ip", "198.19.0.11"],
    ["key", "key", "5"],
    ["inKey", "in_key", "5"],
    ["outKey", "out_key", "5"],
    ["dstPort", "dst_port", "4790"],
    ["tos", "tos", "0"],
    ["ttl", "ttl", "64"],
  ])("refuses %s beside options.%s, naming both", (field, option, value) => {
    const msg = refused(vxlan, tun({ options: { [option]: value } }), `options.${option}`);
    expect(msg).toContain(field);
    expect(msg).toContain(`options.${option}`);
  });
});
