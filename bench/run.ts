import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { labStackConfig } from "../test/e2e/config";
import { REPO_ROOT, inventory, labHost, onHost, uniq } from "../test/helpers/lab";
import { labCpu, machineCpu } from "./cpu";
import { PROFILE_DIR_ENV, profilingPluginDir, summarizeDir } from "./profile";
import { type Relay, startRelay } from "./relay";
import { BACKEND, PROJECT, automation, benchEnv, benchProject } from "./project";
import { MODES, PHASES, aggregate, svgPlot, table, type BenchResult, type Mode, type Phase, type Run, type StatsFile } from "./report";

/**
 * `npm run bench -- [--n 30,100,300] [--hosts 3] [--modes real,real-norestore,real-ckpt,naive,floor,floor-ckpt] [--repeat 1]
 *                    [--naive-max-n 300] [--ckpt-max-n 300] [--parallel N|default] [--dirty-ok] [--out bench/results]
 *                    [--cpu-prof DIR] [--rtt MS] [--replot A.json[,B.json...]]`
 *
 * N OvsPorts and N FlowEntries (and a bridge per host) over the lab's hosts, through the real engine
 * (Automation API, like test/e2e): up from empty, a no-change preview, refresh, destroy; for each mode: the
 * provider, the naive provider (the provider with bench/naive-executor.ts loaded through PULUMI_OVS_EXECUTOR)
 * and the engine floor (a no-op provider). Prints a progress
 * line, then a table; writes bench/results/bench-<time>.json, latest.json and time-vs-n.svg.
 */

interface Flags {
  ns: number[];
  hosts: number;
  modes: Mode[];
  naiveMaxN: number;
  /** Largest N for the modes with checkpoints on (the file backend's cost grows with N²). */
  ckptMaxN: number;
  out: string;
  replot?: string;
  /** Engine parallelism (--parallel); undefined: the CLI's default (4 x CPUs in pulumi 3.248). */
  parallel?: number;
  /** Repetitions per N, modes interleaved; the table shows medians and ranges. */
  repeat: number;
  /** Measure even if lab hosts hold bridges the benchmark did not make (--dirty-ok). */
  dirtyOk: boolean;
  /** CPU profiles of every provider process into DIR/<mode>-N<n>[-r<rep>]-<phase> (bench/profile.ts); distorts the times. */
  cpuProf?: string;
  /** SSH to the hosts through loopback relays that add this round-trip time (bench/relay.ts); 0: direct. */
  rttMs: number;
}

function parseFlags(argv: string[]): Flags {
  const get = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  // real-norestore only when asked for: a control for what the boot restore costs.
  const modes = (get("modes") ?? MODES.filter((m) => m !== "real-norestore").join(",")).split(",") as Mode[];
  for (const m of modes) if (!MODES.includes(m)) throw new Error(`unknown mode ${m} (one of ${MODES.join(", ")})`);
  return {
    ns: (get("n") ?? "300").split(",").map(Number),
    // Replotting reads result files only: no lab needed.
    hosts: Number(get("hosts") ?? (get("replot") ? 0 : inventory().hosts.length)),
    modes,
    naiveMaxN: Number(get("naive-max-n") ?? 300),
    ckptMaxN: Number(get("ckpt-max-n") ?? 300),
    out: path.resolve(REPO_ROOT, get("out") ?? "bench/results"),
    replot: get("replot"),
    parallel: get("parallel") === "default" ? undefined : Number(get("parallel") ?? 2147483647),
    repeat: Math.max(1, Number(get("repeat") ?? 1)),
    dirtyOk: argv.includes("--dirty-ok"),
    cpuProf: get("cpu-prof") ? path.resolve(get("cpu-prof")!) : undefined,
    rttMs: Number(get("rtt") ?? 0),
  };
}

/** "h1: tb (333 ports)" for each bridge on the first `hosts` lab hosts other than the lab's own underlay bridge. */
async function foreignBridges(hosts: number): Promise<string[]> {
  const found: string[] = [];
  for (let i = 0; i < hosts; i++) {
    const h = labHost(i);
    const { stdout } = await onHost(i, ["sh", "-c", 'for b in $(ovs-vsctl list-br); do echo "$b $(ovs-vsctl list-ports "$b" | wc -l)"; done']);
    for (const line of stdout.split("\n").filter(Boolean)) {
      const [bridge, ports] = line.trim().split(/\s+/);
      if (bridge !== h.underlayBridge) found.push(`${h.name}: ${bridge} (${ports} ports)`);
    }
  }
  return found;
}

