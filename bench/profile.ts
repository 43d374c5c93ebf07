import * as fs from "node:fs";
import * as path from "node:path";

/**
 * CPU profiles of the provider process, for `npm run bench -- --cpu-prof DIR`: where a phase's provider CPU goes
 * (the SDK's protobuf and gRPC, garbage collection, module loading, pulumi-ovs' own code), for pulumi-ovs and for
 * the floor alike.
 *
 * `--cpu-prof` is not allowed in NODE_OPTIONS, so the benchmark puts an ambient plugin first on PATH: a copy of
 * the CLI's own `pulumi-resource-pulumi-nodejs` (one `exec node` line) with the profiler on. The engine prefers an
 * ambient plugin to the one beside the CLI. Node writes the profile when the process exits on its own or on
 * SIGINT/SIGTERM handled by it (pulumi-ovs and the floor both exit on those), not when it is killed.
 *
 * `node .cache/bench/build/bench/profile.js FILE.cpuprofile...` prints the same summary for profiles made otherwise.
 */

/** The environment variable the wrapper reads: the directory for the profile of the phase under way. */
export const PROFILE_DIR_ENV = "PULUMI_OVS_BENCH_PROFILE_DIR";

/** Writes the wrapper plugin into `dir`/bin and returns that directory (to put first on PATH). */
export function profilingPluginDir(dir: string): string {
  const bin = path.join(dir, "bin");
  fs.mkdirSync(bin, { recursive: true });
  const script = path.join(bin, "pulumi-resource-pulumi-nodejs");
  fs.writeFileSync(script, `#!/bin/sh\nexec node --cpu-prof --cpu-prof-dir="$${PROFILE_DIR_ENV}" ./node_modules/@pulumi/pulumi/cmd/dynamic-provider "$@"\n`, { mode: 0o755 });
  return bin;
}

/** The parts of a V8 .cpuprofile this summary reads. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  spanMs: number;
  busyMs: number;
  gcMs: number;
  /** Self time per package (node_modules name), "node" for Node's internals, "native" for V8 and C++; busiest first. */
  byPackage: [string, number][];
}

/** Where a frame's code comes from: the innermost node_modules package in its URL; Node's module loader apart. */
export function packageOf(url: string): string {
  if (!url) return "native";
  if (url.startsWith("node:internal/modules/")) return "node (module loading)";
  if (url.startsWith("node:")) return "node";
  const m = [...url.matchAll(/node_modules\/((?:@[^/]+\/)?[^/]+)/g)].pop();
  return m ? m[1] : "other";
}

/** Pure: self time of each sample's leaf frame, grouped. A sample's time is the delta to the next sample. */
export function summarize(p: CpuProfile): ProfileSummary {
  const frames = new Map(p.nodes.map((n) => [n.id, n.callFrame]));
  const byPackage = new Map<string, number>();
  let idle = 0;
  let gc = 0;
  p.samples.forEach((id, i) => {
    const us = p.timeDeltas[i + 1] ?? 0;
    const f = frames.get(id);
    if (!f || f.functionName === "(idle)") return void (idle += us);
    const isGc = f.functionName === "(garbage collector)";
    if (isGc) gc += us;
    const key = isGc ? "(gc)" : packageOf(f.url);
    byPackage.set(key, (byPackage.get(key) ?? 0) + us);
  });
  const spanMs = (p.endTime - p.startTime) / 1000;
  return {
    spanMs,
    busyMs: spanMs - idle / 1000,
    gcMs: gc / 1000,
    byPackage: [...byPackage].map(([k, us]): [string, number] => [k, us / 1000]).sort((a, b) => b[1] - a[1]),
  };
}

/** One line: "busy 2.1 of 2.9 s: @pulumi/google-protobuf 0.45, (gc) 0.35, ...". */
export function summaryLine(s: ProfileSummary, top = 6): string {
  const s1 = (ms: number) => (ms / 1000).toFixed(2);
  return `busy ${s1(s.busyMs)} of ${s1(s.spanMs)} s: ${s.byPackage
    .slice(0, top)
    .map(([k, ms]) => `${k} ${s1(ms)}`)
    .join(", ")}`;
}

/** The summaries of the profiles in `dir` (one per provider process), oldest first. */
export function summarizeDir(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".cpuprofile"))
    .sort()
    .map((f) => summaryLine(summarize(JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as CpuProfile)));
}

if (require.main === module) {
  for (const f of process.argv.slice(2)) console.log(`${f}: ${summaryLine(summarize(JSON.parse(fs.readFileSync(f, "utf8")) as CpuProfile), 12)}`);
}
