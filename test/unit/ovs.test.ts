import * as fs from "node:fs";
import * as path from "node:path";
import { listAllArgv, parseOvsState, withoutPorts } from "../../provider/ovs/ovsdb";
import { bridgeConvergeArgv, liveInputs } from "../../provider/resources/bridge";
import { bridgeSchema } from "../../provider/schema/bridge";
import { portConvergeArgv, findPort, livePortSpec } from "../../provider/ovs/port";
import { tunnelOptions, tunnelSchema } from "../../provider/schema/tunnel";

const fixture = fs.readFileSync(path.join(__dirname, "../fixtures/ovs/list-all.json"), "utf8");

describe("OVSDB list parser (captured ovs-vsctl 3.1 output)", () => {
  const state = parseOvsState(fixture);

  it("reads bridges with their maps, sets and controller targets", () => {
    const br0 = state.bridges.get("br0")!;
    expect(br0.datapathType).toBe("netdev");
    expect(br0.protocols).toEqual(["OpenFlow10", "OpenFlow13"]);
    expect(br0.externalIds["pulumi-ovs-owner"]).toBe("x");
    expect(br0.controllers).toEqual(["tcp:198.18.0.1:6653"]);
    expect(br0.failMode).toBeUndefined();
  });

  it("reads ports with VLAN settings and maps them to their bridge", () => {
    expect(state.ports.get("p1")?.tag).toBe(100);
    expect(state.ports.get("p2")?.trunks).toEqual([100, 200]);
    expect(state.ports.get("p2")?.vlanMode).toBe("trunk");
    expect(state.portBridge.get("p1")).toBe("br0");
    expect(state.portBridge.get("patch-a")).toBe("br1");
  });

  it("reads interfaces with type, options and requested values", () => {
    expect(state.interfaces.get("vx1")?.options).toEqual({ key: "flow", remote_ip: "198.19.0.12" });
    expect(state.interfaces.get("p1")?.mtuRequest).toBe(1400);
    expect(state.interfaces.get("patch-a")?.options.peer).toBe("patch-b");
  });

  it("derives the state after a del-port without touching the state it came from", () => {
    const p1 = state.ports.get("p1")!;
    const after = withoutPorts(state, ["p1"]);
    expect(after.ports.has("p1")).toBe(false);
    expect(after.portBridge.has("p1")).toBe(false);
    expect([...after.interfaces.values()].some((i) => p1.interfaces.includes(i.uuid))).toBe(false);
    expect(after.bridges.get("br0")?.ports).not.toContain(p1.uuid);
    expect(after.bridges.get("br0")?.ports).toHaveLength(state.bridges.get("br0")!.ports.length - 1);
    expect(after.ports.get("p2")).toBe(state.ports.get("p2")); // the rest is shared
    expect(state.ports.has("p1")).toBe(true);
    expect(state.bridges.get("br0")?.ports).toContain(p1.uuid);
    expect(withoutPorts(state, ["no-such-port"])).toBe(state);
  });

  it("derives the state after many del-ports in one copy, the same as removing them one by one", () => {
    const names = [...state.ports.keys()].filter((n) => !state.bridges.has(n)).slice(0, 3);
    expect(names.length).toBeGreaterThanOrEqual(2);
    const once = withoutPorts(state, [...names, "no-such-port"]);
    const oneByOne = names.reduce((s, n) => withoutPorts(s, [n]), state);
    expect([...once.ports.keys()]).toEqual([...oneByOne.ports.keys()]);
    expect([...once.interfaces.keys()]).toEqual([...oneByOne.interfaces.keys()]);
    expect([...once.portBridge]).toEqual([...oneByOne.portBridge]);
    expect([...once.bridges.values()].map((b) => b.ports)).toEqual([...oneByOne.bridges.values()].map((b) => b.ports));
    expect(withoutPorts(state, [])).toBe(state);
  });

  it("reads all four tables in one ovs-vsctl transaction", () => {
    const argv = listAllArgv();
    expect(argv.filter((a) => a === "list")).toHaveLength(4);
    expect(argv.filter((a) => a === "--")).toHaveLength(3);
  });
});

const base = { connection: { host: "198.18.0.11", user: "povs" }, owner: "proj/dev/OvsBridge/b" };