/** --rtt: the loopback relays, one per lab host, in inventory order. */
let relays: Relay[] = [];

/** The stack config with each host reached through its relay (the pinned host key still names the real host). */
function viaRelays(cfg: Record<string, { value: string; secret?: boolean }>): Record<string, { value: string; secret?: boolean }> {
  if (relays.length === 0) return cfg;
  const hosts = (JSON.parse(cfg.hosts.value) as { host: string; port: number }[]).map((h, i) => ({ ...h, host: "127.0.0.1", port: relays[i].port }));
  return { ...cfg, hosts: { value: JSON.stringify(hosts) } };
}

/** The compiled bench/naive-executor.ts, next to this file. */
const NAIVE_EXECUTOR = path.join(__dirname, "naive-executor.js");

function modeEnv(mode: Mode): Record<string, string> {
  const env: Record<string, string> = {};
  if (!mode.endsWith("-ckpt")) env.PULUMI_SKIP_CHECKPOINTS = "true";
  // The provider processes the engine starts load the baseline executor through the hook (transport/settings.ts).
  if (mode === "naive") env.PULUMI_OVS_EXECUTOR = NAIVE_EXECUTOR;
  return env;
}

/** CPU seconds of this process (the inline program runs here) and of its reaped children (the CLI and, through it, the provider). */
function ownCpu(): { self: number; children: number } {
  const f = fs.readFileSync("/proc/self/stat", "utf8").split(") ")[1].split(" ").map(Number);
  // Fields 14-17 of proc(5) (utime, stime, cutime, cstime) are at 11-14 after the ") " split; ticks of 1/100 s.
  return { self: (f[11] + f[12]) / 100, children: (f[13] + f[14]) / 100 };
}

function readStats(dir: string): StatsFile[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => /^stats-\d+\.json$/.test(f))
    .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as StatsFile);
}

/** When the program started and returned, for BENCH_TIMELINE_DIR (the last phase's values win). */
const programMarks: { start?: number; end?: number } = {};

function timedProgram(program: () => Promise<Record<string, unknown>>): () => Promise<Record<string, unknown>> {
  return async () => {
    programMarks.start = Date.now();
    try {
      return await program();
    } finally {
      programMarks.end = Date.now();
    }
  };
}

/** A progress line on stderr while `fn` runs: resources done so far and elapsed time. */
type StepEvent = { metadata?: { urn?: string } };

async function withProgress<T>(label: string, total: number, fn: (onEvent: (e: { resOutputsEvent?: StepEvent; resOpFailedEvent?: StepEvent }) => void) => Promise<T>): Promise<T> {
  let done = 0;
  const t0 = Date.now();
  const times: number[] = [];
  /** The resource each time belongs to (its URN's last part), to tell one host's pace from another's. */
  const names: string[] = [];
  const show = () => process.stderr.write(`\r  ${label}: ${done}/${total} resources, ${((Date.now() - t0) / 1000).toFixed(1)} s   `);
  const tick = setInterval(show, 1000);
  try {
    return await fn((e) => {
      const step = e.resOutputsEvent ?? e.resOpFailedEvent;
      if (step) (done++, times.push(Date.now() - t0), names.push(step.metadata?.urn?.split("::").pop() ?? ""));
    });
  } finally {
    clearInterval(tick);
    show();
    process.stderr.write("\n");
    // BENCH_TIMELINE_DIR: when each resource finished and which (its URN's name), per mode and phase (to compare with the floor's pace).
    const dir = process.env.BENCH_TIMELINE_DIR;
    if (dir) {
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, `${label.replace(/\W+/g, "-")}.json`), JSON.stringify({ t0, times, names, programStart: (programMarks.start ?? t0) - t0, programEnd: (programMarks.end ?? t0) - t0 }));
    }
  }
}

