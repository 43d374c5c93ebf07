import * as fs from "node:fs";
import * as path from "node:path";
import { programModule, stackFor, type StackHandle, stepTimer } from "./harness";
import { REPO_ROOT, inventory, uniq } from "../helpers/lab";

/**
 * Issue 25 through the real engine, on spare lab hosts (`lab.sh spare-up`: a failed revert breaks nobody else):
 * h45 + h46 run seed 004 verbatim (mgmt0, the NIC sshd is reached on, moves into ovs1 with its address and
 * default route; containers on ovs2; VXLAN over the moved management addresses), then a good change with
 * rollbackAfter, then destroy. h47 meanwhile takes wrong changes with rollbackAfter: 20 (the management address
 * in a wrong subnet; a drop-all flow on the bridge that carries management) and a provider SIGKILLed right after
 * a change left. Inline programs cannot run concurrently in one process, so the steps interleave instead: the
 * 25 s wait after the good change on h45 is spent on h47's wrong change.
 */

jest.setTimeout(900_000);
const s = uniq();
const [A, B, C] = ["h45", "h46", "h47"];
const ROLLBACK = 20;
const quiet = { onOutput: () => undefined };
type Program = { program: () => Promise<Record<string, unknown>> };
type Spare = { name: string; address: string; port: number; user: string; hostKey: string };
const figures: Record<string, unknown> = {};
const { timings, timed } = stepTimer();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function run(cmd: string, args: string[], opts: { timeout?: number } = {}): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  const { execa } = await import("execa");
  const r = await execa(cmd, args, { reject: false, timeout: opts.timeout });
  return { stdout: String(r.stdout), stderr: String(r.stderr), exitCode: r.exitCode ?? -1 };
}
const lab = (...args: string[]) => run("bash", [path.join(REPO_ROOT, "scripts/lab/lab.sh"), ...args]);
/** Run a shell command as root on a spare host (beside the code under test). */
const on = async (host: string, script: string) => (await lab("exec", host, "--", "sh", "-c", script)).stdout;

/** A command over SSH from this machine, as an operator would: a fresh connection each time. */
async function ssh(addr: string, command = "true"): Promise<{ ok: boolean; out: string }> {
  const key = inventory().privateKeyPath;
  const opts = ["-i", key, "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=2"];
  const r = await run("ssh", [...opts, `povs@${addr}`, command], { timeout: 5000 });
  return { ok: r.exitCode === 0, out: r.stdout };
}

/** Everything a revert restores, in a comparable form (OVS config, root-namespace links, addresses, routes, flows). */
const hostView = (host: string) =>
  on(
    host,
    [
      `for b in $(ovs-vsctl list-br); do echo "bridge $b $(ovs-vsctl get Bridge "$b" datapath_type) ports: $(ovs-vsctl list-ports "$b" | sort | tr '\\n' ' ')"; done`,
      "ovs-vsctl --format=csv --no-headings --columns=name,tag,trunks,vlan_mode,external_ids list Port | sort",
      "ovs-vsctl --format=csv --no-headings --columns=name,type,options,mac,mtu_request,external_ids list Interface | sort",
      "ip -br addr | sort; ip route",
      `for b in $(ovs-vsctl list-br); do echo "flows $b"; ovs-ofctl --no-names dump-flows --no-stats "$b" | grep -v reply | sort; done`,
    ].join("; "),
  );

/** Revert processes (armed or running) in the host's own network namespace, and changes still armed. */
const leftovers = (host: string) =>
  on(host, `for p in $(pgrep -f 'povs-rever[t]'); do [ "$(readlink /proc/$p/ns/net)" = "$(readlink /proc/self/ns/net)" ] && echo "process $p"; done; ls /run/openvswitch/pulumi-ovs-safe-apply/*/armed 2>/dev/null; true`);

/** ICMP from a container. */
const pings = async (host: string, ctr: string, to: string) => (await lab("exec", host, "--", "docker", "exec", ctr, "ping", "-c", "2", "-W", "1", "-i", "0.2", to)).exitCode === 0;
/** A TCP message from container `from` to `to:5001`, where container `listen` listens. */
async function tcp(host: string, listen: string, from: string, to: string): Promise<boolean> {
  const token = `povs-${Math.random().toString(36).slice(2, 10)}`;
  const listener = lab("exec", host, "--", "docker", "exec", listen, "timeout", "8", "nc", "-l", "-p", "5001");
  await sleep(500);
  await lab("exec", host, "--", "docker", "exec", from, "sh", "-c", `for i in 1 2 3 4 5; do echo ${token} | timeout 3 nc -w 2 ${to} 5001 && exit 0; sleep 0.5; done; exit 1`);
  return (await listener).stdout.includes(token);
}

