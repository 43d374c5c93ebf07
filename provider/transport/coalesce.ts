import type { CommandResult, RemoteCommand, ScriptJob } from "./command";
import { MergeChunks } from "./merge-chunks";

/**
 * Per-host coalescing. The engine calls the provider once per resource, many at a time; everything those
 * calls send to one host within a short window (or while the previous round trip is still out) leaves as ONE
 * round trip, a script run in waves:
 *
 *   wave k        the k-th command of every submission (a submission is an ordered list of commands: with
 *                 stopOnError, a failure skips the rest of its list). In wave 0, commands that merge (ovs-vsctl
 *                 writes, flow files) become one command per kind; in every wave identical reads run once.
 *   final wave    reads marked `afterAll`: they see every write of the round trip, so what they return is the
 *                 host's state after it (host/facts.ts keeps it as the snapshot for the next reads).
 *
 * Commands of one wave run side by side: they come from resources the engine runs concurrently, so none
 * waits for another. A merged command that fails cannot say which member was at fault, so its members run
 * again alone (one more round trip); each then fails or succeeds on its own. A failed ovs-vsctl transaction
 * changed nothing, a failed `--bundle` flow file neither: the retry applies the good members and names the bad.
 */

/** What one command did; undefined: it did not run (a stop-on-error submission stopped before it). */
export type Outcome = CommandResult | undefined;

/** What a round trip carries, for tracing: how many submissions, and how long the oldest of them waited (ms). */
export interface BatchInfo {
  submissions: number;
  waitedMs: number;
}

/** Runs the waves of one round trip and returns the results of all their jobs, in order (flat). */
export type Executor = (waves: readonly ScriptJob[][], info: BatchInfo) => Promise<Outcome[]>;

export interface Submission {
  cmds: readonly RemoteCommand[];
  stopOnError: boolean;
}

interface Slot {
  sub: number;
  stage: number;
}

/** How one job's result maps back to submissions. */
export type Route =
  | { kind: "direct"; slot: Slot }
  /** One command merged from stage-0 commands (same rule and key). */
  | { kind: "merged"; slots: Slot[] }
  /** One read that several submissions asked for. */
  | { kind: "shared"; slots: Slot[] };

export interface Plan {
  waves: ScriptJob[][];
  /** Per wave, per job. */
  routes: Route[][];
}

const flag = (sub: number) => `f${sub}`;

function readKey(cmd: RemoteCommand): string | undefined {
  return cmd.read && !cmd.merge ? JSON.stringify([cmd.argv, cmd.stdin ?? null, cmd.okCodes ?? null, !!cmd.afterAll]) : undefined;
}

/** Whether a failure of this submission's command at `stage` must skip later commands of it. */
function stopsLater(s: Submission, stage: number): boolean {
  return s.stopOnError && stage < s.cmds.length - 1;
}

