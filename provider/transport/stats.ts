import * as fs from "node:fs";
import * as path from "node:path";
import { executorModule } from "./settings";

/**
 * Counters of what this process did to hosts. The provider runs inside the engine's dynamic-provider process,
 * not in the program or the test: with PULUMI_OVS_STATS_DIR set, it writes them to
 * `$PULUMI_OVS_STATS_DIR/stats-<pid>.json` shortly after any activity and at exit, for the benchmark to read.
 */
export const transportStats = {
  /** SSH connections that completed authentication. */
  connectionsOpened: 0,
  /** Commands executed on hosts (a merged command counts once; each command of a batch script counts). */
  commandsRun: 0,
  /** Scripts run on hosts: one per round trip (with the default executor, one coalesced script in the connection's shell). */
  roundTrips: 0,
  /** Coalesced round trips, and what went into them. */
  batches: 0,
  submissions: 0,
  mergedCommands: 0,
  mergedMembers: 0,
  /** Merged commands whose members had to run again one by one (a member failed). */
  mergeRetries: 0,
  /** Identical reads answered by another caller's command in the same round trip. */
  sharedReads: 0,
};

export type TransportStats = typeof transportStats;

export interface HostCounters {
  connectionsOpened: number;
  roundTrips: number;
  commandsRun: number;
  /** Time spent in round trips to this host, summed (the default executor has one out at a time per host). */
  remoteMs: number;
}

/** The same counters per host ("user@host:port"), for "at most N per host" claims. */
export const perHostStats: Record<string, HostCounters> = {};

export function hostCounters(label: string): HostCounters {
  return (perHostStats[label] ??= { connectionsOpened: 0, roundTrips: 0, commandsRun: 0, remoteMs: 0 });
}

const DIR = process.env.PULUMI_OVS_STATS_DIR;
const TRACE = process.env.PULUMI_OVS_TRACE;

/** PULUMI_OVS_TRACE=FILE: one JSON line per round trip (when, host, what, how long), for finding where time goes. */
export function trace(event: Record<string, unknown>): void {
  if (!TRACE) return;
  try {
    fs.appendFileSync(TRACE, JSON.stringify({ t: Date.now(), pid: process.pid, ...event }) + "\n");
  } catch {
    /* never break a deployment */
  }
}
// Soon enough for a reader that waits 700 ms after a phase; rarely enough that the writes cost the measured run little.
const WRITE_DELAY_MS = 250;
let timer: NodeJS.Timeout | undefined;

export interface StatsFile extends TransportStats {
  perHost: Record<string, HostCounters>;
  pid: number;
  /** The executor module of the PULUMI_OVS_EXECUTOR hook (transport/settings.ts), or "default". */
  executor: string;
  /** Peak resident set size of this process, in bytes. */
  maxRssBytes: number;
  /** CPU time of this process so far (user + system), in ms. */
  cpuMs: number;
  /** process.memoryUsage() (MB) at the largest RSS seen by a statistics write: where the memory was. */
  atPeak?: Record<string, number>;
  writtenAt: string;
}

export function statsSnapshot(): StatsFile {
  return {
    ...transportStats,
    perHost: perHostStats,
    pid: process.pid,
    executor: executorModule() ?? "default",
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    cpuMs: cpuMs(),
    atPeak: memoryAtPeak(),
    writtenAt: new Date().toISOString(),
  };
}

let peak: Record<string, number> | undefined;

function memoryAtPeak(): Record<string, number> | undefined {
  const m = process.memoryUsage();
  if (!peak || m.rss / 1e6 > peak.rss) peak = Object.fromEntries(Object.entries(m).map(([k, v]) => [k, Math.round(v / 1e5) / 10]));
  return peak;
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return Math.round((u.user + u.system) / 1000);
}

function writeNow(): void {
  // A test process that set the variable for a while (its CLI children inherit it) stops writing once it is gone.
  if (!DIR || process.env.PULUMI_OVS_STATS_DIR !== DIR) return;
  try {
    fs.mkdirSync(DIR, { recursive: true });
    const file = path.join(DIR, `stats-${process.pid}.json`);
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(statsSnapshot()));
    fs.renameSync(`${file}.tmp`, file);
  } catch {
    /* statistics must never break a deployment */
  }
}

/** Something happened: write the counters soon (the engine may kill this process without warning). */
export function noteActivity(): void {
  if (!DIR || timer) return;
  timer = setTimeout(() => {
    timer = undefined;
    writeNow();
  }, WRITE_DELAY_MS);
  timer.unref();
}

if (DIR) {
  // Also while idle (a preview sends nothing to hosts): the file then still carries the peak RSS.
  setInterval(writeNow, 500).unref();
  noteActivity();
  process.on("exit", writeNow);
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.once(sig, () => {
      writeNow();
      process.exit(0);
    });
  }
}
