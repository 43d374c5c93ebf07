import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { type CommandResult, type RemoteCommand, type ScriptJob, jobsScript, parseBatchOutput } from "../../provider/transport/command";
import { HostQueue, type Outcome, fanOut, plan } from "../../provider/transport/coalesce";
import { TAP_RELEASE_MIN, flowFileRule, isFlowTableWrite, isPortOnlyVsctl, parseFlowsRule, vsctlRule, vsctlWrite, vsctlWriteReleasingTaps } from "../../provider/ovs/merge";
import { portRemoveArgv, type LivePort } from "../../provider/ovs/port";
import { cachedFact, forgetAfterWrite } from "../../provider/host/facts";
import type { SshHost } from "../../provider/transport/pool";
import { addFlowMergeable, delFlowStrictCommand, parseFlowCommand } from "../../provider/ovs/flow-ofctl";
import { vsctl } from "../../provider/ovs/vsctl";

const nonce = "abcdef0123456789";
const ALL = "OpenFlow10,OpenFlow11,OpenFlow12,OpenFlow13,OpenFlow14,OpenFlow15";
const ok = (stdout = ""): CommandResult => ({ code: 0, stdout, stderr: "" });

function runLocally(script: string): string {
  return execFileSync("sh", ["-s"], { input: script, encoding: "utf8" });
}

const job = (argv: string[], extra: Partial<ScriptJob> = {}, stdin?: string): ScriptJob => ({ cmd: { argv, stdin }, ...extra });

