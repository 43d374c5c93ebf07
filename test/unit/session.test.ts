import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { EventEmitter } from "node:events";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Client } from "ssh2";
import { jobsScript, parseBatchOutput } from "../../provider/transport/command";
import { ShellSession, wrap } from "../../provider/transport/session";

/**
 * The session's framing against a real local `sh` standing in for the SSH channel (ssh2's exec channel is an
 * event emitter with stdout data, a stderr stream, write, close and a close(code, signal) event).
 */
function localClient(children: ChildProcess[]): Client {
  return {
    exec(line: string, cb: (err: Error | undefined, ch: unknown) => void) {
      const child = spawn("sh", ["-c", line], { detached: true, env: { ...process.env, TMPDIR: SHELL_TMP } });
      children.push(child);
      const ch = Object.assign(new EventEmitter(), {
        stderr: child.stderr,
        write: (s: string) => child.stdin.write(s),
        close: () => killGroup(child),
      });
      child.stdin.on("error", () => undefined); // writing to a shell that ended: ssh2 reports it as 'close'
      child.stdout.on("data", (d: Buffer) => ch.emit("data", d));
      child.on("close", (code, signal) => ch.emit("close", code, signal ?? undefined));
      cb(undefined, ch);
    },
  } as unknown as Client;
}

const timeout = () => new Error("timed out");

/** TMPDIR of the shells these tests start (and kill: a killed shell leaves its directory). */
const SHELL_TMP = fs.mkdtempSync(path.join(os.tmpdir(), "povs-session-tmp-"));

/** The shell and whatever it runs, as a dropped connection ends them on a host. */
function killGroup(child: ChildProcess): void {
  try {
    process.kill(-(child.pid ?? 0), "SIGKILL");
  } catch {
    /* already gone */
  }
}

describe("long-lived shell session", () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    children.forEach(killGroup);
    fs.rmSync(SHELL_TMP, { recursive: true, force: true });
  });

  it("runs scripts one after another in one shell, each with its own stdout, stderr and exit status", async () => {
    const s = await ShellSession.open(localClient(children), "sh -s", "local");
    const a = await s.run('echo one; echo "to stderr" >&2; exit 3', 5000, timeout);
    expect(a).toEqual({ stdout: "one\n", stderr: "to stderr\n", code: 3 });
    // The exit above ended the script's subshell, not the session; variables and traps stay in their subshell.
    const b = await s.run('printf "%s" "${x-unset}"; x=1; trap "echo bye" EXIT', 5000, timeout);
    expect(b).toEqual({ stdout: "unsetbye\n", stderr: "", code: 0 });
    const c = await s.run('printf "%s" "${x-unset}"', 5000, timeout);
    expect(c.stdout).toBe("unset");
    expect(children).toHaveLength(1);
  });

  it("ignores what the login shell prints before the first script", async () => {
    const s = await ShellSession.open(localClient(children), "echo 'Welcome!'; echo 'motd' >&2; exec sh -s", "local");
    expect(await s.run("echo mine", 5000, timeout)).toMatchObject({ stdout: "mine\n", code: 0 });
  });

  it("carries batch scripts (heredocs, parallel jobs) and output that imitates its markers", async () => {
    const s = await ShellSession.open(localClient(children), "sh -s", "local");
    const nonce = "abcdef0123456789";
    const waves = [[{ cmd: { argv: ["cat"], stdin: "POVS_END_x:0\nline\n" } }, { cmd: { argv: ["printf", "\nPOVS_END_00:0\n"] } }], [{ cmd: { argv: ["sh", "-c", "exit 5"] } }]];
    const r = await s.run(jobsScript(waves, nonce), 5000, timeout);
    expect(r.code).toBe(0);
    expect(parseBatchOutput(r.stdout, nonce, 3)).toEqual([
      { stdout: "POVS_END_x:0\nline\n", stderr: "", code: 0 },
      { stdout: "\nPOVS_END_00:0\n", stderr: "", code: 0 },
      { stdout: "", stderr: "", code: 5 },
    ]);
  });

  it("reports a shell that ended before the script began (e.g. sudo refused) with its status and stderr", async () => {
    const s = await ShellSession.open(localClient(children), "echo 'sudo: a password is required' >&2; exit 1", "local");
    const r = await s.run("echo never", 5000, timeout);
    expect(r).toEqual({ stdout: "", stderr: "sudo: a password is required\n", code: 1 });
    expect(s.usable).toBe(false);
    // The same when the shell had already ended before the script was handed over.
    const late = await ShellSession.open(localClient(children), "echo 'sudo: no tty' >&2; exit 1", "local");
    while (late.usable) await new Promise((r) => setTimeout(r, 20));
    expect(await late.run("echo never", 5000, timeout)).toEqual({ stdout: "", stderr: "sudo: no tty\n", code: 1 });
  });

  it("says whether a script had started when the shell died under it", async () => {
    const s = await ShellSession.open(localClient(children), "sh -s", "local");
    const mark = path.join(SHELL_TMP, "running");
    const running = s.run(`touch ${mark}; sleep 5`, 5000, timeout);
    while (!fs.existsSync(mark)) await new Promise((r) => setTimeout(r, 20));
    killGroup(children[children.length - 1]);
    await expect(running).rejects.toMatchObject({ commandStarted: true, message: expect.stringMatching(/while the script ran/) });
    expect(s.usable).toBe(false);
  });

  it("keeps one temporary directory for all its batch scripts, removes it when the shell ends, and those of killed shells", () => {
    const tmp = fs.mkdtempSync(path.join(SHELL_TMP, "own-"));
    const deadPid = spawnSync("true").pid;
    const stale = path.join(tmp, `povs-shell.${deadPid}.AbC123`); // a shell killed outright left it
    const live = path.join(tmp, `povs-shell.${process.pid}.XyZ789`); // a shell still running owns it
    for (const d of [stale, live]) fs.mkdirSync(d);
    const batch = (nonce: string) => wrap(`${jobsScript([[{ cmd: { argv: ["echo", nonce] } }]], nonce)}echo "DIR=$t"\n`, nonce);
    const run = spawnSync("sh", ["-s"], { input: batch("a0a0a0a0a0") + batch("b1b1b1b1b1"), encoding: "utf8", env: { ...process.env, TMPDIR: tmp } });
    const dirs = [...run.stdout.matchAll(/DIR=(.*)/g)].map((m) => m[1]);
    expect(dirs).toHaveLength(2);
    expect(dirs[0]).toBe(dirs[1]);
    expect(path.basename(dirs[0])).toMatch(/^povs-shell\.\d+\.\w{6}$/);
    expect(path.dirname(dirs[0])).toBe(tmp);
    expect(parseBatchOutput(run.stdout.slice(0, run.stdout.indexOf("DIR=")), "a0a0a0a0a0", 1)[0]).toEqual({ stdout: "a0a0a0a0a0\n", stderr: "", code: 0 });
    expect(run.stderr.replace(/\nPOVS_END_\w+\n/g, "")).toBe(""); // nothing but the end markers
    expect(fs.readdirSync(tmp)).toEqual([path.basename(live)]); // its own gone at EOF, the stale one removed
  });

  it("times out, closes the shell and refuses further scripts", async () => {
    const s = await ShellSession.open(localClient(children), "sh -s", "local");
    await expect(s.run("sleep 5", 200, timeout)).rejects.toMatchObject({ commandStarted: true, message: "timed out" });
    expect(s.usable).toBe(false);
    await expect(s.run("true", 200, timeout)).rejects.toThrow(/busy or closed/);
  });
});
