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
 *   tail wave     commands marked `tail` (transport/rider.ts): after every other write of the round trip, each
 *                 only if the commands before it in its submission succeeded. Tails of one merge rule and key
 *                 become one command whatever their stage, fed the stdin of those members whose submission did.
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
  /** One command merged from stage-0 commands (same rule and key), or from tails (`tail`: never retried). */
  | { kind: "merged"; slots: Slot[]; tail?: boolean }
  /** One read that several submissions asked for. */
  | { kind: "shared"; slots: Slot[] };

export interface Plan {
  waves: ScriptJob[][];
  /** Per wave, per job. */
  routes: Route[][];
}

/** Raised when a command of submission `sub` fails: its later commands do not run (stopOnError). */
const flag = (sub: number) => `f${sub}`;
/** Raised when a command before submission `sub`'s tail fails (exit not 0 nor one of its okCodes): the tail does not run. */
const tailFlag = (sub: number) => `g${sub}`;

function readKey(cmd: RemoteCommand): string | undefined {
  return cmd.read && !cmd.merge ? JSON.stringify([cmd.argv, cmd.stdin ?? null, cmd.okCodes ?? null, !!cmd.afterAll]) : undefined;
}

/**
 * The group of commands this one merges with in its wave: stage-0 writes of one rule and key (in chunks that
 * fit ARG_MAX), or tails of one stdin-joining rule and key whatever their stage; undefined: it runs as itself.
 */
function mergeKey(cmd: RemoteCommand, stage: number, chunks: MergeChunks): string | undefined {
  if (!cmd.merge) return undefined;
  const id = `${cmd.merge.rule.name}\0${cmd.merge.key}`;
  if (cmd.tail) return cmd.merge.rule.joinsStdin ? `t${id}` : undefined;
  return stage === 0 ? chunks.key(`m${id}`, cmd.argv) : undefined;
}

/** Whether a failure of this submission's command at `stage` must skip later commands of it. */
function stopsLater(s: Submission, stage: number): boolean {
  return s.stopOnError && stage < s.cmds.length - 1;
}

/** The index of the submission's tail, or -1. */
function tailOf(s: Submission): number {
  return s.cmds.findIndex((c) => c.tail);
}

function checkShape(s: Submission): void {
  const first = s.cmds.findIndex((c) => c.afterAll);
  if (first >= 0 && s.cmds.slice(first).some((c) => !c.afterAll)) throw new Error("afterAll reads must end their submission");
  const tail = tailOf(s);
  if (tail >= 0 && (s.cmds.slice(tail + 1).some((c) => !c.read || c.tail) || s.cmds[tail].afterAll)) throw new Error("a tail must come after every write of its submission (only reads after it)");
}

/** Whether a command's outcome keeps a tail after it from running (as the script's tail flag decides). */
export function blocksTail(cmd: RemoteCommand, stopOnError: boolean, r: Outcome): boolean {
  if (r === undefined) return true;
  return r.code !== 0 && (stopOnError || !(cmd.okCodes ?? []).includes(r.code));
}

