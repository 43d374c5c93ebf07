import type { StatsFile } from "../provider/transport/stats";

/**
 * The benchmark's numbers: aggregation of the provider processes' statistics files, the table, the ratios and
 * a hand-drawn SVG plot. Pure.
 */

export const PHASES = ["up", "preview", "refresh", "destroy"] as const;
export type Phase = (typeof PHASES)[number];

/**
 * real: pulumi-ovs; real-norestore: the same with connection.restoreOnBoot false (no restore state written: what the
 * boot restore costs, in the same run); naive: a new SSH connection per command, nothing merged or shared; floor: a
 * no-op provider.
 */
export const MODES = ["real", "real-norestore", "real-ckpt", "naive", "floor", "floor-ckpt"] as const;
export type Mode = (typeof MODES)[number];

export const MODE_LABEL: Record<Mode, string> = {
  real: "pulumi-ovs (PULUMI_SKIP_CHECKPOINTS=true)",
  "real-norestore": "pulumi-ovs, restoreOnBoot: false (PULUMI_SKIP_CHECKPOINTS=true)",
  "real-ckpt": "pulumi-ovs (checkpoints on)",
  naive: "naive: SSH connection per command (skip checkpoints)",
  floor: "engine floor: no-op provider (skip checkpoints)",
  "floor-ckpt": "engine floor (checkpoints on)",
};

/** What one provider process wrote. */
export type { StatsFile };

export interface PhaseResult {
  phase: Phase;
  ms: number;
  ok: boolean;
  error?: string;
  /** Provider processes that wrote statistics. */
  processes: number;
  connections: number;
  roundTrips: number;
  commands: number;
  batches: number;
  mergedMembers: number;
  mergeRetries: number;
  maxRoundTripsPerHost: number;
  /** Time in round trips, summed over hosts, and on the busiest host (older results lack them). */
  remoteMs?: number;
  maxRemoteMsPerHost?: number;
  maxConnectionsPerHost: number;
  peakRssMb: number;
  /** CPU time of the provider processes (user + system), summed. */
  cpuMs?: number;
  /** The whole machine's CPU use during the phase, in cores busy on average (engine, provider, hosts). */
  busyCores?: number;
  /** CPU of the benchmark process, where the inline Pulumi program runs (the language host's part). */
  programCpuMs?: number;
  /** CPU of the Pulumi CLI (the engine), the provider's taken out. */
  engineCpuMs?: number;
  /** CPU of the lab's simulated hosts (OVS daemons, sshd and every command a round trip ran): bench/cpu.ts labCpu. */
  labCpuMs?: number;
  /** Where the largest provider's memory was at its peak (process.memoryUsage(), MB). */
  atPeak?: Record<string, number>;
  /** With --repeat: every repetition's wall time, in repetition order (pairs with the other modes'). */
  pairedMs?: number[];
}

export interface Run {
  mode: Mode;
  n: number;
  hosts: number;
  resources: number;
  /** The engine's --parallel. */
  parallel: number | "default";
  phases: PhaseResult[];
  /** Which repetition (--repeat): runs of one mode and N are summarized by their median. */
  rep?: number;
}

export interface BenchResult {
  startedAt: string;
  machine: { cpus: number; node: string; pulumi?: string };
  /** PULUMI_OVS_PERSIST in force (seconds a broker keeps each host's connection between phases); absent: off. */
  persistSeconds?: number;
  /** --rtt: milliseconds of round-trip time the loopback relays added to every SSH connection. */
  rttMs?: number;
  runs: Run[];
}

export function aggregate(phase: Phase, ms: number, files: readonly StatsFile[], error?: string): PhaseResult {
  const sum = (k: keyof StatsFile) => files.reduce((n, f) => n + ((f[k] as number) ?? 0), 0);
  const hosts: Record<string, { connectionsOpened: number; roundTrips: number; remoteMs: number }> = {};
  for (const f of files) {
    for (const [h, c] of Object.entries(f.perHost ?? {})) {
      const t = (hosts[h] ??= { connectionsOpened: 0, roundTrips: 0, remoteMs: 0 });
      t.connectionsOpened += c.connectionsOpened;
      t.roundTrips += c.roundTrips;
      t.remoteMs += c.remoteMs ?? 0;
    }
  }
  const per = Object.values(hosts);
  return {
    phase,
    ms,
    ok: error === undefined,
    ...(error ? { error } : {}),
    processes: files.length,
    connections: sum("connectionsOpened"),
    roundTrips: sum("roundTrips"),
    commands: sum("commandsRun"),
    batches: sum("batches"),
    mergedMembers: sum("mergedMembers"),
    mergeRetries: sum("mergeRetries"),
    maxRoundTripsPerHost: Math.max(0, ...per.map((p) => p.roundTrips)),
    maxConnectionsPerHost: Math.max(0, ...per.map((p) => p.connectionsOpened)),
    remoteMs: per.reduce((n, p) => n + p.remoteMs, 0),
    maxRemoteMsPerHost: Math.max(0, ...per.map((p) => p.remoteMs)),
    peakRssMb: Math.round(Math.max(0, ...files.map((f) => f.maxRssBytes ?? 0)) / 1e5) / 10,
    cpuMs: sum("cpuMs"),
    atPeak: [...files].sort((a, b) => (b.maxRssBytes ?? 0) - (a.maxRssBytes ?? 0))[0]?.atPeak,
  };
}

