import * as crypto from "node:crypto";
import type { CommandResult, ScriptJob } from "./command";
import { commandLine } from "./command";
import type { ExecutorContext } from "./executor";
import { redact } from "./redact";
import { ARM_FAILED, ARM_MESSAGE, DISARM_TOO_LATE, type RevertPlan, armScript, changesNetwork, disarmScript } from "./safe-apply";
import { trace } from "./stats";

/**
 * Safe apply around one round trip (docs/safe-apply.md): the arm goes in front of the round trip's script (no
 * extra round trip), and afterwards a new connection, dialed past the pool and the broker, disarms it. The
 * round trip's callers get its results only once the host answered on that new connection.
 */

/** Seconds a management move's revert waits when the connection sets no rollbackAfter. */
export const MOVE_ROLLBACK_SECONDS = 60;

/** What the host's revert saves and restores; set once by the layer that knows the tools (resources/framework.ts). */
let plan: RevertPlan | undefined;
export function useRevertPlan(p: RevertPlan): void {
  plan = p;
}

/** A change to a host that did not confirm: the resources of its round trip fail with this. */
export class SafeApplyError extends Error {
  constructor(message: string) {
    super(redact(message));
    this.name = "SafeApplyError";
  }
}

export interface Armed {
  token: string;
  seconds: number;
  /** Shell text to run before the round trip's commands. */
  prefix: string;
  /** When the revert fires (ms since the epoch), counted from just before the round trip left. */
  firesAt: number;
}

/** How long a round trip's revert waits: the host's rollbackAfter, or the management move's when one is sent. */
export function rollbackFor(waves: readonly (readonly ScriptJob[])[], hostSeconds: number): number {
  const jobs = waves.flat();
  if (!jobs.some((j) => changesNetwork(j.cmd))) return 0;
  if (hostSeconds > 0) return hostSeconds;
  return jobs.some((j) => j.cmd.armRevert) ? MOVE_ROLLBACK_SECONDS : 0;
}

/** The arm for a round trip, or undefined when it changes nothing a revert covers and no setting asks for one. */
export function armFor(waves: readonly (readonly ScriptJob[])[], hostSeconds: number): Armed | undefined {
  const seconds = rollbackFor(waves, hostSeconds);
  if (seconds === 0 || !plan) return undefined;
  const token = crypto.randomBytes(8).toString("hex");
  return { token, seconds, prefix: armScript(token, seconds, plan), firesAt: Date.now() + seconds * 1000 };
}

const clock = (ms: number) => new Date(ms).toISOString().slice(11, 19) + " UTC";

/**
 * Run an armed round trip and confirm it: `roundTrip` runs the script (prefix included), then a new connection
 * disarms the revert. Throws SafeApplyError when the arm failed (nothing changed), when the host could not be
 * reached on a new connection before the revert (it reverts itself), or when the revert already ran.
 */
export async function runArmed(ctx: ExecutorContext, armed: Armed, shown: string, roundTrip: () => Promise<CommandResult>): Promise<CommandResult> {
  const when = `${clock(armed.firesAt)} (rollbackAfter ${armed.seconds} s)`;
  // Stop waiting for the round trip early enough to dial before the revert fires: a change that cut the old
  // session may leave it hanging, and the new connection is what decides.
  const dialBudget = Math.min(ctx.dialConn().perDialTimeout * 1000, (armed.seconds * 1000) / 3);
  const deadline = armed.firesAt - dialBudget - 500;
  let outcome: { r?: CommandResult; e?: unknown } | undefined;
  const ran = roundTrip().then(
    (r) => (outcome = { r }),
    (e: unknown) => (outcome = { e }),
  );
  await Promise.race([ran, sleep(Math.max(0, deadline - Date.now()))]);
  if (outcome?.r?.code === ARM_FAILED && outcome.r.stderr.includes(ARM_MESSAGE)) {
    throw new SafeApplyError(`on ${ctx.label}: could not arm the safe-apply revert; nothing was changed: ${outcome.r.stderr.trim()}`);
  }
  const before = outcome ? "" : `the round trip (${shown}) did not answer before the revert's deadline; `;
  const t0 = Date.now();
  let disarm: CommandResult;
  try {
    disarm = await withDeadline(
      ctx.withConnection((client) => ctx.exec(client, commandLine(["sh", "-c", disarmScript(armed.token)], ctx.sudo), undefined, "safe-apply disarm"), { fresh: true }),
      Math.max(dialBudget, armed.firesAt - 500 - Date.now()),
    );
  } catch (e) {
    throw new SafeApplyError(
      `on ${ctx.label}: ${before}cannot reach the host on a new SSH connection after the change (${(e as Error).message}); ` +
        `it reverts the change by itself at ${when}; the resources keep their previous state`,
    );
  }
  trace({ host: ctx.label, safeApply: { token: armed.token, disarmMs: Date.now() - t0, code: disarm.code } });
  if (disarm.code === DISARM_TOO_LATE) {
    throw new SafeApplyError(`on ${ctx.label}: ${before}the host answered on a new SSH connection only after its revert started (${disarm.stdout.trim() || "at " + clock(armed.firesAt)}, rollbackAfter ${armed.seconds} s): the change was undone; the resources keep their previous state`);
  }
  if (disarm.code !== 0) {
    throw new SafeApplyError(`on ${ctx.label}: could not disarm the safe-apply revert (exit code ${disarm.code}): ${disarm.stderr.trim()}; it reverts the change at ${when}`);
  }
  if (!outcome) await ran; // disarmed: the change stays, so its own answer is what the callers get
  if (outcome!.e !== undefined) throw outcome!.e;
  return outcome!.r!;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref?.());
}

function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no answer within ${Math.round(ms / 1000)} s`)), ms);
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e: unknown) => (clearTimeout(t), reject(e)),
    );
  });
}
