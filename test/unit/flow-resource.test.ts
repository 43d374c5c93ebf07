import { forgetAllFacts } from "../../provider/host/facts";
import type { RemoteCommand, CommandResult } from "../../provider/transport/command";
import { ConnectionError, RemoteCommandError } from "../../provider/transport/errors";
import { BRIDGE_COLUMNS, CONTROLLER_COLUMNS, INTERFACE_COLUMNS, PORT_COLUMNS } from "../../provider/ovs/ovsdb";
import type { Flow } from "../../provider/ovs/flow-model";
import { parseFlow } from "../../provider/ovs/flow-parse";
import { cookieHex, formatDumpFlow, keyOf, matchWithPriority } from "../../provider/ovs/flow-format";
import { cookieFor } from "../../provider/ovs/flow-cookies";
import { UNKNOWN } from "../../provider/resources/framework";
import { forgetFacts } from "../../provider/host/facts";
import type { SshHost } from "../../provider/transport/pool";
import * as flow from "../../provider/resources/flow";
import { Managed } from "../helpers/provider";
import { HOSTILE } from "../helpers/hostile";

/**
 * FlowEntry's life cycle against a fake host that behaves like OVS where it matters: ADD replaces a flow with
 * the same table/priority/match, strict delete honours the cookie, dump-flows prints OVS's spelling
 * (dl_type=0x0800 -> ip, mod_dl_dst -> set_field), parse-flow refuses ct_mark (as on a bridge limited to OpenFlow 1.0) and unknown actions.
 * Every command is recorded, so tests assert the exact argv.
 */
class FakeOvs {
  label = "povs@198.18.0.11:22";
  calls: RemoteCommand[] = [];
  bridges = new Map<string, { protocols: string[]; flows: Flow[] }>();
  unreachable = false;

  constructor(bridges: Record<string, string[]> = { br0: [] }) {
    for (const [name, protocols] of Object.entries(bridges)) this.bridges.set(name, { protocols, flows: [] });
  }

  flows(bridge = "br0"): Flow[] {
    return this.bridges.get(bridge)!.flows;
  }

  /** A flow added by hand, as `ovs-ofctl add-flow br0 TEXT` would (later than the provider's read cache lives). */
  handAdd(text: string, bridge = "br0"): void {
    this.add(bridge, normalize(parseFlow(text)));
    forgetFacts(this as unknown as SshHost);
  }

  /** Changes made by hand behind the provider's back, after its read cache expired. */
  hand(change: (f: this) => void): void {
    change(this);
    forgetFacts(this as unknown as SshHost);
  }

  count(pred: (argv: string[]) => boolean): number {
    return this.calls.filter((c) => pred(c.argv)).length;
  }

  async run(cmd: RemoteCommand): Promise<CommandResult> {
    const r = this.exec(cmd);
    if (r.code !== 0) throw new RemoteCommandError(this.label, cmd.argv.join(" "), r.code, r.stdout, r.stderr);
    return r;
  }

  async runBatch(cmds: readonly RemoteCommand[]): Promise<(CommandResult | undefined)[]> {
    return cmds.map((c) => this.exec(c));
  }

  close(): void {}

  private add(bridge: string, f: Flow): void {
    const b = this.bridges.get(bridge)!;
    b.flows = b.flows.filter((x) => keyOf(x) !== keyOf(f));
    b.flows.push(f);
  }

