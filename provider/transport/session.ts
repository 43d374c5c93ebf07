import * as crypto from "node:crypto";
import type { Client, ClientChannel } from "ssh2";
import { type CommandResult, SESSION_DIR_VAR } from "./command";
import { ConnectionError } from "./errors";

/**
 * A long-lived shell on one SSH connection (`sudo -n -- sh -s`, or `sh -s` as root) that runs one round
 * trip's script at a time, fed on its stdin. An exec channel per round trip costs two network round trips
 * (channel open, exec request), a fork of sshd, a login shell and sudo, more host CPU than the batch framework
 * itself; a session pays that once per connection.
 *
 * Framing: each script runs in a subshell between markers that carry a fresh random nonce: GO on stdout when
 * it starts, END with its exit status on stdout and END on stderr when it is done. Nothing a command prints can
 * forge them. A script that did not print GO never started: only then may the caller try it again elsewhere.
 */
export class ShellSession {
  private dead = false;
  private stdout: Buffer[] = [];
  private stderr: Buffer[] = [];
  private outTail = "";
  private errTail = "";
  private pending?: Pending;
  private ran = false;
  private endedEarly?: { code: number };

  private constructor(readonly client: Client, private readonly channel: ClientChannel, private readonly label: string) {
    channel.on("data", (d: Buffer) => this.onData(d, false));
    channel.stderr.on("data", (d: Buffer) => this.onData(d, true));
    channel.on("error", () => undefined); // surfaces as 'close'
    channel.on("close", (code: number | null, signal?: string) => this.onClose(code, signal));
  }

  /** Start the shell. Fails (nothing ran) when the channel cannot be opened. */
  static open(client: Client, line: string, label: string): Promise<ShellSession> {
    return new Promise((resolve, reject) => {
      client.exec(line, (err: Error | undefined, channel: ClientChannel) => (err ? reject(err) : resolve(new ShellSession(client, channel, label))));
    });
  }

  get usable(): boolean {
    return !this.dead && !this.pending;
  }

  close(): void {
    this.dead = true;
    this.channel.close();
  }

  /** Run one script (it must not read stdin: batch scripts give every command its own). One at a time. */
  run(script: string, timeoutMs: number, onTimeout: () => Error): Promise<CommandResult> {
    // The shell ended before its first script (sudo refused; its words are on stderr): that is the answer.
    if (this.endedEarly) return Promise.resolve(shellEnded("", Buffer.concat(this.stderr).toString("utf8"), this.endedEarly.code));
    if (!this.usable) return Promise.reject(new Error("shell session is busy or closed"));
    const nonce = crypto.randomBytes(9).toString("hex");
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.finish();
        this.close();
        reject(Object.assign(onTimeout(), { commandStarted: true }));
      }, timeoutMs);
      this.pending = { ...markers(nonce), resolve, reject, timer, started: false };
      this.ran = true;
      this.channel.write(wrap(script, nonce));
    });
  }

  private onData(d: Buffer, isErr: boolean): void {
    (isErr ? this.stderr : this.stdout).push(d);
    const p = this.pending;
    if (!p) return; // between scripts only the shell itself speaks (e.g. sudo refusing): kept for the next run
    // The last bytes seen and this chunk: enough to find a marker that spans two chunks.
    const seen = (isErr ? this.errTail : this.outTail) + d.toString("latin1");
    if (isErr) this.errTail = seen.slice(-200);
    else this.outTail = seen.slice(-200);
    if (!p.started && !isErr && seen.includes(p.go)) p.started = true;
    const done = this.outTail.match(p.endOut);
    if (!done || !this.errTail.endsWith(p.endErr)) return;
    const out = Buffer.concat(this.stdout).toString("utf8");
    const err = Buffer.concat(this.stderr).toString("utf8");
    // Whatever came before GO is not the script's (a login file that prints, before the first script).
    const result = {
      stdout: out.slice(out.indexOf(p.go) + p.go.length, out.length - done[0].length),
      stderr: err.slice(0, err.length - p.endErr.length),
      code: Number(done[1]),
    };
    this.finish();
    p.resolve(result);
  }

  private onClose(code: number | null, signal?: string): void {
    this.dead = true;
    const p = this.pending;
    if (!p) {
      if (!this.ran && typeof code === "number") this.endedEarly = { code };
      return;
    }
    const stdout = Buffer.concat(this.stdout).toString("utf8");
    const stderr = Buffer.concat(this.stderr).toString("utf8");
    this.finish();
    // The shell itself ended before the script began: sudo refused (its words are on stderr), or no shell.
    if (typeof code === "number" && !p.started) return p.resolve(shellEnded(stdout, stderr, code));
    // "Connection lost" is what the pool treats as worth one reconnect, and only when nothing started.
    const what = p.started ? "connection lost while the script ran" : "Connection lost before the script started";
    p.reject(Object.assign(new ConnectionError(this.label, `${what}${signal ? ` (signal ${signal})` : ""}`), { commandStarted: p.started }));
  }

  private finish(): void {
    if (this.pending) clearTimeout(this.pending.timer);
    this.pending = undefined;
    this.stdout = [];
    this.stderr = [];
    this.outTail = "";
    this.errTail = "";
  }
}