/** Pure: the waves of one round trip. With `merge` false (the retry of failed merges) nothing merges; reads are still shared. */
export function plan(subs: readonly Submission[], merge = true): Plan {
  for (const s of subs) {
    const first = s.cmds.findIndex((c) => c.afterAll);
    if (first >= 0 && s.cmds.slice(first).some((c) => !c.afterAll)) throw new Error("afterAll reads must end their submission");
  }
  const afterAll = subs.some((s) => s.cmds.some((c) => c.afterAll));
  const stages = Math.max(0, ...subs.map((s) => s.cmds.filter((c) => !c.afterAll).length));
  const waveCount = stages + (afterAll ? 1 : 0);
  const waves: ScriptJob[][] = Array.from({ length: waveCount }, () => []);
  const routes: Route[][] = Array.from({ length: waveCount }, () => []);
  // Per wave: groups by merge key / read key, in order of first appearance.
  const groups = Array.from({ length: waveCount }, () => new Map<string, Slot[]>());
  const order: (string | Slot)[][] = Array.from({ length: waveCount }, () => []);
  const chunks = Array.from({ length: waveCount }, () => new MergeChunks());
  subs.forEach((s, sub) => {
    let w = 0;
    s.cmds.forEach((cmd, stage) => {
      const wave = cmd.afterAll ? waveCount - 1 : w++;
      const slot = { sub, stage };
      const mk = merge && stage === 0 && cmd.merge ? chunks[wave].key(`m${cmd.merge.rule.name}\0${cmd.merge.key}`, cmd.argv) : undefined;
      const key = mk ?? readKey(cmd);
      if (key === undefined) return order[wave].push(slot);
      const g = groups[wave];
      if (!g.has(key)) (g.set(key, []), order[wave].push(key));
      g.get(key)!.push(slot);
    });
  });
  const cmdOf = (x: Slot) => subs[x.sub].cmds[x.stage];
  const stopFlags = (slots: Slot[]) => slots.filter((x) => stopsLater(subs[x.sub], x.stage)).map((x) => flag(x.sub));
  // Later commands of a stop-on-error submission run only while it has not failed.
  const skipFlag = (x: Slot) => (x.stage > 0 && subs[x.sub].stopOnError ? flag(x.sub) : undefined);
  order.forEach((items, wave) => {
    for (const item of items) {
      if (typeof item !== "string") {
        waves[wave].push({ cmd: cmdOf(item), skipIf: skipFlag(item), onFail: stopFlags([item]) });
        routes[wave].push({ kind: "direct", slot: item });
        continue;
      }
      const slots = groups[wave].get(item)!;
      const first = cmdOf(slots[0]);
      if (slots.length === 1) {
        waves[wave].push({ cmd: first, skipIf: skipFlag(slots[0]), onFail: stopFlags(slots) });
        routes[wave].push({ kind: "direct", slot: slots[0] });
      } else if (item.startsWith("m")) {
        waves[wave].push({ cmd: first.merge!.rule.merge(slots.map(cmdOf)), onFail: stopFlags(slots) });
        routes[wave].push({ kind: "merged", slots });
      } else {
        // A shared read runs whatever its askers did before (a read changes nothing).
        waves[wave].push({ cmd: first, onFail: stopFlags(slots) });
        routes[wave].push({ kind: "shared", slots });
      }
    }
  });
  return { waves, routes };
}

/**
 * Pure: results per submission from one round trip's flat results. Submissions with a member of a merged
 * command whose result cannot be attributed are listed in `retry` (to run again alone, whole).
 */
export function fanOut(subs: readonly Submission[], p: Plan, flat: readonly Outcome[]): { results: Outcome[][]; retry: number[]; failedMerges: number } {
  const results: Outcome[][] = subs.map((s) => new Array(s.cmds.length).fill(undefined));
  const retry = new Set<number>();
  let failedMerges = 0;
  let at = 0;
  p.routes.forEach((wave) => {
    for (const route of wave) {
      const r = flat[at++];
      if (route.kind === "direct") results[route.slot.sub][route.slot.stage] = r;
      else if (route.kind === "shared") for (const x of route.slots) results[x.sub][x.stage] = r;
      else {
        const members = route.slots.map((x) => subs[x.sub].cmds[x.stage]);
        const split = r ? members[0].merge!.rule.split(r, members) : undefined;
        if (split && split.length === members.length) route.slots.forEach((x, k) => (results[x.sub][x.stage] = split[k]));
        else {
          failedMerges++;
          for (const x of route.slots) retry.add(x.sub);
        }
      }
    }
  });
  // A shared read also answers askers that had stopped: stop-on-error means nothing after a failure.
  subs.forEach((s, i) => {
    if (!s.stopOnError) return;
    const stop = results[i].findIndex((r) => r === undefined || r.code !== 0);
    if (stop >= 0) results[i].fill(undefined, stop + 1);
  });
  return { results, retry: [...retry].sort((a, b) => a - b), failedMerges };
}

export interface QueueOptions {
  /** A batch leaves once nothing more has arrived for this long (ms)... */
  windowMs: number;
  /**
   * ...or for this long (ms; default windowMs) once it holds streamBatch submissions or more: so many waiting at
   * once means the engine is streaming a large stack's operations in, and a longer pause before leaving makes
   * round trips fewer and larger. A few operations at a time (the CLI's default parallelism, a small stack)
   * never wait longer than windowMs.
   */
  streamWindowMs?: number;
  streamBatch?: number;
  /**
   * ...or once its oldest submission has waited this long (ms; default windowMs: a fixed window from the first
   * arrival). While the engine hands out operations steadily, this is what makes round trips fewer and larger.
   */
  maxWaitMs?: number;
  /** Flush at once when this many submissions wait. */
  maxBatch: number;
  /**
   * Round trips out at the same time. 1 (the default) is what makes an `afterAll` read a snapshot of the host:
   * no other round trip of ours can change it meanwhile. Those that arrive meanwhile leave together next.
   */
  maxInFlight: number;
}