  private exec(cmd: RemoteCommand): CommandResult {
    if (this.unreachable) throw new ConnectionError(this.label, "connect ECONNREFUSED");
    this.calls.push(cmd);
    const ok = (stdout = ""): CommandResult => ({ code: 0, stdout, stderr: "" });
    const fail = (stderr: string): CommandResult => ({ code: 1, stdout: "", stderr });
    const argv = cmd.argv;
    if (argv[0] === "ovs-vsctl") return ok(this.listAll());
    if (argv[0] !== "ovs-ofctl") return fail(`${argv[0]}: not found`);
    const rest = argv.slice(1).filter((a, i, all) => !a.startsWith("--") && a !== "-O" && all[i - 1] !== "-O");
    const [verb, bridge, spec] = rest;
    if (verb === "parse-flow") {
      const f = parseFlow(bridge);
      const bad = f.match.find((m) => m.key === "ct_mark" && m.value === "0x1") ?? (f.actions.some((a) => a.startsWith("frobnicate")) ? { key: "frobnicate" } : undefined);
      if (bad) return fail(bad.key === "ct_mark" ? "ovs-ofctl: none of the usable flow formats (NXM,OXM) is among the allowed flow formats (OpenFlow10)\n" : "ovs-ofctl: unknown action frobnicate\n");
      const n = normalize(f);
      const table = n.table ? `table:${n.table} ` : "";
      const m = matchWithPriority(n);
      return ok(`usable protocols: any\nchosen protocol: OpenFlow10-table_id\nOFPT_FLOW_MOD (xid=0x1): ADD ${table}${m ? `${m} ` : ""}actions=${n.actions.join(",")}\n`);
    }
    const b = this.bridges.get(bridge);
    if (!b) return fail(`ovs-ofctl: ${bridge} is not a bridge or a socket\n`);
    if (verb === "dump-flows") return ok(`OFPST_FLOW reply (OF1.5) (xid=0x2):\n${b.flows.map((f) => ` ${formatDumpFlow(f).replace(", table=", ", duration=3.5s, table=")}\n`).join("")}`);
    if (verb === "add-flows") {
      for (const line of (cmd.stdin ?? "").split("\n").filter((l) => l)) this.add(bridge, normalize(parseFlow(line)));
      return ok();
    }
    if (verb === "del-flows" && argv.includes("--strict")) {
      const target = normalize(parseFlow(`${spec},actions=drop`));
      b.flows = b.flows.filter((x) => !(keyOf(x) === keyOf(target) && x.cookie === target.cookie));
      return ok();
    }
    return fail(`unexpected ${argv.join(" ")}`);
  }

  private listAll(): string {
    const rows = [...this.bridges].map(([name, b]) =>
      BRIDGE_COLUMNS.map((c) =>
        ({ _uuid: ["uuid", `uuid-${name}`], name, protocols: ["set", b.protocols], datapath_type: "netdev", external_ids: ["map", []], other_config: ["map", []] } as Record<string, unknown>)[c] ?? ["set", []],
      ),
    );
    const table = (headings: string[], data: unknown[][]) => JSON.stringify({ headings, data });
    return [table(BRIDGE_COLUMNS, rows), table(PORT_COLUMNS, []), table(INTERFACE_COLUMNS, []), table(CONTROLLER_COLUMNS, [])].join("\n") + "\n";
  }
}

/** A few of OVS's own rewrites, so that printed form and declared text differ like they do on a real host. */
function normalize(f: Flow): Flow {
  const match = f.match.map((m) => (m.key === "dl_type" && m.value === "0x0800" ? { key: "ip" } : m));
  return {
    ...f,
    // OVS prints the protocol shorthand first, whatever the order it was written in.
    match: [...match.filter((m) => m.value === undefined), ...match.filter((m) => m.value !== undefined)],
    actions: f.actions.map((a) => a.replace(/^mod_dl_dst:(.*)$/, "set_field:$1->eth_dst")),
  };
}

let fake: FakeOvs;
jest.mock("../../provider/transport/pool", () => ({ ...jest.requireActual("../../provider/transport/pool"), hostFor: () => fake }));

// Restore state is tested in restore-file.test.ts and test/e2e/restore: here only OVS.
const conn = { host: "198.18.0.11", user: "povs", privateKey: "k", restoreOnBoot: false };
const OWNER = "proj/dev/FlowEntry/gw";
const COOKIE = cookieFor(OWNER);
const base = { connection: conn, owner: OWNER, bridge: "br0", table: 3, priority: 700, match: "in_port=1,dl_type=0x0800,nw_dst=198.18.20.100", actions: "mod_dl_dst:f2:70:38:c0:00:27,output:2" };
/** base as check() stores it: the EtherType as the protocol word dump-flows prints. */
const checkedBase = { ...base, match: "in_port=1,ip,nw_dst=198.18.20.100" };
const isVerb = (verb: string) => (argv: string[]) => argv[0] === "ovs-ofctl" && argv.includes(verb);

beforeEach(() => {
  fake = new FakeOvs();
});