async function eventually(probe: () => Promise<boolean>, seconds: number): Promise<boolean> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    if (await probe()) return true;
    if (Date.now() > deadline) return false;
    await sleep(300);
  }
}

/** Watch SSH to `addr` during `fn`: when it first failed, and when it answered again after that. */
async function watchSsh<T>(addr: string, fn: () => Promise<T>): Promise<{ result: T; cutAt?: number; backAt?: number }> {
  let done = false;
  let cutAt: number | undefined;
  let backAt: number | undefined;
  const watcher = (async () => {
    while (!done || (cutAt !== undefined && backAt === undefined)) {
      const t = Date.now();
      const { ok } = await ssh(addr);
      if (!ok && cutAt === undefined) cutAt = t;
      if (ok && cutAt !== undefined && backAt === undefined) backAt = Date.now();
      if (cutAt !== undefined && Date.now() - cutAt > 60_000) break;
      await sleep(200);
    }
  })();
  const result = await fn();
  done = true;
  await watcher;
  return { result, cutAt, backAt };
}

async function upFails(h: StackHandle): Promise<string> {
  try {
    await h.stack.up(quiet);
  } catch (e) {
    return String((e as Error).message);
  }
  throw new Error("pulumi up succeeded where it should have failed");
}

/** The pids of processes started (transitively) by this test process. */
function descendants(): { pid: number; cmd: string }[] {
  const parent = new Map<number, number>();
  for (const d of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, "utf8");
      parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      /* gone */
    }
  }
  const mine = (p: number): boolean => p === process.pid || (p > 1 && parent.has(p) && mine(parent.get(p)!));
  return [...parent.keys()]
    .filter((p) => p !== process.pid && mine(p))
    .map((pid) => {
      try {
        return { pid, cmd: fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ") };
      } catch {
        return { pid, cmd: "" };
      }
    });
}

/** SIGKILL the dynamic provider of the `pulumi` run for `stackName` (a descendant of this test process). */
function killProvider(stackName: string): number[] {
  const procs = descendants();
  const cli = procs.filter((p) => / up /.test(p.cmd) && p.cmd.includes(stackName)).map((p) => p.pid);
  const parents = (pid: number): number[] => {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const pp = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    return pp > 1 ? [pp, ...parents(pp)] : [];
  };
  const providers = procs.filter((p) => /dynamic-provider|pulumi-resource-pulumi-nodejs/.test(p.cmd) && parents(p.pid).some((pp) => cli.includes(pp)));
  for (const p of providers) process.kill(p.pid, "SIGKILL");
  return providers.map((p) => p.pid);
}