/** Pure: the waves of one round trip. With `merge` false (the retry of failed merges) nothing merges; reads are still shared. */
export function plan(subs: readonly Submission[], merge = true): Plan {
  subs.forEach(checkShape);
  const afterAll = subs.some((s) => s.cmds.some((c) => c.afterAll));
  const tails = subs.some((s) => tailOf(s) >= 0);
  const stages = Math.max(0, ...subs.map((s) => s.cmds.filter((c) => !c.afterAll && !c.tail).length));
  const waveCount = stages + (tails ? 1 : 0) + (afterAll ? 1 : 0);
  const waves: ScriptJob[][] = Array.from({ length: waveCount }, () => []);
  const routes: Route[][] = Array.from({ length: waveCount }, () => []);
  // Per wave: groups by merge key / read key, in order of first appearance.
  const groups = Array.from({ length: waveCount }, () => new Map<string, Slot[]>());
  const order: (string | Slot)[][] = Array.from({ length: waveCount }, () => []);
  const chunks = Array.from({ length: waveCount }, () => new MergeChunks());
  subs.forEach((s, sub) => {
    let w = 0;
    s.cmds.forEach((cmd, stage) => {
      const wave = cmd.afterAll ? waveCount - 1 : cmd.tail ? stages : w++;
      const slot = { sub, stage };
      const key = (merge ? mergeKey(cmd, stage, chunks[wave]) : undefined) ?? readKey(cmd);
      if (key === undefined) return order[wave].push(slot);
      const g = groups[wave];
      if (!g.has(key)) (g.set(key, []), order[wave].push(key));
      g.get(key)!.push(slot);
    });
  });
  const cmdOf = (x: Slot) => subs[x.sub].cmds[x.stage];
  const stopFlags = (slots: Slot[]) => slots.filter((x) => stopsLater(subs[x.sub], x.stage)).map((x) => flag(x.sub));
  // A failure before a tail keeps the tail from running; with stopOnError any non-zero exit is one.
  const tailFlags = (slots: Slot[]) => slots.filter((x) => x.stage < tailOf(subs[x.sub])).map((x) => tailFlag(x.sub));
  const failFlags = (slots: Slot[]) => [...stopFlags(slots), ...slots.filter((x) => subs[x.sub].stopOnError).flatMap((x) => tailFlags([x]))];
  const errorFlags = (slots: Slot[]) => tailFlags(slots.filter((x) => !subs[x.sub].stopOnError));
  const flags = (slots: Slot[]) => ({ onFail: failFlags(slots), onError: errorFlags(slots) });
  // Later commands of a stop-on-error submission run only while it has not failed; a tail only while nothing before it failed.
  const skipFlag = (x: Slot) => (cmdOf(x).tail ? tailFlag(x.sub) : x.stage > 0 && subs[x.sub].stopOnError ? flag(x.sub) : undefined);
  order.forEach((items, wave) => {
    for (const item of items) {
      if (typeof item !== "string") {
        waves[wave].push({ cmd: cmdOf(item), skipIf: skipFlag(item), ...flags([item]) });
        routes[wave].push({ kind: "direct", slot: item });
        continue;
      }
      const slots = groups[wave].get(item)!;
      const first = cmdOf(slots[0]);
      if (slots.length === 1) {
        waves[wave].push({ cmd: first, skipIf: skipFlag(slots[0]), ...flags(slots) });
        routes[wave].push({ kind: "direct", slot: slots[0] });
      } else if (item.startsWith("t")) {
        // Each member's stdin goes in only if its own submission got this far.
        waves[wave].push({ cmd: { ...first, stdin: undefined }, stdinParts: slots.map((x) => ({ text: cmdOf(x).stdin ?? "", skipIf: tailFlag(x.sub) })), onFail: [], onError: [] });
        routes[wave].push({ kind: "merged", slots, tail: true });
      } else if (item.startsWith("m")) {
        waves[wave].push({ cmd: first.merge!.rule.merge(slots.map(cmdOf)), onFail: failFlags(slots), onError: errorFlags(slots) });
        routes[wave].push({ kind: "merged", slots });
      } else {
        // A shared read runs whatever its askers did before (a read changes nothing).
        waves[wave].push({ cmd: first, ...flags(slots) });
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
        else if (route.tail) for (const x of route.slots) results[x.sub][x.stage] = r;
        else {
          failedMerges++;
          for (const x of route.slots) retry.add(x.sub);
        }
      }
    }
  });
  // A shared read, or a joined tail, also answers askers that had stopped: a tail runs only after success, and
  // stop-on-error means nothing after a failure.
  subs.forEach((s, i) => {
    const tail = tailOf(s);
    if (tail >= 0 && results[i].slice(0, tail).some((r, stage) => blocksTail(s.cmds[stage], s.stopOnError, r))) results[i][tail] = undefined;
    if (!s.stopOnError) return;
    const stop = results[i].findIndex((r) => r === undefined || r.code !== 0);
    if (stop >= 0) results[i].fill(undefined, stop + 1);
  });
  return { results, retry: [...retry].sort((a, b) => a - b), failedMerges };
}