/**
 * Long-lived shells of one connection not running anything now (one, unless round trips overlap): a round trip
 * takes one, or opens one, and gives it back while it is still usable.
 */
export class IdleShells {
  private idle: ShellSession[] = [];

  /** Run `script` on an idle shell of `client` (opened with `line` if none); `opened` is called once it has one. */
  async run(client: Client, line: string, label: string, script: string, timeoutMs: number, onTimeout: () => Error, opened?: () => void): Promise<CommandResult> {
    let session = this.idle.pop();
    if (session && (!session.usable || session.client !== client)) {
      session.close();
      session = undefined;
    }
    session ??= await ShellSession.open(client, line, label);
    opened?.();
    const r = await session.run(script, timeoutMs, onTimeout);
    if (session.usable) this.idle.push(session);
    return r;
  }

  closeAll(): void {
    for (const s of this.idle.splice(0)) s.close();
  }
}

interface Markers {
  /** Printed on stdout when the script starts. */
  go: string;
  /** Ends stdout when the script is done; its group is the exit status. */
  endOut: RegExp;
  /** Ends stderr when the script is done. */
  endErr: string;
}

interface Pending extends Markers {
  resolve: (r: CommandResult) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
  started: boolean;
}

/** What wrap() makes the shell print around one script. */
function markers(nonce: string): Markers {
  return { go: `POVS_GO_${nonce}\n`, endOut: new RegExp(`\\nPOVS_END_${nonce}:(-?\\d+)\\n$`), endErr: `\nPOVS_END_${nonce}\n` };
}

/** The answer of a shell that ended instead of running the script (exit 0 would read as success: 255). */
function shellEnded(stdout: string, stderr: string, code: number): CommandResult {
  return { stdout, stderr, code: code === 0 ? 255 : code };
}

/** The text written to the shell for one script: its own subshell (its traps, variables and exit stay there). */
export function wrap(script: string, nonce: string): string {
  if (!/^[a-f0-9]+$/.test(nonce)) throw new Error("session nonce must be hex");
  const body = script.endsWith("\n") ? script : `${script}\n`;
  return `${SESSION_DIR}printf 'POVS_GO_${nonce}\\n'\n(\n${body}) </dev/null\nprintf '\\nPOVS_END_${nonce}:%s\\n' "$?"; printf '\\nPOVS_END_${nonce}\\n' >&2\n`;
}

/**
 * Made once per shell, outside the scripts' subshells (a builtin test on every later round trip): the directory
 * batch scripts keep their output files in (command.ts jobsScript), named after the shell's PID and removed when
 * the shell ends (its stdin closes with the channel). A shell killed outright (SIGKILL, a lost session killed by
 * hand) cannot remove its own: the next shell on the host removes those whose shell is gone.
 */
const SESSION_DIR = [
  `[ -d "\${${SESSION_DIR_VAR}-}" ] || {`,
  `  for d in "\${TMPDIR:-/tmp}"/povs-shell.*; do p=\${d##*/povs-shell.}; p=\${p%%.*}; [ -d "$d" ] && ! kill -0 "$p" 2>/dev/null && rm -rf "$d"; done`,
  `  ${SESSION_DIR_VAR}=$(mktemp -d "\${TMPDIR:-/tmp}/povs-shell.$$.XXXXXX") && trap 'rm -rf "$${SESSION_DIR_VAR}"' EXIT`,
  "}",
  "",
].join("\n");
