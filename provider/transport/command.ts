import { shellJoin, shellQuote } from "./quote";

/** A remote command is data: an argv (never a shell string) and optional stdin text. */
export interface RemoteCommand {
  argv: string[];
  stdin?: string;
  /** Exit codes that are not failures (e.g. `ip netns del` of a gone namespace is handled by the caller). */
  okCodes?: number[];
  /** Changes nothing on the host: identical reads that meet in one round trip run once. */
  read?: boolean;
  /** How this command may be merged with others of its kind for the same host (see transport/coalesce-plan.ts). */
  merge?: MergeHint;
  /**
   * A read that runs after every other command of its round trip (only at the end of a submission): it sees
   * every write that left with it, so its answer is the host's state after them.
   */
  afterAll?: boolean;
  /**
   * Changes the way into the host (a management move): its round trip is armed with a detached revert
   * (transport/safe-apply.ts) even where the connection's rollbackAfter is not set.
   */
  armRevert?: boolean;
  /**
   * Writes only files of ours (no link, address, route, bridge, port or flow): safe apply arms no revert for a
   * round trip of such writes (its revert would restore none of it).
   */
  filesOnly?: boolean;
  /**
   * Rides after the writes of its submission (transport/rider.ts; only reads after it): runs after every other
   * write of its round trip, before the afterAll reads, and only when each command before it in its submission
   * succeeded (exit 0 or one of its okCodes). Tails of one merge rule and key become one command, whatever their stage, when the rule
   * joins stdins.
   */
  tail?: boolean;
}

export interface CommandResult {
  stdout: string;
  stderr: string;
  code: number;
}

/**
 * Commands with the same rule and key that meet in one round trip become ONE command (one ovs-vsctl
 * transaction, one add-flows file). The rule lives with the tool it knows (provider/ovs/merge.ts); the
 * transport only groups and fans results back.
 */
export interface MergeHint {
  rule: MergeRule;
  key: string;
  /** What the rule needs to know about this member beyond its argv (e.g. its line in a flow file). */
  payload?: unknown;
}

export interface MergeRule {
  name: string;
  /**
   * Members differ only in their stdin: merged, they are any member's argv fed the members' stdins one after
   * another. Only such rules merge tails (each member's stdin is then included only if its submission succeeded).
   */
  joinsStdin?: boolean;
  merge(members: readonly RemoteCommand[]): RemoteCommand;
  /**
   * Each member's result, from the merged command's. undefined: the merged result cannot be attributed
   * (it failed, or its output is ambiguous): the members are then run one by one, each as its own command.
   */
  split(merged: CommandResult, members: readonly RemoteCommand[]): CommandResult[] | undefined;
}

/** The text ssh2 sends for one command, with `sudo -n` for non-root users (never prompts, fails instead). */
export function commandLine(argv: readonly string[], sudo: boolean): string {
  return sudo ? `sudo -n -- ${shellJoin(argv)}` : shellJoin(argv);
}

/** Heredoc text (empty or ending in a newline) that cannot end the heredoc early. */
function stdinBody(text: string, nonce: string): string {
  if (text.includes(`POVS_IN_${nonce}`)) throw new Error("stdin collides with the batch delimiter");
  return text;
}

/** Results of a batch, by command index; commands after a stop-on-error failure are absent (undefined). */
export function parseBatchOutput(stdout: string, nonce: string, count: number): (CommandResult | undefined)[] {
  const results: (CommandResult | undefined)[] = new Array(count).fill(undefined);
  const marker = new RegExp(`\\n${nonce}:(\\d+):(?:(-?\\d+):out|err)\\n`, "g");
  const marks: { index: number; code?: number; kind: "out" | "err"; start: number; end: number }[] = [];
  let m: RegExpExecArray | null;
  while ((m = marker.exec(stdout)) !== null) {
    marks.push({ index: Number(m[1]), code: m[2] === undefined ? undefined : Number(m[2]), kind: m[2] === undefined ? "err" : "out", start: m.index, end: m.index + m[0].length });
  }
  for (let k = 0; k < marks.length; k++) {
    const mk = marks[k];
    const body = stdout.slice(mk.end, k + 1 < marks.length ? marks[k + 1].start : stdout.length);
    const r = (results[mk.index] ??= { stdout: "", stderr: "", code: 0 });
    if (mk.kind === "out") {
      r.code = mk.code ?? 0;
      r.stdout = body;
    } else {
      r.stderr = body;
    }
  }
  return results;
}

/** One command of a coalesced round trip, with the flags that make stop-on-error work across waves. */
export interface ScriptJob {
  cmd: RemoteCommand;
  /** Do not run if this flag was raised (an earlier command of the same submission failed). */
  skipIf?: string;
  /** Flags to raise if this command fails. */
  onFail?: readonly string[];
  /** Flags to raise if this command fails with an exit code other than 0 and its okCodes. */
  onError?: readonly string[];
  /**
   * The job's stdin, put together when it runs (cmd.stdin is ignored): each part goes in unless its flag was
   * raised. A job all of whose parts are left out does not run.
   */
  stdinParts?: readonly { text: string; skipIf?: string }[];
}

/** Shell variable of a long-lived shell naming its own temporary directory, which batch scripts then reuse. */
export const SESSION_DIR_VAR = "POVS_T";