describe("check", () => {
  const failures = async (news: Record<string, unknown>) => ((await flow.check({}, news)).failures ?? []).map((f) => f.property);

  it("applies defaults and keeps one spelling of the match", async () => {
    const r = await flow.check({}, { connection: conn, owner: OWNER, bridge: "br0", match: "in_port=1,  icmp", actions: "drop" });
    expect(r.failures ?? []).toEqual([]);
    expect(r.inputs).toMatchObject({ table: 0, priority: 32768, match: "in_port=1,icmp", actions: "drop" });
    const all = await flow.check({}, { connection: conn, owner: OWNER, bridge: "br0", actions: "NORMAL" });
    expect(all.inputs).toMatchObject({ match: "" });
  });

  it.each([
    ["match", "in_port=1;reboot"],
    ["match", "ip,nw_dst=$(reboot)"],
    ["match", "ip,`reboot`"],
    ["match", "ip\nnw_dst=198.18.1.1"],
    ["match", "ip\0"],
    ["match", "ip,(nw_dst=1"],
    ["match", "priority=5,ip"],
    ["match", "cookie=0x1"],
    ["match", "ip actions=drop"],
    ["actions", "drop,output:1 ; rm -rf /"],
    ["actions", "actions=drop,output:1 ; rm -rf /"],
    ["actions", "output:$(reboot)"],
    ["actions", "output:`id`"],
    ["actions", "output:1\noutput:2"],
    ["actions", "output:1\0"],
    ["actions", "learn(table=1,output:NXM_OF_IN_PORT[]"],
    ["actions", "resubmit(,1))"],
    ["actions", ""],
    ["actions", "output:1|tee"],
    ["actions", "output:1&"],
    ["table", 255],
    ["table", -1],
    ["table", 1.5],
    ["priority", 65536],
    ["idleTimeout", 70000],
    ["hardTimeout", -5],
    ["bridge", "br0;reboot"],
    ["bridge", "a-bridge-name-too-long"],
  ])("names %s for %j", async (property, value) => {
    expect(await failures({ ...base, [property]: value })).toEqual([property]);
  });

  it("rejects every hostile string that is not OpenFlow syntax, in match and in actions", async () => {
    for (const h of HOSTILE) {
      // Plain words are valid tokens ("plain" is left to the host's ovs-ofctl); blanks separate match fields.
      if (!/^[A-Za-z0-9_ ]*$/.test(h)) expect(await failures({ ...base, match: h })).toEqual(["match"]);
      if (!/^[A-Za-z0-9_]+$/.test(h)) expect(await failures({ ...base, actions: h })).toEqual(["actions"]);
    }
  });

  it("names every bad property at once", async () => {
    expect((await failures({ ...base, match: "a;b", actions: "", table: 300 })).sort()).toEqual(["actions", "match", "table"]);
  });

  it("does not judge unknown values during preview", async () => {
    expect(await failures({ ...base, match: UNKNOWN, actions: UNKNOWN, bridge: UNKNOWN })).toEqual([]);
  });

  it("rejects typos and outputs given as inputs", async () => {
    expect(await failures({ ...base, acitons: "drop" })).toEqual(["(inputs)"]);
  });
});

describe("diff", () => {
  const outs = { ...base, cookie: cookieHex(COOKIE), normalizedMatch: "ip,in_port=1,nw_dst=198.18.20.100", normalizedActions: "set_field:f2:70:38:c0:00:27->eth_dst,output:2" };
  const d = (news: Record<string, unknown>, olds: Record<string, unknown> = outs) => flow.diff("id", olds, news);

  it("sees no change when the inputs are the same (normalized outputs are not inputs)", async () => {
    expect(await d(base)).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
  });

  it("updates actions and timeouts in place", async () => {
    expect(await d({ ...base, actions: "drop" })).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    expect(await d({ ...base, idleTimeout: 30 })).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    expect(await d({ ...base, hardTimeout: 60 })).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
  });

  it("compares the declared text, not OVS's printed form", async () => {
    expect((await d({ ...base, actions: outs.normalizedActions })).changes).toBe(true);
  });

  it("replaces for another bridge, table or priority, creating the new flow first", async () => {
    expect(await d({ ...base, bridge: "br1" })).toEqual({ changes: true, replaces: ["bridge"], deleteBeforeReplace: false });
    expect(await d({ ...base, table: 4 })).toEqual({ changes: true, replaces: ["table"], deleteBeforeReplace: false });
    expect(await d({ ...base, priority: 701 })).toEqual({ changes: true, replaces: ["priority"], deleteBeforeReplace: false });
  });

  it("replaces for another match, deleting first (the two spellings may be one OpenFlow flow under one cookie)", async () => {
    expect(await d({ ...base, match: "in_port=1,ip,nw_dst=198.18.20.100" })).toEqual({ changes: true, replaces: ["match"], deleteBeforeReplace: true });
    expect(await d({ ...base, match: "in_port=2,ip" })).toEqual({ changes: true, replaces: ["match"], deleteBeforeReplace: true });
  });

  it("replaces without deleting first when the host changes", async () => {
    expect(await d({ ...base, connection: { ...conn, host: "198.18.0.12" } })).toEqual({ changes: true, replaces: ["connection"], deleteBeforeReplace: false });
  });

  it("updates when a refresh found the flow under a foreign cookie", async () => {
    expect(await d(base, { ...outs, cookie: "0x0" })).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
  });

  it("treats unknown values as changes", async () => {
    expect((await d({ ...base, match: UNKNOWN })).replaces).toEqual(["match"]);
    expect((await d({ ...base, actions: UNKNOWN })).changes).toBe(true);
  });
});