describe("safe apply and the management move on spare hosts", () => {
  const spares: Record<string, Spare> = {};
  const stacks: StackHandle[] = [];
  let key = "";

  beforeAll(async () => {
    for (const h of [A, B, C]) {
      const up = await lab("spare-up", h);
      if (up.exitCode !== 0) throw new Error(`lab.sh spare-up ${h} failed: ${up.stderr}`);
      spares[h] = JSON.parse(up.stdout) as Spare;
      // A default route via mgmt0 first: the move must carry it to the bridge.
      await on(h, "ip route replace default via 198.18.0.1 dev mgmt0");
    }
    key = fs.readFileSync(inventory().privateKeyPath, "utf8");
  });

  afterAll(async () => {
    for (const h of stacks) {
      await h.stack.cancel().catch(() => undefined);
      await h.stack.destroy(quiet).catch(() => undefined);
      await h.stack.workspace.removeStack(h.stack.name, { force: true }).catch(() => undefined);
    }
    await run("docker", ["rm", "-f", ...["a1", "a2", "b1", "b2"].map((n) => `sa${n}${s}`)]);
    for (const h of [A, B, C]) await lab("spare-down", h);
    console.log(`safe-apply: ${JSON.stringify(figures)}; step timings (ms): ${JSON.stringify(timings)}`);
  });

  async function stack(name: string, hosts: string[], config: Record<string, string>): Promise<StackHandle> {
    const { program } = await programModule<Program>("programs/safe-apply.js");
    const cfg: Record<string, { value: string; secret?: boolean }> = {
      suffix: { value: s },
      privateKey: { value: key, secret: true },
      hosts: { value: JSON.stringify(hosts.map((h) => ({ name: spares[h].name, host: spares[h].address, port: spares[h].port, user: spares[h].user, hostKey: spares[h].hostKey }))) },
    };
    for (const [k, v] of Object.entries(config)) cfg[k] = { value: v };
    const h = await stackFor(`${name}-${s}`, program, cfg);
    stacks.push(h);
    return h;
  }

  let seed: StackHandle;
  let single: StackHandle;
  let before = "";
  let goodAt = 0;
  const reverts: Record<string, number> = {};

  test("(a) seed 004 verbatim: mgmt0 into ovs1 with its address and default route; SSH on the same address; ICMP + TCP over VXLAN", async () => {
    seed = await stack("sa-seed", [A, B], { layout: "seed" });
    const up = await timed("a-seed-up", () => seed.stack.up(quiet));
    expect(up.summary.result).toBe("succeeded");
    for (const host of [A, B]) {
      const addr = spares[host].address;
      const seen = await ssh(addr, "ip -br addr show ovs1; ip -br addr show mgmt0; ip route show default");
      expect(seen.ok).toBe(true);
      expect(seen.out).toMatch(new RegExp(`^ovs1\\s+\\S+\\s+${addr.replace(/\./g, "\\.")}/24`, "m"));
      expect(seen.out).not.toMatch(/^mgmt0\S*\s+\S+\s+198\./m);
      expect(seen.out).toMatch(/default via 198\.18\.0\.1 dev ovs1/);
    }
    const [a1, a2, b1, b2] = ["a1", "a2", "b1", "b2"].map((n) => `sa${n}${s}`);
    const icmp: Record<string, boolean> = {};
    for (const [host, from, to] of [
      [A, a1, "198.18.160.6"], [A, a1, "198.18.160.8"], [A, a1, "198.18.160.9"], [A, a1, "198.18.160.3"], [A, a1, "198.18.160.4"],
      [B, b2, "198.18.160.5"], [B, b2, "198.18.160.6"], [B, b2, "198.18.160.3"],
    ]) icmp[`${from}->${to}`] = await eventually(() => pings(host, from, to), 10);
    figures.seedIcmp = icmp;
    expect(Object.values(icmp).every(Boolean)).toBe(true);
    expect(await tcp(A, b1, a1, "198.18.160.8")).toBe(true);
    expect(await tcp(B, a2, b2, "198.18.160.6")).toBe(true);
    expect(Object.keys((await seed.stack.preview()).changeSummary)).toEqual(["same"]);
  });

  test("(c) a good change with rollbackAfter: applied and confirmed (checked again 25 s later, below)", async () => {
    await seed.stack.setAllConfig({ rollbackAfter: { value: String(ROLLBACK) }, change: { value: "probe" } });
    const pv = await seed.stack.preview();
    expect(pv.changeSummary).toEqual({ create: 1, same: expect.any(Number) }); // turning safe apply on changes no resource
    const good = await timed("c-good-up", () => seed.stack.up(quiet));
    expect(good.summary.result).toBe("succeeded");
    goodAt = Date.now();
    expect(await on(A, "ip -br addr show probe")).toMatch(/198\.18\.162\.55\/24/);
  });

  test("(b) the management address moved to a wrong subnet: up fails naming the host; SSH back within 25 s; nothing else changed", async () => {
    single = await stack("sa-wrong", [C], { layout: "single", rollbackAfter: String(ROLLBACK) });
    expect((await timed("b-up", () => single.stack.up(quiet))).summary.result).toBe("succeeded");
    expect(await on(C, "ip -br addr show mgmt")).toMatch(new RegExp(`${spares[C].address.replace(/\./g, "\\.")}/24`));
    before = await hostView(C);
    await wrongChange("wrong-address", { update: 1 });
  });

  test("(c) 25 s after the good change it is still in place, no revert left; destroy moves mgmt0's address back", async () => {
    await sleep(Math.max(0, goodAt + (ROLLBACK + 5) * 1000 - Date.now()));
    expect(await on(A, "ip -br addr show probe")).toMatch(/198\.18\.162\.55\/24/);
    expect((await ssh(spares[A].address)).ok).toBe(true);
    expect(await leftovers(A)).toBe("");
    expect(Object.keys((await seed.stack.preview()).changeSummary)).toEqual(["same"]);
    const down = await timed("a-seed-destroy", () => seed.stack.destroy(quiet));
    expect(down.summary.result).toBe("succeeded");
    for (const host of [A, B]) {
      expect(await on(host, "ip -br addr show mgmt0")).toMatch(new RegExp(`${spares[host].address.replace(/\./g, "\\.")}/24`));
      expect(await on(host, "ip route show default")).toMatch(/default via 198\.18\.0\.1 dev mgmt0/);
      expect((await on(host, "ovs-vsctl list-br")).trim()).toBe("br-ul");
      expect((await ssh(spares[host].address)).ok).toBe(true);
      expect(await leftovers(host)).toBe("");
    }
  });

  test("(b) a drop-all flow on the bridge that carries management: up fails; SSH back within 25 s; nothing else changed", async () => {
    await wrongChange("drop-all", { create: 1 });
    figures.revertSeconds = Object.fromEntries(Object.entries(reverts).map(([k, v]) => [k, Math.round(v / 100) / 10]));
  });

  test("(d) the provider SIGKILLed right after a change left: the host reverts by itself; refresh shows it; the next up applies it, armed", async () => {
    await single.stack.setConfig("change", { value: "probe" });
    let killed: number[] = [];
    const upRun = single.stack.up(quiet).then(
      () => "succeeded",
      (e: unknown) => String((e as Error).message),
    );
    const armedSeen = await eventually(async () => (await on(C, "ls /run/openvswitch/pulumi-ovs-safe-apply/*/armed 2>/dev/null; true")).trim() !== "" && (killed = killProvider(single.stack.name)).length > 0, 60);
    expect(armedSeen).toBe(true);
    figures.killedProvider = killed.length;
    expect(await upRun).not.toBe("succeeded");
    const t0 = Date.now();
    const reverted = await eventually(async () => !/198\.18\.162/.test(await on(C, "ip -br addr show probe 2>/dev/null; true")) && (await leftovers(C)) === "", ROLLBACK + 10);
    figures.killedRevertWaitMs = Date.now() - t0;
    expect(reverted).toBe(true);
    expect(await hostView(C)).toEqual(before);
    const rf = await single.cli(["refresh", "--yes", "--clear-pending-creates", "--skip-preview"], { reject: false });
    expect(rf.exitCode).toBe(0);
    expect((await single.stack.preview()).changeSummary).toMatchObject({ create: 1 });
    const again = await timed("d-up-again", () => single.stack.up(quiet));
    expect(again.summary.result).toBe("succeeded");
    expect(await on(C, "ip -br addr show probe")).toMatch(/198\.18\.162\.57\/24/);
    expect(await leftovers(C)).toBe("");
    expect((await timed("b-destroy", () => single.stack.destroy(quiet))).summary.result).toBe("succeeded");
    expect(await on(C, "ip -br addr show mgmt0")).toMatch(new RegExp(`${spares[C].address.replace(/\./g, "\\.")}/24`));
    expect(await on(C, "ip route show default")).toMatch(/default via 198\.18\.0\.1 dev mgmt0/);
  });

  /** A change that cuts the management path: up fails with the message; the host is back as before within 25 s. */
  async function wrongChange(change: string, proposed: Record<string, number>): Promise<void> {
    const addr = spares[C].address;
    await single.stack.setConfig("change", { value: change });
    const { result: msg, cutAt, backAt } = await timed(`b-${change}`, () => watchSsh(addr, () => upFails(single)));
    figures[`${change}-error`] = msg.split("\n").find((l) => /safe-apply|revert/.test(l))?.trim().slice(0, 500);
    expect(msg).toMatch(new RegExp(`povs@${addr.replace(/\./g, "\\.")}:22`));
    expect(msg).toMatch(/revert/);
    expect(cutAt).toBeDefined();
    expect(backAt).toBeDefined();
    reverts[change] = backAt! - cutAt!;
    expect(backAt! - cutAt!).toBeLessThanOrEqual((ROLLBACK + 5) * 1000);
    expect(await hostView(C)).toEqual(before);
    const rf = await single.stack.refresh(quiet);
    expect(Object.keys(rf.summary.resourceChanges ?? {})).toEqual(["same"]);
    expect((await single.stack.preview()).changeSummary).toMatchObject(proposed);
    await single.stack.setConfig("change", { value: "none" });
    expect(Object.keys((await single.stack.preview()).changeSummary)).toEqual(["same"]);
    expect(await leftovers(C)).toBe("");
  }
});
