import { shellJoin, shellQuote } from "./quote";

/** A remote command is data: an argv (never a shell string) and optional stdin text. */
export interface RemoteCommand {
  argv: string[];
  stdin?: string;
  /** Exit codes that are not failures (e.g. `ip netns del` of a gone namespace is handled by the caller). */
  okCodes?: number[];
}

export interface CommandResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** The text ssh2 sends for one command, with `sudo -n` for non-root users (never prompts, fails instead). */
export function commandLine(argv: readonly string[], sudo: boolean): string {
  return sudo ? `sudo -n -- ${shellJoin(argv)}` : shellJoin(argv);
}

/**
 * Several commands in one round trip: a POSIX sh script (sent on stdin to `sh -s`, so its size is not bound by
 * ARG_MAX) that runs each command with its own stdout/stderr captured and prints them between markers that
 * carry a random nonce, so no command output can forge a boundary.
 */
export function batchScript(commands: readonly RemoteCommand[], nonce: string, stopOnError: boolean): string {
  if (!/^[A-Za-z0-9]{8,}$/.test(nonce)) throw new Error("batch nonce must be alphanumeric");
  const lines = ["t=$(mktemp -d) || exit 97", `trap 'rm -rf "$t"' EXIT`, "export LC_ALL=C"];
  commands.forEach((cmd, i) => {
    const input = cmd.stdin === undefined ? "</dev/null" : `<<'POVS_IN_${nonce}'\n${stdinBody(cmd.stdin, nonce)}POVS_IN_${nonce}`;
    lines.push(`${shellJoin(cmd.argv)} >"$t/o" 2>"$t/e" ${input}`);
    lines.push(`r=$?; printf '\\n${nonce}:${i}:%d:out\\n' "$r"; cat "$t/o"; printf '\\n${nonce}:${i}:err\\n'; cat "$t/e"`);
    if (stopOnError) lines.push(`[ "$r" -eq 0 ] || exit 0`);
  });
  return lines.join("\n") + "\n";
}

function stdinBody(text: string, nonce: string): string {
  if (text.includes(`POVS_IN_${nonce}`)) throw new Error("stdin collides with the batch delimiter");
  return text.endsWith("\n") || text === "" ? text : text + "\n";
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