async function runMode(dir: string, mode: Mode, n: number, hosts: number, parallel: number | undefined, profileDir?: (phase: Phase) => string): Promise<Run> {
  const auto = automation(dir);
  const { program } = require(path.join(dir, "out", "index.js")) as { program: () => Promise<Record<string, unknown>> };
  const s = uniq();
  const stackName = `bench-${mode}-${n}-${s}`;
  const env = { ...benchEnv(), ...modeEnv(mode) };
  fs.mkdirSync(BACKEND, { recursive: true });
  const stack = await auto.LocalWorkspace.createOrSelectStack(
    { stackName, projectName: PROJECT, program: timedProgram(program) },
    { workDir: dir, envVars: env, projectSettings: { name: PROJECT, runtime: "nodejs", backend: { url: env.PULUMI_BACKEND_URL } } },
  );
  await stack.setAllConfig(viaRelays(labStackConfig({ n, hostCount: hosts, suffix: s, mode: mode.startsWith("floor") ? "floor" : mode === "real-norestore" ? mode : "real" })));
  const resources = 2 * n + hosts;
  const events = resources + 2; // and the stack, and the dynamic provider
  const run: Run = { mode, n, hosts, resources, parallel: parallel ?? "default", phases: [] };
  const labDirs = inventory().hosts.map((h) => h.dir);
  const statsRoot = fs.mkdtempSync(path.join(os.tmpdir(), `povs-bench-${s}-`));
  const ops: Record<Phase, (onEvent: (e: object) => void) => Promise<unknown>> = {
    up: (onEvent) => stack.up({ onEvent, onOutput: () => undefined, parallel }),
    preview: async (onEvent) => {
      const pv = await stack.preview({ onEvent, onOutput: () => undefined, parallel });
      const changed = Object.entries(pv.changeSummary).filter(([k, v]) => k !== "same" && v);
      if (changed.length) throw new Error(`the no-change preview has changes: ${JSON.stringify(pv.changeSummary)}`);
    },
    refresh: (onEvent) => stack.refresh({ onEvent, onOutput: () => undefined, parallel }),
    destroy: (onEvent) => stack.destroy({ onEvent, onOutput: () => undefined, parallel }),
  };
  try {
    for (const phase of PHASES) {
      const statsDir = path.join(statsRoot, phase);
      // The CLI inherits this process's environment, and the engine passes it on to the provider process.
      process.env.PULUMI_OVS_STATS_DIR = statsDir;
      if (profileDir) process.env[PROFILE_DIR_ENV] = profileDir(phase);
      const t0 = Date.now();
      const cpu0 = machineCpu();
      const own0 = ownCpu();
      const lab0 = labCpu(labDirs);
      let error: string | undefined;
      try {
        await withProgress(`${mode} N=${n} ${phase}`, events, (onEvent) => ops[phase](onEvent));
      } catch (e) {
        error = String((e as Error).message ?? e).slice(0, 2000);
      }
      const ms = Date.now() - t0;
      const cpu1 = machineCpu();
      const busyCores = ((cpu1.busy - cpu0.busy) / Math.max(1, cpu1.total - cpu0.total)) * os.cpus().length;
      await new Promise((r) => setTimeout(r, 700)); // the provider's last statistics write
      const own1 = ownCpu();
      const lab1 = labCpu(labDirs);
      const result = aggregate(phase, ms, readStats(statsDir), error);
      if (profileDir) for (const line of summarizeDir(profileDir(phase))) console.error(`  ${mode} N=${n} ${phase} provider profile: ${line}`);
      run.phases.push({
        ...result,
        busyCores: Math.round(busyCores * 100) / 100,
        programCpuMs: Math.round((own1.self - own0.self) * 1000),
        // The CLI's CPU includes that of the provider process it started and reaped.
        engineCpuMs: Math.round((own1.children - own0.children) * 1000 - (result.cpuMs ?? 0)),
        labCpuMs: Math.round((lab1 - lab0) * 1000),
      });
      if (error) {
        console.error(`  ${phase} failed: ${error.split("\n").slice(0, 6).join("\n  ")}`);
        if (phase !== "destroy") {
          delete process.env.PULUMI_OVS_STATS_DIR;
          await stack.destroy({ onOutput: () => undefined }).catch((d) => console.error(`  cleanup destroy failed (suffix ${s}): ${(d as Error).message.slice(0, 500)}`));
        }
        break;
      }
    }
  } finally {
    delete process.env.PULUMI_OVS_STATS_DIR;
    await stack.workspace.removeStack(stackName).catch(() => undefined);
    fs.rmSync(statsRoot, { recursive: true, force: true });
  }
  return run;
}

