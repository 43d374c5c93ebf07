import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { execFileSync, spawnSync } from "node:child_process";
import { ARM_FAILED, DISARM_TOO_LATE, type StateDirs, armScript, changesNetwork, detachProbeScript, disarmScript, revertUnit } from "../../provider/transport/safe-apply";
import { MOVE_ROLLBACK_SECONDS, armFor, rollbackFor } from "../../provider/transport/safe-apply-run";
import { checkInputs } from "../../provider/resources/framework";
import { portSchema } from "../../provider/schema/port";

/**
 * Safe apply's host-side shell text, run here with sh in a scratch directory: which detach mechanism the arm
 * picks (systemd only where its run directory exists), what it starts, and that disarm wins the race or reports
 * that the revert ran. The revert's own content (OVS, flows, ip) is proven on the lab (test/e2e/safe-apply).
 */

let tmp: string;
beforeEach(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), "povs-sa-"))));
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

const TOKEN = "0123456789abcdef";
const plan = (marker: string) => ({ save: `echo saved >"$d/saved"`, restore: `echo reverted >${marker}` });
const dirs = (systemd: boolean): StateDirs => {
  const run = path.join(tmp, "run");
  fs.mkdirSync(run, { recursive: true });
  if (systemd) fs.mkdirSync(path.join(tmp, "systemd"), { recursive: true });
  return { runDirs: [path.join(tmp, "absent"), run], fallback: path.join(tmp, "fallback"), systemdDir: path.join(tmp, "systemd") };
};
const sh = (script: string, env: NodeJS.ProcessEnv = process.env) => spawnSync("/bin/sh", ["-c", script], { encoding: "utf8", env });
const changeDir = () => path.join(tmp, "run", "pulumi-ovs-safe-apply", TOKEN);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("with systemd running (its run directory exists) the arm uses systemd-run --on-active; disarm stops the timer", () => {
  const bin = path.join(tmp, "bin");
  fs.mkdirSync(bin);
  for (const tool of ["systemd-run", "systemctl"]) {
    fs.writeFileSync(path.join(bin, tool), `#!/bin/sh\necho "${tool} $*" >>${tmp}/calls\n`, { mode: 0o755 });
  }
  const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
  const d = dirs(true);
  const script = armScript(TOKEN, 20, plan(`${tmp}/reverted`), d);
  expect(script).toContain(`systemd-run --quiet --collect --unit=${revertUnit(TOKEN)} --on-active=20s`);
  const armed = sh(script, env);
  expect(armed.status).toBe(0);
  expect(fs.readFileSync(path.join(changeDir(), "timer"), "utf8")).toBe(`systemd ${revertUnit(TOKEN)}\n`);
  expect(fs.readFileSync(path.join(changeDir(), "saved"), "utf8")).toBe("saved\n");
  expect(fs.readFileSync(`${tmp}/calls`, "utf8")).toBe(
    `systemd-run --quiet --collect --unit=pulumi-ovs-revert-${TOKEN} --on-active=20s --timer-property=AccuracySec=100ms /bin/sh ${changeDir()}/revert.sh ${changeDir()}\n`,
  );
  expect(sh(disarmScript(TOKEN, d), env).status).toBe(0);
  expect(fs.readFileSync(`${tmp}/calls`, "utf8")).toContain(`systemctl stop pulumi-ovs-revert-${TOKEN}.timer pulumi-ovs-revert-${TOKEN}.service`);
  expect(fs.existsSync(changeDir())).toBe(false);
  // Idempotent: disarming again (or a change never armed) is fine.
  expect(sh(disarmScript(TOKEN, d), env).status).toBe(0);
  // The round trip's commands after the arm can tell that the change is not confirmed yet.
  expect(sh(`${script}sh -c 'echo "armed $POVS_ARMED"'`, env).stdout).toBe(`armed ${TOKEN}\n`);
  expect(sh(disarmScript(TOKEN, d), env).status).toBe(0);
});

test("without systemd the arm starts `setsid sh -c 'sleep N; ...'`; unless disarmed, it reverts; a late disarm says so", async () => {
  const d = dirs(false);
  const marker = `${tmp}/reverted`;
  expect(armScript(TOKEN, 20, plan(marker), d)).toContain(`setsid sh -c 'echo "pid $$" >"$2/timer"; sleep "$1"; exec sh "$2/revert.sh" "$2"' povs-revert 20 "$d"`);
  expect(sh(armScript(TOKEN, 1, plan(marker), d)).status).toBe(0);
  const [kind, pid] = fs.readFileSync(path.join(changeDir(), "timer"), "utf8").trim().split(" ");
  expect(kind).toBe("pid");
  // Its own session and process group (it outlives the SSH session that started it).
  expect(execFileSync("ps", ["-o", "sid=,pgid=", "-p", pid], { encoding: "utf8" }).trim().split(/\s+/)).toEqual([pid, pid]);
  await sleep(2500);
  expect(fs.readFileSync(marker, "utf8")).toBe("reverted\n");
  expect(fs.existsSync(path.join(changeDir(), "reverted"))).toBe(true);
  const late = sh(disarmScript(TOKEN, d));
  expect(late.status).toBe(DISARM_TOO_LATE);
  expect(late.stdout).toMatch(/^\d{4}-\d\d-\d\dT/);
});