/**
 * The script of one coalesced round trip (see transport/coalesce-plan.ts), a POSIX sh script sent on stdin to
 * `sh -s` (so its size is not bound by ARG_MAX). Each command's stdout/stderr is captured on its own and printed
 * between markers that carry a random nonce, so no command output can forge a boundary. waves run one after the other, the jobs
 * of a wave side by side (at most `parallel` at a time). Results are printed afterwards in job order (flat
 * index over all waves), in the format parseBatchOutput reads; a skipped job prints nothing.
 *
 * Forks are what a round trip costs the host beyond its commands, so: each job is one fork+exec (a background
 * simple command; `wait PID` gives its status), flags are shell variables, markers are written by the builtin
 * printf into files, and ONE `cat` prints everything at the end.
 */
export function jobsScript(waves: readonly (readonly ScriptJob[])[], nonce: string, parallel = 16): string {
  if (!/^[A-Za-z0-9]{8,}$/.test(nonce)) throw new Error("batch nonce must be alphanumeric");
  const flagVar = (f: string) => {
    if (!/^[a-z0-9]+$/.test(f)) throw new Error(`bad batch flag ${JSON.stringify(f)}`);
    return `POVS_F_${f}`;
  };
  // A long-lived shell (transport/session.ts) keeps one directory for all its round trips: two forks fewer each.
  const lines = [`if [ -d "\${${SESSION_DIR_VAR}-}" ]; then t=$${SESSION_DIR_VAR}; else t=$(mktemp -d) || exit 97; trap 'rm -rf "$t"' EXIT; fi`, "export LC_ALL=C", "set --"];
  const collect = (k: number, job: ScriptJob) => {
    const raise = job.onFail?.length ? ` || ${job.onFail.map((f) => `${flagVar(f)}=1`).join(" ")}` : "";
    const ok = [0, ...(job.cmd.okCodes ?? [])].join("|");
    const error = job.onError?.length ? `; case "$r" in ${ok}) ;; *) ${job.onError.map((f) => `${flagVar(f)}=1`).join(" ")} ;; esac` : "";
    const body = [
      `wait "$p${k}"; r=$?`,
      `printf '\\n${nonce}:${k}:%s:out\\n' "$r" >"$t/a${k}"; printf '\\n${nonce}:${k}:err\\n' >"$t/b${k}"`,
      `set -- "$@" "$t/a${k}" "$t/o${k}" "$t/b${k}" "$t/e${k}"`,
      `[ "$r" -eq 0 ]${raise}${error}`,
    ];
    lines.push(job.skipIf || job.stdinParts ? `if [ -n "$p${k}" ]; then ${body.join("; ")}; fi` : body.join("\n"));
  };
  let i = 0;
  for (const wave of waves) {
    let pending: [number, ScriptJob][] = [];
    const flush = () => {
      for (const [k, job] of pending) collect(k, job);
      pending = [];
    };
    for (const job of wave) {
      lines.push(...launchLines(job, i, nonce, flagVar));
      pending.push([i, job]);
      if (pending.length === parallel) flush();
      i++;
    }
    flush();
  }
  lines.push(`if [ "$#" -gt 0 ]; then cat "$@"; fi`);
  return lines.join("\n") + "\n";
}

/** The lines that start job `i` in the background (its PID in p<i>, empty when it does not run). */
function launchLines(job: ScriptJob, i: number, nonce: string, flagVar: (f: string) => string): string[] {
  const cmd = job.cmd;
  const out = `>"$t/o${i}" 2>"$t/e${i}"`;
  if (job.stdinParts) {
    // Builtin printf only (no fork per part); the job starts when any part went in.
    const parts = job.stdinParts.map((part) => `${part.skipIf ? `[ -n "\${${flagVar(part.skipIf)}-}" ] || ` : ""}printf '%s' ${shellQuote(part.text)} >>"$t/i${i}"`);
    return [`: >"$t/i${i}"`, ...parts, `p${i}=; if [ -s "$t/i${i}" ]; then ${shellJoin(cmd.argv)} ${out} <"$t/i${i}" & p${i}=$!; fi`];
  }
  // A heredoc always ends its text with a newline: stdin without one is printed by the builtin printf.
  const heredoc = cmd.stdin !== undefined && (cmd.stdin === "" || cmd.stdin.endsWith("\n"));
  const feed = cmd.stdin !== undefined && !heredoc ? `printf '%s' ${shellQuote(cmd.stdin)} | ` : "";
  const input = cmd.stdin === undefined ? "</dev/null" : heredoc ? `<<'POVS_IN_${nonce}'` : "";
  const launch = `${feed}${shellJoin(cmd.argv)} ${out} ${input} & p${i}=$!`;
  const lines = [job.skipIf ? `p${i}=; if [ -z "\${${flagVar(job.skipIf)}-}" ]; then ${launch}; fi` : launch];
  if (heredoc) lines.push(`${stdinBody(cmd.stdin ?? "", nonce)}POVS_IN_${nonce}`);
  return lines;
}

/** `sh -s` (as root through sudo when needed) reading the batch script on stdin. */
export function batchCommandLine(sudo: boolean): string {
  return sudo ? "sudo -n -- sh -s" : "sh -s";
}

export function describeCommand(cmd: RemoteCommand): string {
  return shellJoin(cmd.argv) + (cmd.stdin !== undefined ? ` <<< ${shellQuote(truncate(cmd.stdin, 200))}` : "");
}

function truncate(s: string, n: number): string {
  return s.length > n ? s.slice(0, n) + "..." : s;
}