function writeOutputs(out: string, result: BenchResult, stamp: string): void {
  fs.mkdirSync(out, { recursive: true });
  const json = JSON.stringify(result, null, 2);
  fs.writeFileSync(path.join(out, `bench-${stamp}.json`), json);
  fs.writeFileSync(path.join(out, "latest.json"), json);
  fs.writeFileSync(path.join(out, "time-vs-n.svg"), svgPlot(result));
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  if (flags.replot) {
    // Several result files (e.g. a large-N run made apart) merge into one: later runs of a mode and N win.
    const parts = flags.replot.split(",").map((f) => JSON.parse(fs.readFileSync(f, "utf8")) as BenchResult);
    const runs = new Map<string, Run[]>();
    for (const part of parts) {
      const mine = new Map<string, Run[]>();
      for (const r of part.runs) mine.set(`${r.mode}:${r.n}`, [...(mine.get(`${r.mode}:${r.n}`) ?? []), r]);
      for (const [k, rs] of mine) runs.set(k, rs); // all repetitions of a mode and N come from one file
    }
    const result: BenchResult = { ...parts[0], runs: [...runs.values()].flat().sort((a, b) => a.n - b.n || MODES.indexOf(a.mode) - MODES.indexOf(b.mode) || (a.rep ?? 0) - (b.rep ?? 0)) };
    fs.writeFileSync(path.join(flags.out, "latest.json"), JSON.stringify(result, null, 2));
    fs.writeFileSync(path.join(flags.out, "time-vs-n.svg"), svgPlot(result));
    console.log(table(result));
    return;
  }
  if (flags.hosts < 1 || flags.hosts > inventory().hosts.length) throw new Error(`--hosts must be 1..${inventory().hosts.length}`);
  for (const k of ["PULUMI_OVS_EXECUTOR", "PULUMI_SKIP_CHECKPOINTS", "PULUMI_OVS_STATS_DIR"]) delete process.env[k];
  const foreign = await foreignBridges(flags.hosts);
  if (foreign.length > 0) {
    const what = `lab hosts hold bridges the benchmark did not make (${foreign.join(", ")})`;
    // Every OVSDB transaction makes ovs-vswitchd reconfigure all of a host's bridges: idle ports slow every round trip.
    if (!flags.dirtyOk) throw new Error(`${what}: they make every round trip on that host slower; remove them (npm run lab:down && npm run lab:up) or pass --dirty-ok`);
    console.error(`bench: warning: ${what}; measuring anyway (--dirty-ok)`);
  }
  const dir = await benchProject();
  if (flags.cpuProf) {
    process.env.PATH = `${profilingPluginDir(flags.cpuProf)}:${process.env.PATH}`;
    // Provider processes outside the phases (a cleanup destroy after a failure) profile here.
    process.env[PROFILE_DIR_ENV] = path.join(flags.cpuProf, "other");
    console.error(`bench: CPU profiles of the provider processes go to ${flags.cpuProf} (the profiler slows them: do not compare these times with others)`);
  }
  if (flags.rttMs > 0) relays = await Promise.all(inventory().hosts.map((h) => startRelay({ host: h.address, port: h.port }, flags.rttMs)));
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const persist = Number(process.env.PULUMI_OVS_PERSIST ?? 0);
  const result: BenchResult = {
    startedAt: new Date().toISOString(),
    machine: { cpus: os.cpus().length, node: process.version },
    ...(persist > 0 ? { persistSeconds: persist } : {}),
    ...(flags.rttMs > 0 ? { rttMs: flags.rttMs } : {}),
    runs: [],
  };
  console.error(`bench: N=${flags.ns.join(",")} over ${flags.hosts} hosts, modes ${flags.modes.join(", ")}, --parallel ${flags.parallel ?? "default"}; project ${dir}`);
  for (const n of flags.ns) {
    for (let rep = 1; rep <= flags.repeat; rep++) {
      for (const mode of flags.modes) {
        if (mode === "naive" && n > flags.naiveMaxN) {
          if (rep === 1) console.error(`  naive N=${n}: skipped (--naive-max-n ${flags.naiveMaxN})`);
          continue;
        }
        if (mode.endsWith("-ckpt") && n > flags.ckptMaxN) {
          if (rep === 1) console.error(`  ${mode} N=${n}: skipped (--ckpt-max-n ${flags.ckptMaxN})`);
          continue;
        }
        const profileDir = flags.cpuProf ? (phase: Phase) => path.join(flags.cpuProf!, `${mode}-N${n}${flags.repeat > 1 ? `-r${rep}` : ""}-${phase}`) : undefined;
        const run = await runMode(dir, mode, n, flags.hosts, flags.parallel, profileDir);
        result.runs.push(flags.repeat > 1 ? { ...run, rep } : run);
        writeOutputs(flags.out, result, stamp);
      }
    }
  }
  for (const r of relays) r.close();
  console.log(table(result));
  console.error(`bench: wrote ${path.join(flags.out, `bench-${stamp}.json`)}, latest.json and time-vs-n.svg`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
