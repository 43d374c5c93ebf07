import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PHASE, STATE_DIR, UNIT_DIR, entryHash, entryKey, parseStateFile, putEntryCmd, putFailure, putRule, type RestoreEntry } from "../../provider/host/restore-file";
import type { RemoteCommand } from "../../provider/transport/command";

/**
 * The command that writes a stack's restore state (host/restore-file.ts), run by a local sh against a temporary
 * directory in place of /var/lib/pulumi-ovs (and of the systemd directories): entries added and removed under
 * the lock, merged puts, an unreadable file started afresh, a newer format left alone, nothing written while a
 * safe-apply change is not confirmed, and everything gone with the last entry.
 */

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "povs-put-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const entry = (n: number): RestoreEntry => ({ phase: PHASE.flow, label: `FlowEntry f${n}`, steps: [{ argv: ["ovs-ofctl", "add-flow", "br0", `priority=${n},actions=drop`] }] });
const owner = (n: number) => `proj/dev/FlowEntry/f${n}`;
const state = () => path.join(dir, "state");

/** Run a put here: its paths moved into the temporary directory. */
function put(cmd: RemoteCommand, env: Record<string, string> = {}): { stdout: string; stderr: string; code: number } {
  const script = cmd.argv[2].split(STATE_DIR).join(state()).split(UNIT_DIR).join(path.join(dir, "units")).split("/run/systemd/").join(path.join(dir, "no-systemd/"));
  const r = spawnSync("sh", ["-c", script, ...cmd.argv.slice(3)], { input: cmd.stdin, env: { PATH: process.env.PATH!, ...env }, encoding: "utf8" });
  return { stdout: r.stdout, stderr: r.stderr, code: r.status ?? -1 };
}

const file = () => path.join(state(), fs.readdirSync(state()).find((f) => f.endsWith(".state"))!);
const parsed = () => parseStateFile({ code: 0, stdout: fs.readFileSync(file(), "utf8"), stderr: "" });

describe("the restore state put", () => {
  it("adds the entries of one round trip in one write, and removes them by key", () => {
    const r = put(putRule.merge([1, 2, 3].map((n) => putEntryCmd(owner(n), entry(n), true))));
    expect(putFailure(r)).toBeUndefined();
    expect(r.stdout).toMatch(/^no-systemd$/m);
    const ok = parsed();
    expect(ok.kind).toBe("ok");
    expect(ok.kind === "ok" && [...ok.hashes]).toEqual([1, 2, 3].map((n) => [entryKey(owner(n)), entryHash({ ...entry(n), label: "" })]));
    expect(fs.readFileSync(path.join(state(), "restore.sh"), "utf8")).toMatch(/# pulumi-ovs install [0-9a-f]{16}\n$/);
    // A removal and a change in one put.
    put(putRule.merge([putEntryCmd(owner(2), undefined, true), putEntryCmd(owner(3), entry(33), true)]));
    const after = parsed();
    expect(after.kind === "ok" && [...after.hashes.keys()]).toEqual([entryKey(owner(1)), entryKey(owner(3))]);
    expect(fs.readFileSync(file(), "utf8")).toContain("priority=33,");
  });

  it("starts an unreadable file afresh, and leaves a newer format alone, failing with its version", () => {
    put(putEntryCmd(owner(1), entry(1), true));
    fs.writeFileSync(file(), fs.readFileSync(file(), "utf8").slice(0, 60));
    expect(put(putEntryCmd(owner(2), entry(2), true)).stdout).toMatch(/^reset$/m);
    const p = parsed();
    expect(p.kind === "ok" && [...p.hashes.keys()]).toEqual([entryKey(owner(2))]);
    const newer = fs.readFileSync(file(), "utf8").replace("pulumi-ovs-state\t1\t", "pulumi-ovs-state\t2\t");
    fs.writeFileSync(file(), newer);
    const r = put(putEntryCmd(owner(3), entry(3), true));
    expect(putFailure(r)).toMatch(/exit code 3: .*format version 2, newer than the version 1 this pulumi-ovs writes/);
    expect(fs.readFileSync(file(), "utf8")).toBe(newer);
  });

  it("writes nothing in a safe-apply round trip not yet confirmed, and nothing at all for a removal without a file", () => {
    expect(put(putEntryCmd(owner(1), entry(1), true), { POVS_ARMED: "abcdef0123456789" }).stdout.trim()).toBe("deferred");
    expect(fs.existsSync(state())).toBe(false);
    expect(put(putEntryCmd(owner(1), undefined, true)).stdout).toBe("");
    expect(put(putEntryCmd(owner(1), entry(1), false)).stdout).toBe("");
    expect(fs.existsSync(state())).toBe(false);
  });

  it("takes the file and the script away with the last entry", () => {
    put(putEntryCmd(owner(1), entry(1), true));
    put(putEntryCmd(owner(1), undefined, true));
    expect(fs.readdirSync(state())).toEqual([]);
  });
});