export interface QueueStats {
  batches: number;
  submissions: number;
  mergedCommands: number;
  mergedMembers: number;
  mergeRetries: number;
  sharedReads: number;
}

interface Pending extends Submission {
  /** When it arrived (ms). */
  at: number;
  resolve(r: Outcome[]): void;
  reject(e: unknown): void;
}

function batchInfo(batch: readonly Pending[]): BatchInfo {
  return { submissions: batch.length, waitedMs: Date.now() - batch[0].at };
}

/** One host's queue: submissions in, one round trip per flush out. */
export class HostQueue {
  private waiting: Pending[] = [];
  private timer?: NodeJS.Timeout;
  private inFlight = 0;
  /** Submissions so far (to tell whether any arrived between a timer and the flush it asks for). */
  private arrivals = 0;

  /**
   * `prepare`: what must be in place before a round trip can leave (the host's connection). The batch is
   * taken only once it is: what arrives while a connection is dialed leaves with the first round trip. If it
   * fails, the batch it held back fails with its error.
   */
  constructor(
    private readonly exec: Executor,
    private readonly opts: QueueOptions,
    private readonly stats?: QueueStats,
    private readonly prepare?: () => Promise<void>,
  ) {}

  submit(cmds: readonly RemoteCommand[], stopOnError: boolean): Promise<Outcome[]> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ cmds, stopOnError, at: Date.now(), resolve, reject });
      this.arrivals++;
      if (this.stats) this.stats.submissions++;
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.waiting.length >= this.opts.maxBatch) return this.flush();
    // While a round trip is out, whatever arrives waits for it to come back.
    if (this.inFlight >= this.opts.maxInFlight || this.waiting.length === 0) return;
    const { windowMs, maxWaitMs = windowMs, streamWindowMs = windowMs, streamBatch = Infinity } = this.opts;
    const quiet = this.waiting.length >= streamBatch ? streamWindowMs : windowMs;
    const due = Math.min(this.waiting[this.waiting.length - 1].at + quiet, this.waiting[0].at + maxWaitMs);
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      // Requests that reached the socket while the event loop was busy (a GC pause, a large parse) are read
      // only after the timers: let them in first, so a pause of ours is not taken for a pause in arrivals.
      const seen = this.arrivals;
      setImmediate(() => (this.arrivals === seen ? this.flush() : this.schedule()));
    }, Math.max(0, due - Date.now()));
  }

  private flush(): void {
    if (this.waiting.length === 0 || this.inFlight >= this.opts.maxInFlight) return;
    if (this.timer) (clearTimeout(this.timer), (this.timer = undefined));
    this.inFlight++;
    void this.prepareThenRun().finally(() => {
      this.inFlight--;
      // Those that queued meanwhile leave once arrivals pause (windowMs) or the oldest has waited maxWaitMs.
      this.schedule();
    });
  }

  private async prepareThenRun(): Promise<void> {
    let failed: { error: unknown } | undefined;
    if (this.prepare) await this.prepare().catch((error: unknown) => (failed = { error }));
    const batch = this.waiting.splice(0, this.opts.maxBatch);
    if (failed) for (const b of batch) b.reject(failed.error);
    else if (batch.length > 0) await this.runBatch(batch);
  }

  private async runBatch(batch: Pending[]): Promise<void> {
    try {
      const p = plan(batch);
      if (this.stats) this.count(p);
      const { results, retry, failedMerges } = fanOut(batch, p, await this.exec(p.waves, batchInfo(batch)));
      if (retry.length > 0) {
        if (this.stats) this.stats.mergeRetries += failedMerges;
        // The members alone, each whole and unmerged, side by side in one more round trip.
        const subs = retry.map((s) => batch[s]);
        const alone = plan(subs, false);
        const again = fanOut(subs, alone, await this.exec(alone.waves, batchInfo(subs))).results;
        retry.forEach((s, k) => (results[s] = again[k]));
      }
      batch.forEach((b, i) => b.resolve(results[i]));
    } catch (e) {
      for (const b of batch) b.reject(e);
    }
  }

  private count(p: Plan): void {
    const s = this.stats!;
    s.batches++;
    for (const r of p.routes.flat()) {
      if (r.kind === "merged") (s.mergedCommands++, (s.mergedMembers += r.slots.length));
      if (r.kind === "shared") s.sharedReads += r.slots.length - 1;
    }
  }
}