const sec = (ms: number) => (ms / 1000).toFixed(1);

function find(runs: readonly Run[], mode: Mode, n: number, phase: Phase): PhaseResult | undefined {
  return runs.find((r) => r.mode === mode && r.n === n)?.phases.find((p) => p.phase === phase && p.ok);
}

/** Round-trip time summed over hosts, per resource, and the busiest host's total: "12.3 (3.2)". */
function remote(p: PhaseResult, resources: number): string {
  if (p.remoteMs === undefined || p.maxRemoteMsPerHost === undefined) return "-";
  return `${(p.remoteMs / Math.max(1, resources)).toFixed(1)} (${sec(p.maxRemoteMsPerHost)})`;
}

/** a/b as "3.2x", or "-" when either is missing; with repetitions, the range of the paired ratios too. */
export function ratio(a: PhaseResult | undefined, b: PhaseResult | undefined): string {
  if (!a || !b || b.ms <= 0) return "-";
  const paired = (a.pairedMs ?? []).map((x, i) => x / (b.pairedMs ?? [])[i]).filter((r) => Number.isFinite(r));
  const range = paired.length > 1 ? ` (${Math.min(...paired).toFixed(2)}-${Math.max(...paired).toFixed(2)})` : "";
  return `${(a.ms / b.ms).toFixed(2)}x${range}`;
}

/**
 * One run per mode and N: repetitions (--repeat, interleaved so that the machine's drift hits every mode alike)
 * become their median per phase (that repetition's figures), with every repetition's wall time kept in order.
 */
export function summarize(runs: readonly Run[]): Run[] {
  const groups = new Map<string, Run[]>();
  for (const r of runs) groups.set(`${r.mode}:${r.n}`, [...(groups.get(`${r.mode}:${r.n}`) ?? []), r]);
  return [...groups.values()].map((g) => {
    if (g.length === 1) return g[0];
    const phases = PHASES.flatMap((ph) => {
      const all = g.map((r) => r.phases.find((p) => p.phase === ph));
      const ok = all.filter((p): p is PhaseResult => !!p && p.ok).sort((x, y) => x.ms - y.ms);
      if (ok.length < all.length) return all.filter((p): p is PhaseResult => !!p && !p.ok).slice(0, 1);
      return ok.length ? [{ ...ok[Math.floor((ok.length - 1) / 2)], pairedMs: all.map((p) => p!.ms) }] : [];
    });
    return { ...g[0], phases, rep: undefined };
  });
}

/** A markdown table per N: one row per mode and phase, then the ratios. */
export function table(result: BenchResult): string {
  result = { ...result, runs: summarize(result.runs) };
  const out: string[] = [];
  const ns = [...new Set(result.runs.map((r) => r.n))].sort((a, b) => a - b);
  for (const n of ns) {
    const runs = result.runs.filter((r) => r.n === n);
    const hosts = runs[0]?.hosts ?? 0;
    const par = runs[0]?.parallel;
    out.push(`N=${n} (${n} OvsPort + ${n} FlowEntry + ${hosts} OvsBridge = ${runs[0]?.resources} resources) over ${hosts} hosts, engine --parallel ${par === 2147483647 ? "2147483647 (unbounded)" : par}${result.persistSeconds ? `, PULUMI_OVS_PERSIST=${result.persistSeconds}` : ""}${result.rttMs ? `, SSH through relays adding ${result.rttMs} ms RTT` : ""}`, "");
    out.push("| mode | phase | wall s | round trips (max/host) | commands | SSH connections (max/host) | merged ops / retries | remote ms per resource (busiest host s) | provider peak RSS MB | CPU s: provider / engine / program / lab hosts | machine cores busy |");
    out.push("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (const r of runs) {
      for (const p of r.phases) {
        const reps = p.pairedMs && p.pairedMs.length > 1 ? ` (${sec(Math.min(...p.pairedMs))}-${sec(Math.max(...p.pairedMs))})` : "";
        const t = p.ok ? sec(p.ms) + reps : `FAILED after ${sec(p.ms)}`;
        out.push(`| ${r.mode} | ${p.phase} | ${t} | ${p.roundTrips} (${p.maxRoundTripsPerHost}) | ${p.commands} | ${p.connections} (${p.maxConnectionsPerHost}) | ${p.mergedMembers} / ${p.mergeRetries} | ${remote(p, r.resources)} | ${p.peakRssMb} | ${[p.cpuMs, p.engineCpuMs, p.programCpuMs, p.labCpuMs].map((c) => (c === undefined ? "-" : sec(c))).join(" / ")} | ${p.busyCores ?? "-"} |`);
      }
    }
    out.push("", "| phase | naive / pulumi-ovs | pulumi-ovs / floor | restore off / floor | pulumi-ovs / floor, checkpoints on |", "| --- | ---: | ---: | ---: | ---: |");
    for (const ph of PHASES) {
      out.push(`| ${ph} | ${ratio(find(runs, "naive", n, ph), find(runs, "real", n, ph))} | ${ratio(find(runs, "real", n, ph), find(runs, "floor", n, ph))} | ${ratio(find(runs, "real-norestore", n, ph), find(runs, "floor", n, ph))} | ${ratio(find(runs, "real-ckpt", n, ph), find(runs, "floor-ckpt", n, ph))} |`);
    }
    out.push("");
  }
  return out.join("\n");
}

