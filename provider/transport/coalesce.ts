import type { RemoteCommand } from "./command";
import { type BatchInfo, type Executor, type Outcome, type Plan, type Submission, fanOut, plan } from "./coalesce-plan";

/**
 * Per-host coalescing (the waves of a round trip: transport/coalesce-plan.ts). HostQueue gathers what the
 * engine's concurrent calls send to one host and lets it leave as one round trip per flush.
 */

export { type BatchInfo, type Executor, type Outcome, type Route, type Plan, type Submission, fanOut, plan } from "./coalesce-plan";

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