test("a disarm in time stops the sleeping revert (no process left) and nothing is reverted", async () => {
  const d = dirs(false);
  const marker = `${tmp}/reverted`;
  expect(sh(armScript(TOKEN, 3, plan(marker), d)).status).toBe(0);
  const pid = fs.readFileSync(path.join(changeDir(), "timer"), "utf8").trim().split(" ")[1];
  expect(sh(disarmScript(TOKEN, d)).status).toBe(0);
  await sleep(300);
  // Gone, or a zombie nobody reaped yet (its parent, the arm's shell, has exited): not sleeping any more.
  const alive = (p: string) => fs.existsSync(`/proc/${p}/stat`) && !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${p}/stat`, "utf8"));
  expect(alive(pid)).toBe(false);
  expect(sh(`pgrep -g ${pid}`).stdout.split("\n").filter((p) => p && alive(p))).toEqual([]);
  await sleep(3200);
  expect(fs.existsSync(marker)).toBe(false);
});

test("a host with neither systemd nor setsid: the arm and the first-contact probe fail before any change", () => {
  const bin = path.join(tmp, "bin");
  fs.mkdirSync(bin);
  for (const tool of ["mkdir", "cat", "rm", "tail", "date", "mv", "sleep"]) fs.symlinkSync(execFileSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).trim(), path.join(bin, tool));
  const env = { ...process.env, PATH: bin };
  const d = dirs(false);
  const r = sh(armScript(TOKEN, 20, plan(`${tmp}/reverted`), d), env);
  expect(r.status).toBe(ARM_FAILED);
  expect(r.stderr).toContain("pulumi-ovs safe apply: this host has no way to run a detached revert");
  expect(fs.existsSync(changeDir())).toBe(false);
  const probe = sh(detachProbeScript(d), env);
  expect(probe.status).toBe(ARM_FAILED);
  expect(sh(detachProbeScript(d)).status).toBe(0);
});

test("a failed save refuses the change", () => {
  const r = sh(armScript(TOKEN, 20, { save: "false", restore: "true" }, dirs(false)));
  expect(r.status).toBe(ARM_FAILED);
  expect(r.stderr).toContain("could not save the host state");
});

test("which round trips are armed: changes to the network; not reads, not docker; a management move even with the setting off", () => {
  const job = (argv: string[], extra: object = {}) => ({ cmd: { argv, ...extra } });
  expect(changesNetwork({ argv: ["ip", "link", "add"] })).toBe(true);
  expect(changesNetwork({ argv: ["ovs-vsctl", "list", "Bridge"], read: true })).toBe(false);
  expect(changesNetwork({ argv: ["docker", "run"] })).toBe(false);
  expect(changesNetwork({ argv: ["sh", "-c", "put"], filesOnly: true })).toBe(false);
  expect(rollbackFor([[job(["ovs-vsctl", "show"], { read: true })]], 30)).toBe(0);
  expect(rollbackFor([[job(["docker", "run"])]], 30)).toBe(0);
  expect(rollbackFor([[job(["ip", "addr", "add"])]], 30)).toBe(30);
  expect(rollbackFor([[job(["ip", "addr", "add"])]], 0)).toBe(0);
  expect(rollbackFor([[job(["sh", "-c", "move"], { armRevert: true })]], 0)).toBe(MOVE_ROLLBACK_SECONDS);
  expect(rollbackFor([[job(["sh", "-c", "move"], { armRevert: true })]], 120)).toBe(120);
  const armed = armFor([[job(["ip", "addr", "add"])]], 25)!;
  expect(armed.seconds).toBe(25);
  expect(armed.prefix).toContain("--on-active=25s");
  expect(armed.firesAt).toBeGreaterThan(Date.now() + 24_000);
});

test("check refuses a rollbackAfter under 10 s or over 1 h, naming the property", () => {
  const base = { owner: "o", bridge: "br0", name: "p0" };
  const conn = (rollbackAfter: unknown) => ({ host: "198.18.0.11", rollbackAfter });
  for (const [v, why] of [
    [5, "must be at least 10 seconds"],
    [3601, "must be at most 3600 seconds"],
    [12.5, "must be a whole number"],
  ] as const) {
    const r = checkInputs(portSchema, { ...base, connection: conn(v) });
    expect(r.failures).toEqual([{ property: "connection", reason: expect.stringContaining(`connection.rollbackAfter: ${why}`) }]);
  }
  expect(checkInputs(portSchema, { ...base, connection: conn(20) }).failures).toBeUndefined();
});