describe("OvsBridge commands", () => {
  it("creates with every declared setting in one transaction, marking ownership", () => {
    const want = bridgeSchema.parse({ ...base, name: "br0", datapathType: "netdev", failMode: "secure", protocols: ["OpenFlow13", "OpenFlow10"], externalIds: { role: "data" } });
    expect(bridgeConvergeArgv(want)).toEqual([
      "ovs-vsctl", "--timeout=30",
      "--may-exist", "add-br", "br0", "--",
      "set", "Bridge", "br0", "datapath_type=netdev", "fail_mode=secure", 'protocols=["OpenFlow10","OpenFlow13"]',
      'external_ids:"role"="data"', 'external_ids:"pulumi-ovs-owner"="proj/dev/OvsBridge/b"',
    ]);
  });

  it("removes dropped keys and clears dropped settings on update, leaving foreign keys alone", () => {
    const old = bridgeSchema.parse({ ...base, name: "br0", failMode: "secure", externalIds: { a: "1", b: "2" }, controllers: ["tcp:198.18.0.1:6653"] });
    const want = bridgeSchema.parse({ ...base, name: "br0", externalIds: { a: "1" } });
    const argv = bridgeConvergeArgv(want, old);
    expect(argv.join(" ")).toContain('remove Bridge br0 external_ids "b"');
    expect(argv.join(" ")).toContain("clear Bridge br0 fail_mode");
    expect(argv.join(" ")).toContain("del-controller br0");
    expect(argv.join(" ")).not.toContain("remove Bridge br0 external_ids \"a\"");
  });

  it("reports only declared fields and keys from the host", () => {
    const state = parseOvsState(fixture);
    const declared = bridgeSchema.parse({ ...base, name: "br0", otherConfig: { foo: "bar" } });
    const live = liveInputs(state.bridges.get("br0")!, declared);
    expect(live.otherConfig).toEqual({ foo: "bar" }); // "x" is foreign: not reported
    expect(live.protocols).toBeUndefined(); // not declared: never drift
  });
});

describe("port commands", () => {
  it("adds a tagged internal port with interface settings in one transaction", () => {
    expect(portConvergeArgv({ bridge: "br0", name: "p1", owner: "o", type: "internal", tag: 100, mtuRequest: 1400 })).toEqual([
      "ovs-vsctl", "--timeout=30",
      "--may-exist", "add-port", "br0", "p1", "--",
      "set", "Port", "p1", "tag=100", 'external_ids:"pulumi-ovs-owner"="o"', "--",
      "set", "Interface", "p1", 'type="internal"', "mtu_request=1400",
    ]);
  });

  it("clears a dropped tag and removes dropped options", () => {
    const argv = portConvergeArgv({ bridge: "br0", name: "p1", owner: "o", trunks: [100] }, { bridge: "br0", name: "p1", owner: "o", tag: 100, options: { a: "1" } });
    expect(argv.join(" ")).toContain("clear Port p1 tag");
    expect(argv.join(" ")).toContain('remove Interface p1 options "a"');
    expect(argv.join(" ")).toContain("trunks=[100]");
  });

  it("writes ovs-docker's Interface external_ids beside the Port's owner marker, and removes dropped keys", () => {
    const want = { bridge: "br0", name: "p1", owner: "o", interfaceExternalIds: { container_id: "web", container_iface: "eth1" } };
    expect(portConvergeArgv(want)).toEqual([
      "ovs-vsctl", "--timeout=30",
      "--may-exist", "add-port", "br0", "p1", "--",
      "set", "Port", "p1", 'external_ids:"pulumi-ovs-owner"="o"', "--",
      "set", "Interface", "p1", 'external_ids:"container_id"="web"', 'external_ids:"container_iface"="eth1"',
    ]);
    const argv = portConvergeArgv({ ...want, interfaceExternalIds: { container_id: "web" } }, want).join(" ");
    expect(argv).toContain('remove Interface p1 external_ids "container_iface"');
  });

  it("reads back only declared fields", () => {
    const state = parseOvsState(fixture);
    const live = livePortSpec(findPort(state, "p1")!, { bridge: "br0", name: "p1", owner: "o", tag: 5 });
    expect(live.tag).toBe(100);
    expect(live.trunks).toBeUndefined();
  });
});

describe("tunnel options", () => {
  it("maps typed fields to OVS options", () => {
    const t = tunnelSchema("vxlan").parse({ ...base, bridge: "br0", name: "vx1", remoteIp: "198.19.0.12", key: 5000, dstPort: 4789, ttl: "inherit" });
    expect(tunnelOptions(t)).toEqual({ remote_ip: "198.19.0.12", key: "5000", dst_port: "4789", ttl: "inherit" });
  });

  it("rejects a VNI above 24 bits and dstPort on GRE", () => {
    expect(tunnelSchema("vxlan").safeParse({ ...base, bridge: "b", name: "v", remoteIp: "198.19.0.1", key: 0x1000000 }).success).toBe(false);
    expect(tunnelSchema("gre").safeParse({ ...base, bridge: "b", name: "g", remoteIp: "198.19.0.1", key: 0x1000000 }).success).toBe(true);
    expect(tunnelSchema("gre").safeParse({ ...base, bridge: "b", name: "g", remoteIp: "198.19.0.1", dstPort: 1 }).success).toBe(false);
  });
});