describe("life cycle against a fake OVS", () => {
  const ALL = "OpenFlow10,OpenFlow11,OpenFlow12,OpenFlow13,OpenFlow14,OpenFlow15";

  it("creates with one validation round trip, writes on stdin, and keeps OVS's printed form", async () => {
    const m = await new Managed(flow, base).create();
    expect(m.outs).toMatchObject({
      ...checkedBase,
      cookie: cookieHex(COOKIE),
      normalizedMatch: "ip,in_port=1,nw_dst=198.18.20.100",
      normalizedActions: "set_field:f2:70:38:c0:00:27->eth_dst,output:2",
    });
    expect(m.id).toBe(`198.18.0.11/br0/table=3,priority=700,cookie=${cookieHex(COOKIE)}`);
    expect(fake.calls.map((c) => c.argv)).toEqual([
      expect.arrayContaining(["ovs-vsctl", "list", "Bridge"]),
      ["ovs-ofctl", "--timeout=30", "-O", ALL, "parse-flow", "table=3,priority=700,in_port=1,ip,nw_dst=198.18.20.100,actions=drop"],
      ["ovs-ofctl", "--timeout=30", "-O", ALL, "parse-flow", `cookie=${cookieHex(COOKIE)},table=3,priority=700,in_port=1,ip,nw_dst=198.18.20.100,actions=mod_dl_dst:f2:70:38:c0:00:27,output:2`],
      ["ovs-ofctl", "--timeout=30", "-O", ALL, "--no-names", "dump-flows", "br0"],
      ["ovs-ofctl", "--timeout=30", "-O", ALL, "--no-names", "--bundle", "add-flows", "br0", "-"],
      ["ovs-ofctl", "--timeout=30", "-O", ALL, "--no-names", "dump-flows", "br0"],
    ]);
    expect(fake.calls[4].stdin).toBe(`cookie=${cookieHex(COOKIE)},table=3,priority=700,in_port=1,ip,nw_dst=198.18.20.100,actions=mod_dl_dst:f2:70:38:c0:00:27,output:2\n`);
    expect(fake.flows()).toHaveLength(1);
  });

  it("writes timeouts and uses only the versions a restricted bridge allows, without --bundle below OpenFlow 1.4", async () => {
    fake = new FakeOvs({ br0: ["OpenFlow13"] });
    await new Managed(flow, { ...base, idleTimeout: 30, hardTimeout: 0 }).create();
    const add = fake.calls.find((c) => c.argv.includes("add-flows"))!;
    expect(add.argv).toEqual(["ovs-ofctl", "--timeout=30", "-O", "OpenFlow13", "--no-names", "add-flows", "br0", "-"]);
    expect(add.stdin).toMatch(/,priority=700,idle_timeout=30,in_port=1,/);
    expect(fake.flows()[0].idleTimeout).toBe(30);
    expect(fake.flows()[0].hardTimeout).toBeUndefined();
  });

  it("refuses a flow someone else wrote at the same table/priority/match, naming adopt, and changes nothing", async () => {
    fake.handAdd("table=3,priority=700,ip,in_port=1,nw_dst=198.18.20.100 actions=output:9");
    await expect(new Managed(flow, base).create()).rejects.toThrow(/FlowEntry "br0 table=3,priority=700,in_port=1.*" on povs@198\.18\.0\.11:22: .*adopt: true/);
    expect(fake.count(isVerb("add-flows"))).toBe(0);
    expect(fake.flows()[0].actions).toEqual(["output:9"]);
  });

  it("takes the flow over with adopt", async () => {
    fake.handAdd("table=3,priority=700,ip,in_port=1,nw_dst=198.18.20.100 actions=output:9");
    const m = await new Managed(flow, { ...base, adopt: true }).create();
    expect(fake.flows()).toHaveLength(1);
    expect(fake.flows()[0].cookie).toBe(COOKIE);
    expect(m.outs.normalizedActions).toBe("set_field:f2:70:38:c0:00:27->eth_dst,output:2");
  });

  it("leaves other flows alone: another priority, or our own leftover at the same identity", async () => {
    fake.handAdd("table=3,priority=701,ip,in_port=1,nw_dst=198.18.20.100 actions=output:9");
    fake.handAdd(`cookie=${cookieHex(COOKIE)},table=3,priority=700,ip,in_port=1,nw_dst=198.18.20.100 actions=output:8`);
    await new Managed(flow, base).create();
    expect(fake.flows().map((f) => f.actions.join(","))).toEqual(["output:9", "set_field:f2:70:38:c0:00:27->eth_dst,output:2"]);
  });

  it("rejects on the host, before anything changes, naming the property", async () => {
    await expect(new Managed(flow, { ...base, match: "ip,ct_mark=0x1" }).create()).rejects.toThrow(/match "ip,ct_mark=0x1" is not accepted by ovs-ofctl on the host: ovs-ofctl: none of the usable flow formats/);
    await expect(new Managed(flow, { ...base, actions: "frobnicate:3" }).create()).rejects.toThrow(/actions "frobnicate:3" is not accepted .*unknown action frobnicate[\s\S]*command: ovs-ofctl/);
    expect(fake.count(isVerb("add-flows"))).toBe(0);
  });

  it("fails clearly when the bridge does not exist", async () => {
    await expect(new Managed(flow, { ...base, bridge: "nobr" }).create()).rejects.toThrow(/bridge nobr does not exist/);
  });

  it("reads back exactly what was declared", async () => {
    const m = await new Managed(flow, base).create();
    const before = { ...m.outs };
    const r = await m.refresh();
    expect(r.props).toEqual(before);
    expect(r.inputs).toEqual(checkedBase);
    // Nothing drifted: the state's inputs stay (the read sends none back).
    expect(r.inputsReturned).toBe(false);
    expect(await m.diff()).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
  });

  it("reports a flow deleted by hand, or with its bridge, as gone", async () => {
    const m = await new Managed(flow, base).create();
    fake.hand((f) => (f.flows().length = 0));
    expect(await m.refresh()).toEqual({});
    const n = await new Managed(flow, { ...base, owner: "other" }).create();
    fake.hand((f) => f.bridges.delete("br0"));
    expect(await n.refresh()).toEqual({});
  });

  it("throws, never reports gone, when the host is unreachable", async () => {
    const m = await new Managed(flow, base).create();
    fake.hand((f) => (f.unreachable = true));
    await expect(m.refresh()).rejects.toThrow(/cannot connect/);
  });

  it("reports actions changed by hand (cookie kept), and an update repairs them", async () => {
    const m = await new Managed(flow, base).create();
    fake.handAdd(`cookie=${cookieHex(COOKIE)},table=3,priority=700,ip,in_port=1,nw_dst=198.18.20.100 actions=drop`);
    const r = await m.refresh();
    expect(r.inputs).toEqual({ ...checkedBase, actions: "drop" });
    expect(r.inputsReturned).toBe(true);
    expect(r.props).toMatchObject({ actions: "drop", normalizedActions: "drop", cookie: cookieHex(COOKIE) });
    expect(await m.diff(base)).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    await m.up(base);
    expect(fake.flows()).toHaveLength(1);
    expect(fake.flows()[0].actions).toEqual(["set_field:f2:70:38:c0:00:27->eth_dst", "output:2"]);
    expect((await m.refresh()).inputs).toEqual(checkedBase);
  });

  it("reports a flow re-added by hand under another cookie, and an update puts our cookie back", async () => {
    const m = await new Managed(flow, base).create();
    fake.hand((f) => (f.flows().length = 0));
    fake.handAdd("table=3,priority=700,ip,in_port=1,nw_dst=198.18.20.100 actions=mod_dl_dst:f2:70:38:c0:00:27,output:2"); // same actions, cookie 0
    const r = await m.refresh();
    expect(r.inputs).toEqual(checkedBase);
    expect(r.props).toMatchObject({ cookie: "0x0" });
    expect(await m.diff(base)).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    await m.up(base);
    expect(fake.flows().map((f) => f.cookie)).toEqual([COOKIE]);
    expect(m.outs.cookie).toBe(cookieHex(COOKIE));
  });

  it("reports timeouts set by hand", async () => {
    const m = await new Managed(flow, base).create();
    fake.handAdd(`cookie=${cookieHex(COOKIE)},table=3,priority=700,idle_timeout=99,ip,in_port=1,nw_dst=198.18.20.100 actions=mod_dl_dst:f2:70:38:c0:00:27,output:2`);
    expect((await m.refresh()).inputs).toEqual({ ...checkedBase, idleTimeout: 99 });
  });

  it("updates actions in place with one ADD under the same cookie", async () => {
    const m = await new Managed(flow, base).create();
    fake.calls = [];
    await m.up({ ...base, actions: "output:3", hardTimeout: 600 });
    expect(fake.count(isVerb("add-flows"))).toBe(1);
    expect(fake.count(isVerb("del-flows"))).toBe(0);
    expect(fake.flows()).toEqual([expect.objectContaining({ cookie: COOKIE, actions: ["output:3"], hardTimeout: 600 })]);
  });

  it("replaces on a priority change: new flow first, then only the old one deleted", async () => {
    const m = await new Managed(flow, base).create();
    const d = await m.up({ ...base, priority: 800 });
    expect(d.deleteBeforeReplace).toBe(false);
    expect(fake.flows().map((f) => f.priority)).toEqual([800]);
  });

  it("replaces on a match change that OVS sees as the same flow without losing it", async () => {
    const m = await new Managed(flow, base).create();
    await m.up({ ...base, match: "in_port=1,ip,nw_dst=198.18.20.100" });
    expect(fake.flows()).toHaveLength(1);
    expect((await m.refresh()).id).toBeTruthy();
  });

  it("deletes only its own flow, strictly", async () => {
    fake.handAdd("table=3,priority=700,ip,in_port=2 actions=drop");
    fake.handAdd("table=3,priority=700,ip,in_port=1,nw_dst=198.18.20.100 actions=output:9");
    const m = await new Managed(flow, { ...base, adopt: true }).create();
    fake.handAdd(`cookie=${cookieHex(COOKIE)},table=3,priority=1,ip actions=drop`); // our cookie, another identity
    // Deleted by the match dump-flows printed back (normalizedMatch), the one the host knows the flow by.
    fake.calls = [];
    await m.delete();
    expect(fake.calls.at(-1)?.argv).toEqual(["ovs-ofctl", "--timeout=30", "-O", ALL, "--no-names", "--strict", "del-flows", "br0", `cookie=${cookieHex(COOKIE)}/-1,table=3,priority=700,ip,in_port=1,nw_dst=198.18.20.100`]);
    expect(fake.flows().map((f) => `${f.priority}:${f.actions}`)).toEqual(["700:drop", "1:drop"]);
    await m.delete(); // idempotent
  });

  it("deletes nothing when the bridge is gone", async () => {
    const m = await new Managed(flow, base).create();
    fake.bridges.delete("br0");
    fake.calls = [];
    // In this process the snapshot may still show the bridge (a flow write keeps it): the host's
    // "not a bridge" answer then counts as gone.
    await m.delete();
    // A new process (a new engine operation) reads afresh and does not even try.
    forgetAllFacts();
    fake.calls = [];
    await m.delete();
    expect(fake.count(isVerb("del-flows"))).toBe(0);
  });

  it("reads many flows of one bridge with one dump-flows", async () => {
    const ms = [];
    for (let i = 0; i < 6; i++) ms.push(await new Managed(flow, { ...base, owner: `p/s/FlowEntry/f${i}`, priority: 100 + i }).create());
    fake.hand((f) => (f.calls = []));
    // One provider process, many reads at once (as the engine does during a refresh).
    const rs = await Promise.all(ms.map((m) => flow.read(m.id, m.outs)));
    expect(rs.every((r) => r.id)).toBe(true);
    expect(fake.count(isVerb("dump-flows"))).toBe(1);
    expect(fake.count((a) => a[0] === "ovs-vsctl")).toBe(1);
  });
});
