import { programModule, stackFor, type StackHandle, stepTimer } from "./harness";
import { labStackConfig } from "./config";
import { uniq } from "../helpers/lab";
import { lab, on, ssh } from "./spare-hosts";

/**
 * Issue 26, a reboot after a management move (docs/reboot.md, docs/safe-apply.md): mgmt0, the NIC sshd is reached
 * on, joins ovs1 and its address and default route move to the bridge's internal port "mgmt" (the safe-apply
 * program's "single" layout). A reboot gives mgmt0 back its boot address (its own configuration), the internal
 * port nothing; the restore unit's ExecStart makes the move again, and the host answers on its address through
 * the bridge, as the stack declared, with no drift. On spare host h49, through the real engine. The host has no
 * systemd (the lab's fake one has no bus, and the move's safe-apply revert needs a real one): the state file and
 * restore.sh are written all the same, and the test runs restore.sh as the unit would.
 */

jest.setTimeout(600_000);
const s = uniq();
const SPARE = "h49";
const quiet = { onOutput: () => undefined };
type Program = { program: () => Promise<Record<string, unknown>> };
const STATE = "/var/lib/pulumi-ovs";
const { timings, timed } = stepTimer();
const figures: Record<string, unknown> = {};

describe("a reboot after a management move", () => {
  let host: { name: string; address: string; port: number; user: string; hostKey: string };
  let handle: StackHandle | undefined;
  const addr = () => host.address.replace(/\./g, "\\.");

  beforeAll(async () => {
    const up = await lab("spare-up", SPARE);
    if (up.exitCode !== 0) throw new Error(`lab.sh spare-up ${SPARE} failed: ${up.stderr}`);
    host = JSON.parse(up.stdout);
    await on(SPARE, "ip route replace default via 198.18.0.1 dev mgmt0");
  });

  afterAll(async () => {
    if (handle) await handle.stack.destroy(quiet).catch(() => undefined);
    if (handle) await handle.stack.workspace.removeStack(handle.stack.name).catch(() => undefined);
    await lab("spare-down", SPARE);
    console.log(`restore-move: ${JSON.stringify(figures)}; step timings (ms): ${JSON.stringify(timings)}`);
  });

  test("the restore moves mgmt0's address and default route to the bridge again: reachable, no drift, without any up", async () => {
    const { program } = await programModule<Program>("programs/safe-apply.js");
    const cfg = labStackConfig({ suffix: `m${s}`, layout: "single" });
    cfg.hosts = { value: JSON.stringify([{ name: host.name, host: host.address, port: host.port, user: host.user, hostKey: host.hostKey }]) };
    handle = await stackFor(`restore-move-${s}`, program, cfg);
    expect((await timed("up", () => handle!.stack.up(quiet))).summary.result).toBe("succeeded");
    expect(await on(SPARE, "ip -br addr show mgmt")).toMatch(new RegExp(`${addr()}/24`));
    // The move is in the stack's state file, as steps the restore runs.
    expect(await on(SPARE, `cat ${STATE}/*.state`)).toMatch(/addr del .*dev mgmt0/);

    expect((await lab("reboot", SPARE)).exitCode).toBe(0);
    expect(await on(SPARE, "ip -br addr show mgmt0")).toMatch(new RegExp(`${addr()}/24`)); // its boot configuration
    expect(await on(SPARE, "ip -br addr show mgmt")).not.toMatch(new RegExp(`${addr()}/24`));

    const t0 = Date.now();
    const r = await timed("restore", () => lab("exec", SPARE, "--", "/bin/sh", `${STATE}/restore.sh`));
    expect(r.stdout).toMatch(/pulumi-ovs-restore: done$/m);
    expect(r.exitCode).toBe(0);
    expect(await on(SPARE, "ip -br addr show mgmt")).toMatch(new RegExp(`${addr()}/24`));
    expect(await on(SPARE, "ip -br addr show mgmt0")).not.toMatch(new RegExp(`${addr()}/24`));
    expect(await on(SPARE, "ip route show default")).toMatch(/default via 198\.18\.0\.1 dev mgmt /);
    expect((await ssh(host.address)).ok).toBe(true);
    figures.restoreToSshMs = Date.now() - t0;
    const pv = await timed("preview-refresh", () => handle!.stack.preview({ refresh: true, expectNoChanges: true, diff: true }));
    expect(Object.keys(pv.changeSummary).filter((k) => k !== "same")).toEqual([]);
    // A second run finds the move made and changes nothing.
    expect((await lab("exec", SPARE, "--", "/bin/sh", `${STATE}/restore.sh`)).exitCode).toBe(0);
    expect(await on(SPARE, "ip -br addr show mgmt")).toMatch(new RegExp(`${addr()}/24`));

    // Destroy moves it back to mgmt0 and takes the file and the script.
    expect((await timed("destroy", () => handle!.stack.destroy(quiet))).summary.result).toBe("succeeded");
    expect(await on(SPARE, "ip -br addr show mgmt0")).toMatch(new RegExp(`${addr()}/24`));
    expect(await on(SPARE, `ls ${STATE}/*.state ${STATE}/restore.sh 2>/dev/null; true`)).toBe("");
  });
});
