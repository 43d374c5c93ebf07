import { execFileSync } from "node:child_process";
import { type CommandResult, type MergeRule, type RemoteCommand, jobsScript, parseBatchOutput } from "../../provider/transport/command";
import { type Submission, fanOut, plan } from "../../provider/transport/coalesce-plan";
import { rider, withRider } from "../../provider/transport/rider";
import { SshHost } from "../../provider/transport/pool";
import { parseConnection } from "../../provider/schema/connection";

/**
 * Tails (RemoteCommand.tail, transport/rider.ts): a command that rides at the end of a submission's writes runs
 * in the same round trip, after every other write, only when its own submission's commands succeeded; tails
 * of one joining rule become one command fed the stdin of the members that got that far.
 */

const nonce = "abcdef0123456789";
const joinRule: MergeRule = {
  name: "join",
  joinsStdin: true,
  merge: (ms) => ({ argv: ms[0].argv, stdin: ms.map((m) => m.stdin ?? "").join("") }),
  split: (r, ms) => ms.map(() => r),
};
// The tail prints what it was fed: which members got in.
const tail = (who: string): RemoteCommand => ({ argv: ["cat"], stdin: `${who}\n`, tail: true, merge: { rule: joinRule, key: "k" } });
const sh = (script: string, okCodes?: number[]): RemoteCommand => ({ argv: ["sh", "-c", script], okCodes });

/** One round trip run by a local sh, as the host's would be. */
function roundTrip(subs: Submission[], merge = true) {
  const p = plan(subs, merge);
  const count = p.waves.flat().length;
  const out = execFileSync("sh", ["-s"], { input: jobsScript(p.waves, nonce), encoding: "utf8" });
  return { p, ...fanOut(subs, p, parseBatchOutput(out, nonce, count)) };
}

describe("tails", () => {
  it("merge into one command after every write, fed only the members whose writes succeeded", () => {
    const subs: Submission[] = [
      { cmds: [sh("exit 0"), tail("a")], stopOnError: false },
      { cmds: [sh("exit 0"), sh("exit 0"), tail("b")], stopOnError: false },
      { cmds: [sh("exit 4"), tail("c")], stopOnError: false },
      { cmds: [sh("exit 1", [1]), tail("d")], stopOnError: false },
      { cmds: [sh("exit 1", [1]), tail("e"), { argv: ["echo", "read"], read: true, afterAll: true }], stopOnError: true },
    ];
    const { p, results, retry } = roundTrip(subs);
    // Writes in waves 0 and 1, all tails in wave 2, the afterAll read last.
    expect(p.waves.map((w) => w.length)).toEqual([5, 1, 1, 1]);
    expect(p.routes[2]).toEqual([{ kind: "merged", slots: expect.any(Array), tail: true }]);
    expect(retry).toEqual([]);
    const fed = (results[0][1] as CommandResult).stdout;
    expect(fed).toBe("a\nb\nd\n"); // c failed; d's exit 1 is one of its okCodes; e stops on any failure
    expect(results[1][2]).toBe(results[0][1]);
    expect(results[2][1]).toBeUndefined();
    expect(results[3][1]?.stdout).toBe(fed);
    expect(results[4][1]).toBeUndefined();
  });

  it("do not run at all when no member got that far, and run alone (never merged) in a retry", () => {
    const none = roundTrip([{ cmds: [sh("exit 2"), tail("a")], stopOnError: false }, { cmds: [sh("exit 3"), tail("b")], stopOnError: false }]);
    expect(none.results.map((r) => r[1])).toEqual([undefined, undefined]);
    const alone = roundTrip([{ cmds: [sh("exit 0"), tail("a")], stopOnError: false }, { cmds: [sh("exit 0"), tail("b")], stopOnError: false }], false);
    expect(alone.results.map((r) => r[1]?.stdout)).toEqual(["a\n", "b\n"]);
  });

  it("a failed joined tail answers each member with its failure, and sends no submission to a retry", () => {
    const failing: RemoteCommand = { ...tail("x"), argv: ["sh", "-c", "cat >/dev/null; echo no >&2; exit 5"] };
    const r = roundTrip([{ cmds: [sh("exit 0"), failing], stopOnError: false }, { cmds: [sh("exit 0"), { ...failing, stdin: "y\n" }], stopOnError: false }]);
    expect(r.retry).toEqual([]);
    expect(r.results.map((x) => x[1]?.code)).toEqual([5, 5]);
  });

  it("come after their submission's writes; a read-back after one, even failing, does not hold it back", () => {
    expect(() => plan([{ cmds: [tail("a"), sh("true")], stopOnError: false }])).toThrow(/tail must come after every write/);
    const r = roundTrip([{ cmds: [sh("exit 0"), tail("a"), { argv: ["sh", "-c", "exit 1"], read: true }], stopOnError: true }]);
    expect(r.results[0].map((x) => x?.code)).toEqual([0, 0, 1]);
    expect(r.results[0][1]?.stdout).toBe("a\n");
  });
});

describe("a ride", () => {
  const put: RemoteCommand = { argv: ["put"], stdin: "entry\n" };

  it("puts its command right after the writes, and gives back the rest", () => {
    const r = rider(put);
    const write = withRider(r, [sh("w"), { argv: ["back"], read: true }, { argv: ["read"], read: true, afterAll: true }]);
    expect(write.cmds.map((c) => c.argv[0])).toEqual(["sh", "put", "back", "read"]);
    expect(write.cmds[1].tail).toBe(true);
    const ok = { code: 0, stdout: "", stderr: "" };
    expect(write.take([ok, { ...ok, stdout: "put" }, { ...ok, stdout: "back" }, { ...ok, stdout: "read" }]).map((x) => x?.stdout)).toEqual(["", "back", "read"]);
    expect(r.outcomes.map((x) => x?.stdout)).toEqual(["put"]);
    // Reads alone carry nothing, nor does anything without a ride.
    expect(withRider(r, [{ argv: ["r"], read: true }]).cmds).toHaveLength(1);
    expect(withRider(undefined, [sh("w")]).cmds).toHaveLength(1);
  });

  it("rides on a view of the host: same host for its caches, the ride only on the view", () => {
    const host = new SshHost(parseConnection({ host: "198.18.0.250", user: "povs", password: "not-used" }));
    try {
      const view = host.riding(rider(put));
      expect(view.origin).toBe(host);
      expect(view.label).toBe(host.label);
      expect(view.rollbackSeconds).toBe(0);
      expect(host.origin).toBe(host);
      expect(view.riding(rider(put)).origin).toBe(host);
    } finally {
      host.close();
    }
  });
});
