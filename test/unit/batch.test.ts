import { execFileSync } from "node:child_process";
import { type RemoteCommand, commandLine, jobsScript, parseBatchOutput } from "../../provider/transport/command";
import { closeAllHosts, hostFor } from "../../provider/transport/pool";
import { parseConnection } from "../../provider/schema/connection";

const nonce = "abcdef0123456789";

/** Commands one after the other (a wave each); with stopOnError a failure skips the rest. */
function batchScript(commands: readonly RemoteCommand[], nonce: string, stopOnError: boolean): string {
  const stop = stopOnError ? { skipIf: "stop", onFail: ["stop"] } : {};
  return jobsScript(commands.map((cmd) => [{ cmd, ...stop }]), nonce);
}

function runLocally(script: string): string {
  return execFileSync("sh", ["-s"], { input: script, encoding: "utf8" });
}

describe("batch scripts", () => {
  it("captures stdout, stderr and exit code of each command separately", () => {
    const cmds = [
      { argv: ["printf", "one\ntwo"] },
      { argv: ["sh", "-c", "echo err >&2; exit 3"] },
      { argv: ["printf", ""] },
      { argv: ["cat"], stdin: "from stdin\nline 2\n" },
    ];
    const res = parseBatchOutput(runLocally(batchScript(cmds, nonce, false)), nonce, cmds.length);
    expect(res[0]).toEqual({ stdout: "one\ntwo", stderr: "", code: 0 });
    expect(res[1]).toEqual({ stdout: "", stderr: "err\n", code: 3 });
    expect(res[2]).toEqual({ stdout: "", stderr: "", code: 0 });
    expect(res[3]).toEqual({ stdout: "from stdin\nline 2\n", stderr: "", code: 0 });
  });

  it("hands stdin over exactly, with or without a final newline", () => {
    const texts = ["a\nb\n", "no newline 'q' $(id) `id`", "", "\n"];
    const res = parseBatchOutput(runLocally(batchScript(texts.map((stdin) => ({ argv: ["cat"], stdin })), nonce, false)), nonce, texts.length);
    expect(res.map((r) => r?.stdout)).toEqual(texts);
  });

  it("stops after the first failure when asked", () => {
    const cmds = [{ argv: ["true"] }, { argv: ["false"] }, { argv: ["echo", "never"] }];
    const res = parseBatchOutput(runLocally(batchScript(cmds, nonce, true)), nonce, 3);
    expect(res[0]?.code).toBe(0);
    expect(res[1]?.code).toBe(1);
    expect(res[2]).toBeUndefined();
  });

  it("is not confused by output that imitates a marker without the nonce", () => {
    const cmds = [{ argv: ["printf", "\nfake:1:0:out\nstill one"] }, { argv: ["echo", "two"] }];
    const res = parseBatchOutput(runLocally(batchScript(cmds, nonce, false)), nonce, 2);
    expect(res[0]?.stdout).toBe("\nfake:1:0:out\nstill one");
    expect(res[1]?.stdout).toBe("two\n");
  });

  it("passes hostile arguments through literally", () => {
    const cmds = [{ argv: ["printf", "%s", "$(id) `id` ; | && '\" \n"] }];
    const res = parseBatchOutput(runLocally(batchScript(cmds, nonce, false)), nonce, 1);
    expect(res[0]?.stdout).toBe("$(id) `id` ; | && '\" \n");
  });

  it("prefixes sudo -n for non-root users", () => {
    expect(commandLine(["ovs-vsctl", "show"], true)).toBe("sudo -n -- ovs-vsctl show");
    expect(commandLine(["ovs-vsctl", "show"], false)).toBe("ovs-vsctl show");
  });
});

describe("host pool", () => {
  afterAll(() => closeAllHosts());

  it("shares one host among connections that differ only in timeouts, allowing the longest command timeout", () => {
    const conn = (commandTimeout?: number) => parseConnection({ host: "198.18.0.99", user: "povs", password: "x", commandTimeout });
    const a = hostFor(conn(30));
    expect(a.commandTimeoutSeconds).toBe(30);
    const b = hostFor(conn(600));
    expect(b).toBe(a);
    expect(a.commandTimeoutSeconds).toBe(600);
    hostFor(conn()); // the default (120) does not shorten it
    expect(a.commandTimeoutSeconds).toBe(600);
  });

  it("allows the most patient dial any connection to a shared host asked for", () => {
    const conn = (perDialTimeout?: number, dialErrorLimit?: number) => parseConnection({ host: "198.18.0.98", user: "povs", password: "x", perDialTimeout, dialErrorLimit });
    const a = hostFor(conn(5, 1));
    expect(a.dialSettings).toEqual({ perDialTimeout: 5, dialErrorLimit: 1 });
    expect(hostFor(conn(60, 2))).toBe(a);
    hostFor(conn()); // defaults (15 s, 3 attempts)
    expect(a.dialSettings).toEqual({ perDialTimeout: 60, dialErrorLimit: 3 });
  });
});