const COLORS: Record<Mode, string> = { real: "#1f77b4", "real-norestore": "#9467bd", "real-ckpt": "#17becf", naive: "#d62728", floor: "#2ca02c", "floor-ckpt": "#98df8a" };

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Four panels (one per phase): wall time against N (log scale), one line per mode. */
export function svgPlot(result: BenchResult): string {
  result = { ...result, runs: summarize(result.runs) };
  const W = 420;
  const H = 300;
  const m = { l: 56, r: 12, t: 28, b: 40 };
  const ns = [...new Set(result.runs.map((r) => r.n))].sort((a, b) => a - b);
  const modes = MODES.filter((mo) => result.runs.some((r) => r.mode === mo));
  const parts: string[] = [];
  const lx = (n: number) => Math.log10(n);
  const [x0, x1] = ns.length > 1 ? [lx(ns[0]), lx(ns[ns.length - 1])] : [lx(ns[0] ?? 1) - 0.5, lx(ns[0] ?? 1) + 0.5];
  PHASES.forEach((phase, idx) => {
    const ox = (idx % 2) * W;
    const oy = Math.floor(idx / 2) * H;
    const pts = modes.map((mo) => ({ mo, p: ns.map((n) => ({ n, r: find(result.runs, mo, n, phase) })).filter((x) => x.r) }));
    const ymax = Math.max(1, ...pts.flatMap((s) => s.p.map((x) => x.r!.ms / 1000))) * 1.1;
    const X = (n: number) => ox + m.l + ((lx(n) - x0) / (x1 - x0 || 1)) * (W - m.l - m.r);
    const Y = (s: number) => oy + H - m.b - (s / ymax) * (H - m.t - m.b);
    parts.push(`<text x="${ox + W / 2}" y="${oy + 18}" text-anchor="middle" font-weight="bold">${phase}</text>`);
    parts.push(`<line x1="${ox + m.l}" y1="${Y(0)}" x2="${ox + W - m.r}" y2="${Y(0)}" stroke="#000"/><line x1="${ox + m.l}" y1="${Y(0)}" x2="${ox + m.l}" y2="${oy + m.t}" stroke="#000"/>`);
    for (const n of ns) parts.push(`<text x="${X(n)}" y="${Y(0) + 16}" text-anchor="middle" font-size="11">${n}</text>`);
    for (let k = 0; k <= 4; k++) {
      const v = (ymax / 4) * k;
      parts.push(`<text x="${ox + m.l - 6}" y="${Y(v) + 4}" text-anchor="end" font-size="11">${v.toFixed(v < 10 ? 1 : 0)}</text>`);
      parts.push(`<line x1="${ox + m.l}" y1="${Y(v)}" x2="${ox + W - m.r}" y2="${Y(v)}" stroke="#ddd"/>`);
    }
    parts.push(`<text x="${ox + W / 2}" y="${oy + H - 6}" text-anchor="middle" font-size="11">N (ports and flows each)</text>`);
    parts.push(`<text x="${ox + 14}" y="${oy + H / 2}" text-anchor="middle" font-size="11" transform="rotate(-90 ${ox + 14} ${oy + H / 2})">wall time, s</text>`);
    for (const s of pts) {
      if (s.p.length === 0) continue;
      const d = s.p.map((x, i) => `${i ? "L" : "M"}${X(x.n).toFixed(1)},${Y(x.r!.ms / 1000).toFixed(1)}`).join(" ");
      parts.push(`<path d="${d}" fill="none" stroke="${COLORS[s.mo]}" stroke-width="2"/>`);
      for (const x of s.p) parts.push(`<circle cx="${X(x.n).toFixed(1)}" cy="${Y(x.r!.ms / 1000).toFixed(1)}" r="3" fill="${COLORS[s.mo]}"/>`);
    }
  });
  const legendY = 2 * H + 8;
  modes.forEach((mo, i) => {
    parts.push(`<rect x="${20}" y="${legendY + i * 18}" width="14" height="4" fill="${COLORS[mo]}"/><text x="${40}" y="${legendY + i * 18 + 6}" font-size="12">${esc(MODE_LABEL[mo])}</text>`);
  });
  const totalH = legendY + modes.length * 18 + 10;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * W}" height="${totalH}" font-family="sans-serif" font-size="12"><rect width="100%" height="100%" fill="#fff"/>${parts.join("")}</svg>\n`;
}