describe("jobs script (one round trip of many callers)", () => {
  it("runs a wave's jobs side by side, waves in order, results in job order", () => {
    const waves: ScriptJob[][] = [
      [job(["sh", "-c", "sleep 0.3; echo slow >$0", "/dev/stdout"]), job(["sh", "-c", "echo oops >&2; exit 3"], { onFail: ["f1"] }), job(["cat"], {}, "from stdin\n")],
      [job(["echo", "skipped"], { skipIf: "f1" }), job(["echo", "after"], { skipIf: "f2" })],
    ];
    const t0 = Date.now();
    const res = parseBatchOutput(runLocally(jobsScript(waves, nonce, 16)), nonce, 5);
    expect(res).toEqual([
      { stdout: "slow\n", stderr: "", code: 0 },
      { stdout: "", stderr: "oops\n", code: 3 },
      { stdout: "from stdin\n", stderr: "", code: 0 },
      undefined,
      { stdout: "after\n", stderr: "", code: 0 },
    ]);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it("runs at most `parallel` jobs at a time, and a wave only after the one before", () => {
    const waves: ScriptJob[][] = [Array.from({ length: 4 }, () => job(["sleep", "0.2"])), [job(["sleep", "0.2"])]];
    const t0 = Date.now();
    parseBatchOutput(runLocally(jobsScript(waves, nonce, 2)), nonce, 5);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(580); // two waves of two, then one
  });

  it("keeps hostile arguments and stdin literal, and removes its temporary directory", () => {
    const evil = "$(id) `id` ; | && '\" \n POVS_IN_x";
    const waves: ScriptJob[][] = [[job(["printf", "%s", evil]), job(["cat"], {}, evil)], [job(["sh", "-c", 'echo "$0"', "x"])]];
    const out = runLocally(jobsScript(waves, nonce) + 'echo "TMP=$t"\n');
    const res = parseBatchOutput(out.slice(0, out.lastIndexOf("TMP=")), nonce, 3);
    const tmp = out.slice(out.lastIndexOf("TMP=") + 4).trim();
    expect(tmp).toMatch(/^\/tmp\//);
    expect(fs.existsSync(tmp)).toBe(false);
    expect(res[0]?.stdout).toBe(evil);
    expect(res[1]?.stdout).toBe(evil); // stdin arrives exactly, without a newline added
    // The EXIT trap is the outer shell's: a finished job must not remove the directory the others still write.
    expect(res[2]?.stdout).toBe("x\n");
  });

  it("refuses flag names it would have to quote", () => {
    expect(() => jobsScript([[job(["true"], { skipIf: "a;b" })]], nonce)).toThrow(/bad batch flag/);
  });
});

describe("merge rules", () => {
  it("chains ovs-vsctl writes into one transaction, each member after a --", () => {
    const a = vsctlWrite(vsctl(["--may-exist", "add-br", "b1"], ["set", "Bridge", "b1", "datapath_type=netdev"]));
    const b = vsctlWrite(vsctl(["add-port", "b1", "p1"]));
    expect(vsctlRule.merge([a, b]).argv).toEqual(["ovs-vsctl", "--timeout=30", "--may-exist", "add-br", "b1", "--", "set", "Bridge", "b1", "datapath_type=netdev", "--", "add-port", "b1", "p1"]);
    expect(vsctlRule.split(ok(), [a, b])).toEqual([ok(), ok()]);
    expect(vsctlRule.split({ code: 1, stdout: "", stderr: "ovs-vsctl: no bridge named nope\n" }, [a, b])).toBeUndefined();
    expect(() => vsctlWrite(["ovs-vsctl", "--format=json", "list", "Bridge"])).toThrow(/not an ovs-vsctl write/);
  });

  /** A port found on br0 whose UUID ends in its number (p2 -> ...000000000002). */
  const live = (name: string): LivePort => ({ bridge: "br0", port: { uuid: `00000000-0000-4000-8000-${name.replace(/\D/g, "").padStart(12, "0")}` } as LivePort["port"] });
  const removal = (name: string) => ["--if-exists", "remove", "Bridge", "br0", "ports", live(name).port.uuid];

  it("removes a port by the UUID it was found with, from the bridge that holds it, and only with a UUID", () => {
    expect(portRemoveArgv(live("p7"))).toEqual(["ovs-vsctl", "--timeout=30", "--no-wait", "--if-exists", "remove", "Bridge", "br0", "ports", "00000000-0000-4000-8000-000000000007"]);
    expect(() => portRemoveArgv({ bridge: "br0", port: { uuid: "p7 -- del-br br0" } as LivePort["port"] })).toThrow(/not an OVSDB UUID/);
  });

  it("releases the taps of deleted internal ports in one group delete before the merged transaction", () => {
    const plain = vsctlWrite(vsctl(["--if-exists", "del-port", "t0"]));
    const del = (name: string, ifindex: number) => vsctlWriteReleasingTaps(portRemoveArgv(live(name)), [{ name, ifindex }]);
    const [a, b, c] = [del("p2", 12), del("p1", 11), del("p3", 13)];
    const [sh, dashC, script, arg0, group, ...rest] = vsctlRule.merge([plain, a, b, c]).argv;
    expect([sh, dashC, arg0]).toEqual(["sh", "-c", "povs-release-taps"]);
    expect(script).not.toMatch(/p1|p2|p3/); // names are arguments, never script text
    expect(Number(group)).toBeGreaterThanOrEqual(0x10000000);
    // A member that waits (t0) makes the whole transaction wait; members' own --no-wait never lands mid-chain.
    expect(rest).toEqual(["p1:11", "p2:12", "p3:13", "--", "ovs-vsctl", "--timeout=30", "--if-exists", "del-port", "t0", "--", ...removal("p2"), "--", ...removal("p1"), "--", ...removal("p3")]);
    // Fewer than TAP_RELEASE_MIN taps: left to ovs-vswitchd, and removals alone do not wait for it.
    expect(TAP_RELEASE_MIN).toBe(3);
    expect(vsctlRule.merge([a, b]).argv).toEqual(["ovs-vsctl", "--timeout=30", "--no-wait", ...removal("p2"), "--", ...removal("p1")]);
    expect(a.argv).toEqual(["ovs-vsctl", "--timeout=30", "--no-wait", ...removal("p2")]);
    // Alone (a retry) with enough taps, a member carries its own release; without taps it is the plain write.
    const many = vsctlWriteReleasingTaps(portRemoveArgv(live("p2")), [{ name: "p2", ifindex: 12 }, { name: "p4", ifindex: 14 }, { name: "p5", ifindex: 15 }]);
    expect(many.argv.slice(3)).toEqual(["povs-release-taps", expect.any(String), "p2:12", "p4:14", "p5:15", "--", "ovs-vsctl", "--timeout=30", "--no-wait", ...removal("p2")]);
    expect(vsctlWriteReleasingTaps(plain.argv, [])).toEqual(plain);
    expect(vsctlRule.merge([plain]).argv[0]).toBe("ovs-vsctl");
    expect(() => vsctlWriteReleasingTaps(plain.argv, [{ name: "a;b", ifindex: 3 }])).toThrow(/not a tap/);
    expect(() => vsctlWriteReleasingTaps(plain.argv, [{ name: "p", ifindex: 0 }])).toThrow(/not a tap/);
  });

  it("the release script touches only named taps with OVS's ifindex, skips a group in use, and always runs the write", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "povs-taps-"));
    // A fake `ip`: three tun devices (p1, p3, other), a log of what it was asked.
    fs.writeFileSync(path.join(dir, "ip"), [
      "#!/bin/sh", 'echo "ip $*" >>"$D/log"',
      'case "$*" in',
      '  "-o link show group "*) [ -n "$BUSY" ] && echo "9: foreign: <UP>"; [ -f "$D/grouped" ] && cat "$D/grouped" ;;',
      "  \"-o link show type tun\") printf '5: p1: <BROADCAST> mtu 1500\\n6: p3: <BROADCAST> mtu 1500\\n7: other: <UP> mtu 1500\\n' ;;",
      '  "-force -batch -") cat >>"$D/log"; printf \'5: p1:\\n6: p3:\\n\' >"$D/grouped" ;;',
      "esac",
    ].join("\n"), { mode: 0o755 });
    fs.writeFileSync(path.join(dir, "ovs-vsctl"), '#!/bin/sh\necho "vsctl $*"\n', { mode: 0o755 });
    const run = (busy: boolean) => {
      fs.rmSync(path.join(dir, "log"), { force: true });
      fs.rmSync(path.join(dir, "grouped"), { force: true });
      const [, , script, ...args] = vsctlWriteReleasingTaps(vsctl(["del-port", "p1"]), [{ name: "p1", ifindex: 5 }, { name: "p2", ifindex: 8 }, { name: "p3", ifindex: 6 }, { name: "other", ifindex: 99 }]).argv;
      const out = execFileSync("sh", ["-c", script, ...args], { encoding: "utf8", env: { ...process.env, PATH: `${dir}:${process.env.PATH}`, D: dir, BUSY: busy ? "1" : "" } });
      return { out, log: fs.readFileSync(path.join(dir, "log"), "utf8") };
    };
    try {
      const free = run(false);
      expect(free.out).toBe("vsctl --timeout=30 del-port p1\n");
      const g = /group (\d+)/.exec(free.log)![1];
      expect(free.log).toContain(`link set dev p1 group ${g}\nlink set dev p3 group ${g}\n`);
      expect(free.log).not.toMatch(/other|p2/);
      expect(free.log).toContain(`ip link del group ${g}`);
      const busy = run(true);
      expect(busy.out).toBe(free.out);
      expect(busy.log).not.toMatch(/batch|link del/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("tells which writes cannot change flows, and which change only flows", () => {
    expect(isPortOnlyVsctl(vsctl(["--may-exist", "add-port", "b", "p"], ["set", "Interface", "p", "type=internal"], ["set", "Port", "p", "tag=5"]))).toBe(true);
    expect(isPortOnlyVsctl(vsctl(["--if-exists", "del-port", "p"], ["clear", "Port", "p", "tag"], ["remove", "Interface", "p", "options", '"key"']))).toBe(true);
    expect(isPortOnlyVsctl(vsctl(["add-port", "b", "p"], ["set", "Bridge", "b", "fail_mode=secure"]))).toBe(false);
    expect(isPortOnlyVsctl(vsctl(["--if-exists", "del-br", "b"]))).toBe(false);
    expect(isPortOnlyVsctl(portRemoveArgv(live("p1")))).toBe(true);
    expect(isPortOnlyVsctl(vsctl(["remove", "Bridge", "b", "protocols", "OpenFlow10"]))).toBe(false);
    expect(isPortOnlyVsctl(["ip", "link", "del", "p"])).toBe(false);
    expect(isFlowTableWrite(flowFileRule.merge([addFlowMergeable("br0", ALL, "table=0,actions=drop")]).argv)).toBe(true);
    expect(isFlowTableWrite(["ovs-ofctl", "--timeout=30", "-O", ALL, "mod-port", "br0", "p", "down"])).toBe(false);
  });

  it("a section is not idle while its read is out: idle time counts from the answer", async () => {
    jest.useFakeTimers();
    try {
      const host = {} as SshHost;
      let reads = 0;
      const slowRead = () => cachedFact(host, "ovs", () => new Promise<number>((r) => setTimeout(() => r(++reads), 2900)));
      const first = slowRead();
      await jest.advanceTimersByTimeAsync(2900);
      expect(await first).toBe(1);
      await jest.advanceTimersByTimeAsync(2000); // 4.9 s after the request, 2 s after the answer
      const again = slowRead();
      await jest.advanceTimersByTimeAsync(2900);
      expect(await again).toBe(1);
    } finally {
      jest.useRealTimers();
    }
  });

  it("a write forgets the host sections it may have changed, and only those", async () => {
    const host = {} as SshHost;
    let reads = 0;
    const read = (key: string) => cachedFact(host, key, async () => `${key}#${++reads}`);
    const sections = ["ovs", "ip:", "flows:br0:x"];
    let last = await Promise.all(sections.map(read));
    const reread = async () => {
      const now = await Promise.all(sections.map(read));
      const changed = now.map((v, i) => v !== last[i]);
      last = now;
      return changed;
    };
    forgetAfterWrite(host, addFlowMergeable("br0", ALL, "table=0,actions=drop"));
    expect(await reread()).toEqual([false, false, true]);
    forgetAfterWrite(host, vsctlWrite(vsctl(["add-port", "br0", "p"])));
    expect(await reread()).toEqual([true, true, false]);
    forgetAfterWrite(host, vsctlWriteReleasingTaps(vsctl(["--if-exists", "del-port", "p"]), [{ name: "p", ifindex: 4 }]));
    expect(await reread()).toEqual([true, true, false]);
    forgetAfterWrite(host, { argv: ["ip", "link", "set", "p", "up"] });
    expect(await reread()).toEqual([true, true, true]);
  });

  it("puts flow adds and strict deletes of one bridge into one add-flows file", () => {
    const add = addFlowMergeable("br0", ALL, "cookie=0x1,table=0,priority=5,actions=drop");
    const del = delFlowStrictCommand("br0", ALL, 2n, 0, 6, "tcp,tp_dst=80");
    expect(add.merge!.key).toBe(del.merge!.key);
    expect(addFlowMergeable("br1", ALL, "x").merge!.key).not.toBe(add.merge!.key);
    const merged = flowFileRule.merge([add, del]);
    expect(merged.argv).toEqual(["ovs-ofctl", "--timeout=30", "-O", ALL, "--no-names", "--bundle", "add-flows", "br0", "-"]);
    expect(merged.stdin).toBe("cookie=0x1,table=0,priority=5,actions=drop\ndelete_strict cookie=0x2/-1,table=0,priority=6,tcp,tp_dst=80\n");
    // Alone, the delete is still the plain strict del-flows the unit tests of FlowEntry know.
    expect(del.argv).toEqual(["ovs-ofctl", "--timeout=30", "-O", ALL, "--no-names", "--strict", "del-flows", "br0", "cookie=0x2/-1,table=0,priority=6,tcp,tp_dst=80"]);
    // OpenFlow 1.0 only: no bundles.
    expect(flowFileRule.merge([addFlowMergeable("br0", "OpenFlow10", "a"), addFlowMergeable("br0", "OpenFlow10", "b")]).argv).not.toContain("--bundle");
  });

  it("splits parse-flows output back into one parse-flow answer per member, or gives up", () => {
    const m = [parseFlowCommand(ALL, "table=0,priority=10,tcp,tp_dst=5,actions=drop"), parseFlowCommand(ALL, "table=3,priority=11,ip,actions=NORMAL")];
    const merged = parseFlowsRule.merge(m);
    expect(merged).toMatchObject({ argv: ["ovs-ofctl", "--timeout=30", "-O", ALL, "parse-flows", "-"], read: true });
    expect(merged.stdin).toBe("table=0,priority=10,tcp,tp_dst=5,actions=drop\ntable=3,priority=11,ip,actions=NORMAL\n");
    const out = [
      "usable protocols: OXM,OpenFlow10+table_id,NXM+table_id,OpenFlow11",
      "chosen protocol: OpenFlow10+table_id",
      "OFPT_FLOW_MOD (xid=0x1): ADD priority=10,tcp,tp_dst=5 actions=drop",
      "OFPT_FLOW_MOD (xid=0x2): ADD table:3 priority=11,ip actions=NORMAL",
      "",
    ].join("\n");
    const split = parseFlowsRule.split(ok(out), m)!;
    expect(split[1].stdout).toBe("usable protocols: OXM,OpenFlow10+table_id,NXM+table_id,OpenFlow11\nchosen protocol: OpenFlow10+table_id\nOFPT_FLOW_MOD (xid=0x2): ADD table:3 priority=11,ip actions=NORMAL\n");
    // A failure, a warning that belongs to one member, or a missing line: ask each member alone.
    expect(parseFlowsRule.split({ code: 1, stdout: "", stderr: "ovs-ofctl: -:2: unknown keyword bogus\n" }, m)).toBeUndefined();
    expect(parseFlowsRule.split({ code: 0, stdout: out, stderr: "normalization changed ofp_match, details:\n" }, m)).toBeUndefined();
    expect(parseFlowsRule.split(ok(out.split("\n").slice(0, 3).join("\n")), m)).toBeUndefined();
  });
});

describe("planning one round trip", () => {
  const w = (name: string) => vsctlWrite(vsctl(["add-port", "br0", name]));
  const read = (argv: string[], afterAll = false): RemoteCommand => ({ argv, read: true, afterAll });
  const argvOf = (p: ReturnType<typeof plan>) => p.waves.map((wave) => wave.map((j) => j.cmd.argv.join(" ")));

  it("merges stage-0 writes, shares identical reads, runs later stages in later waves and afterAll reads last", () => {
    const subs = [
      { cmds: [w("p1"), read(["ovs-vsctl", "list"], true)], stopOnError: true },
      { cmds: [read(["ovs-vsctl", "list"])], stopOnError: false },
      { cmds: [{ argv: ["ip", "link", "add", "x"] }, { argv: ["ip", "link", "set", "x", "up"] }], stopOnError: true },
      { cmds: [w("p2"), read(["ovs-vsctl", "list"], true)], stopOnError: true },
      { cmds: [read(["ovs-vsctl", "list"])], stopOnError: false },
      { cmds: [{ argv: ["echo", "not a read"] }], stopOnError: false },
      { cmds: [{ argv: ["echo", "not a read"] }], stopOnError: false },
    ];
    const p = plan(subs);
    expect(argvOf(p)).toEqual([
      ["ovs-vsctl --timeout=30 add-port br0 p1 -- add-port br0 p2", "ovs-vsctl list", "ip link add x", "echo not a read", "echo not a read"],
      ["ip link set x up"],
      ["ovs-vsctl list"],
    ]);
    // A failed merged write stops both its members; the ip link set runs only if ip link add worked.
    expect(p.waves[0][0].onFail).toEqual(["f0", "f3"]);
    expect(p.waves[0][2].onFail).toEqual(["f2"]);
    expect(p.waves[1][0].skipIf).toBe("f2");
    const flat: Outcome[] = [ok(), ok("before"), ok(), ok("1"), ok("2"), { code: 2, stdout: "", stderr: "no" }, ok("after")];
    const { results, retry } = fanOut(subs, p, flat);
    expect(retry).toEqual([]);
    expect(results[0]).toEqual([ok(), ok("after")]);
    expect(results[3]).toEqual([ok(), ok("after")]);
    expect(results[1]).toEqual([ok("before")]);
    expect(results[4]).toEqual([ok("before")]);
    expect(results[2]).toEqual([ok(), { code: 2, stdout: "", stderr: "no" }]);
    expect(results[5]).toEqual([ok("1")]);
    expect(results[6]).toEqual([ok("2")]);
  });

  it("a failed merged write sends its submissions to a retry, whole; a shared read answers nothing after a failure", () => {
    const subs = [
      { cmds: [w("p1"), read(["ovs-vsctl", "list"], true)], stopOnError: true },
      { cmds: [w("p2"), read(["ovs-vsctl", "list"], true)], stopOnError: true },
      { cmds: [{ argv: ["true"] }], stopOnError: false },
    ];
    const p = plan(subs);
    const { results, retry } = fanOut(subs, p, [{ code: 1, stdout: "", stderr: "ovs-vsctl: no bridge named br0" }, ok(), ok("state")]);
    expect(retry).toEqual([0, 1]);
    expect(results[2]).toEqual([ok()]);
    // The retry: each write alone (no merging), the read-back still shared and still last.
    expect(argvOf(plan([subs[0], subs[1]], false))).toEqual([["ovs-vsctl --timeout=30 add-port br0 p1", "ovs-vsctl --timeout=30 add-port br0 p2"], ["ovs-vsctl list"]]);
    const again = fanOut([subs[0], subs[1]], plan([subs[0], subs[1]], false), [ok(), { code: 1, stdout: "", stderr: "no bridge" }, ok("state")]).results;
    expect(again).toEqual([[ok(), ok("state")], [{ code: 1, stdout: "", stderr: "no bridge" }, undefined]]);
  });

  it("a lone mergeable command runs as itself; afterAll reads must end their submission", () => {
    const subs = [{ cmds: [w("p1")], stopOnError: false }];
    expect(plan(subs).waves[0][0].cmd).toBe(subs[0].cmds[0]);
    expect(() => plan([{ cmds: [read(["a"], true), w("p")], stopOnError: true }])).toThrow(/must end/);
  });
});

/** An executor that records the round trips and answers like a host where bridge "nope" does not exist. */
function fakeHost(delayMs = 20) {
  const trips: ScriptJob[][][] = [];
  const exec = async (waves: readonly ScriptJob[][]): Promise<Outcome[]> => {
    trips.push([...waves]);
    await new Promise((r) => setTimeout(r, delayMs));
    // A merged transaction with a bad member fails as a whole, like OVSDB.
    return waves.flat().map((j) => (j.cmd.argv.includes("nope") ? { code: 1, stdout: "", stderr: `ovs-vsctl: no bridge named nope\n` } : ok(j.cmd.argv.join(" "))));
  };
  return { trips, exec };
}

describe("HostQueue", () => {
  const opts = { windowMs: 5, maxBatch: 512, maxInFlight: 1 };
  const port = (br: string, p: string) => vsctlWrite(vsctl(["add-port", br, p]));

  it("sends what arrives within the window as one round trip, and what arrives meanwhile as the next", async () => {
    const { trips, exec } = fakeHost(30);
    const q = new HostQueue(exec, opts);
    const first = Array.from({ length: 30 }, (_, i) => q.submit([port("br0", `p${i}`)], false));
    // Until the first round trip is out (waiting for it, not a fixed time: a loaded machine fires timers late).
    while (trips.length === 0) await new Promise((r) => setTimeout(r, 1));
    const second = Array.from({ length: 30 }, (_, i) => q.submit([port("br0", `q${i}`)], false));
    const all = await Promise.all([...first, ...second]);
    expect(trips).toHaveLength(2);
    expect(trips.map((t) => t.flat().length)).toEqual([1, 1]); // one transaction each
    expect(all.every((r) => r[0]?.code === 0)).toBe(true);
  });

  it("waits for a quiet gap, but no longer than maxWaitMs after the first arrival", async () => {
    const stream = async (q: HostQueue) => {
      const subs: Promise<Outcome[]>[] = [];
      for (let i = 0; i < 20; i++) {
        subs.push(q.submit([{ argv: ["echo", String(i)] }], false));
        await new Promise((r) => setTimeout(r, 5));
      }
      await Promise.all(subs);
    };
    const steady = fakeHost(1);
    await stream(new HostQueue(steady.exec, { windowMs: 300, maxWaitMs: 10_000, maxBatch: 512, maxInFlight: 1 }));
    expect(steady.trips).toHaveLength(1); // arrivals 5 ms apart never leave a 300 ms gap
    const capped = fakeHost(1);
    await stream(new HostQueue(capped.exec, { windowMs: 300, maxWaitMs: 20, maxBatch: 512, maxInFlight: 1 }));
    expect(capped.trips.length).toBeGreaterThanOrEqual(2);
    const lone = fakeHost(1);
    const t0 = Date.now();
    await new HostQueue(lone.exec, { windowMs: 5, maxWaitMs: 10_000, maxBatch: 512, maxInFlight: 1 }).submit([{ argv: ["true"] }], false);
    expect(Date.now() - t0).toBeLessThan(5_000); // went after the gap, not the cap
  });

  it("waits for the longer stream gap only once many submissions wait", async () => {
    const burst = async (q: HostQueue, n: number, gapMs: number) => {
      const subs: Promise<Outcome[]>[] = [];
      for (let i = 0; i < n; i++) {
        subs.push(q.submit([{ argv: ["echo", String(i)] }], false));
        await new Promise((r) => setTimeout(r, gapMs));
      }
      await Promise.all(subs);
    };
    const opts = { windowMs: 5, streamWindowMs: 300, streamBatch: 4, maxWaitMs: 10_000, maxBatch: 512, maxInFlight: 1 };
    // Three at a time, 40 ms apart: each leaves after the short gap (a long one would have held them together).
    const few = fakeHost(1);
    await burst(new HostQueue(few.exec, opts), 3, 40);
    expect(few.trips).toHaveLength(3);
    // Once 4 wait, a 40 ms pause no longer ends the batch: what came before and after it leaves as one round trip.
    const many = fakeHost(1);
    const q = new HostQueue(many.exec, opts);
    const t0 = Date.now();
    const subs = Array.from({ length: 8 }, (_, i) => q.submit([{ argv: ["echo", String(i)] }], false));
    await new Promise((r) => setTimeout(r, 40));
    subs.push(q.submit([{ argv: ["echo", "late"] }], false));
    await Promise.all(subs);
    expect(many.trips).toHaveLength(1);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250); // it waited for the stream gap
  });

  it("does not take a pause of its own event loop for a pause in arrivals", async () => {
    // A request that reached the socket while the loop was blocked (GC, a large parse) is read after the
    // timers run: it still joins the batch the timer was about to send.
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port: tcp } = server.address() as net.AddressInfo;
    const sockets: net.Socket[] = [];
    const accepted = new Promise<net.Socket>((r) => server.once("connection", (c) => (sockets.push(c), r(c))));
    const client = net.connect(tcp, "127.0.0.1");
    sockets.push(client);
    const peer = await accepted;
    const host = fakeHost(1);
    const q = new HostQueue(host.exec, { windowMs: 5, maxWaitMs: 10_000, maxBatch: 512, maxInFlight: 1 });
    const late = new Promise<Outcome[]>((r) => peer.once("data", () => r(q.submit([{ argv: ["echo", "late"] }], false))));
    const first = q.submit([{ argv: ["echo", "first"] }], false);
    client.write("x"); // arrives while the loop is blocked below
    const until = Date.now() + 30;
    while (Date.now() < until) {
      /* a 30 ms stall of the event loop, longer than the window */
    }
    await Promise.all([first, late]);
    for (const x of sockets) x.destroy();
    server.close();
    expect(host.trips).toHaveLength(1);
  });

  it("flushes early when the batch is large", async () => {
    const { trips, exec } = fakeHost(1);
    const q = new HostQueue(exec, { windowMs: 10_000, maxBatch: 4, maxInFlight: 4 });
    await Promise.all(Array.from({ length: 8 }, (_, i) => q.submit([{ argv: ["echo", String(i)] }], false)));
    expect(trips.map((t) => t.flat().length)).toEqual([4, 4]);
  });

  it("a failing member is named by its own result; the others are applied (two round trips)", async () => {
    const { trips, exec } = fakeHost(5);
    const stats = { batches: 0, submissions: 0, mergedCommands: 0, mergedMembers: 0, mergeRetries: 0, sharedReads: 0 };
    const q = new HostQueue(exec, opts, stats);
    const rs = await Promise.all(["br0", "br0", "nope", "br0"].map((br, i) => q.submit([port(br, `p${i}`)], false)));
    expect(rs.map((r) => r[0]?.code)).toEqual([0, 0, 1, 0]);
    expect(rs[2][0]?.stderr).toMatch(/no bridge named nope/);
    expect(trips).toHaveLength(2);
    expect(trips[0].flat()).toHaveLength(1); // the merged transaction
    expect(trips[1].flat().map((j) => j.cmd.argv.slice(2).join(" "))).toEqual(["add-port br0 p0", "add-port br0 p1", "add-port nope p2", "add-port br0 p3"]);
    expect(stats).toMatchObject({ batches: 1, submissions: 4, mergedCommands: 1, mergedMembers: 4, mergeRetries: 1 });
  });

  it("a transport failure rejects every submission of that round trip", async () => {
    const q = new HostQueue(async () => Promise.reject(new Error("connection lost")), opts);
    const rs = await Promise.allSettled([q.submit([{ argv: ["a"] }], false), q.submit([{ argv: ["b"] }], false)]);
    expect(rs.map((r) => r.status)).toEqual(["rejected", "rejected"]);
  });

  it("keeps at most maxInFlight round trips out", async () => {
    let out = 0;
    let peak = 0;
    const exec = async (waves: readonly ScriptJob[][]): Promise<Outcome[]> => {
      peak = Math.max(peak, ++out);
      await new Promise((r) => setTimeout(r, 10));
      out--;
      return waves.flat().map(() => ok());
    };
    const q = new HostQueue(exec, { windowMs: 0, maxBatch: 1, maxInFlight: 2 });
    await Promise.all(Array.from({ length: 10 }, (_, i) => q.submit([{ argv: ["echo", String(i)] }], false)));
    expect(peak).toBe(2);
  });
  it("takes its first batch only once the connection is up: what arrives while it is dialed leaves with it", async () => {
    const { trips, exec } = fakeHost(5);
    let dialed!: () => void;
    const dial = new Promise<void>((r) => (dialed = r));
    const q = new HostQueue(exec, opts, undefined, () => dial);
    const early = q.submit([{ argv: ["ovs-vsctl", "list", "Bridge"], read: true }], false);
    await new Promise((r) => setTimeout(r, 20)); // past the window: the first flush waits on the dial
    const late = q.submit([{ argv: ["ovs-ofctl", "dump-flows", "br0"], read: true }], false);
    dialed();
    await Promise.all([early, late]);
    expect(trips).toHaveLength(1);
    expect(trips[0].flat().map((j) => j.cmd.argv[0])).toEqual(["ovs-vsctl", "ovs-ofctl"]);
  });

  it("a connection that cannot be made fails the batch it held back with its own error, and the next batch tries again", async () => {
    const { trips, exec } = fakeHost(1);
    let dials = 0;
    const q = new HostQueue(exec, opts, undefined, async () => {
      if (dials++ === 0) throw new Error("cannot connect to povs@198.18.0.11:22: ECONNREFUSED");
    });
    await expect(q.submit([{ argv: ["true"] }], false)).rejects.toThrow(/ECONNREFUSED/);
    expect(trips).toHaveLength(0);
    await expect(q.submit([{ argv: ["true"] }], false)).resolves.toEqual([ok("true")]);
  });
});
