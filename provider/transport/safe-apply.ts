import type { RemoteCommand } from "./command";
import { shellQuote } from "./quote";

/**
 * Safe apply (docs/safe-apply.md): before a round trip that changes a host's network, a revert is armed on the
 * host, detached from the SSH session, so that a change which cuts the way in undoes itself. After the round trip
 * the provider dials a new connection and only then disarms it. This module renders the host-side shell text of
 * that timer (pure); what the revert saves and restores is given by the layer that knows the tools
 * (host/revert-plan.ts), as a RevertPlan.
 */

/** Shell fragments run as root with `$d` set to the change's own directory on the host. */
export interface RevertPlan {
  /** Saves the host's state into files under "$d"; a non-zero status refuses the change. */
  save: string;
  /** Restores the saved state (the detached revert). */
  restore: string;
}

/** Exit status of a round trip whose revert could not be armed (nothing was changed). */
export const ARM_FAILED = 96;
/** Exit status of a disarm that came too late: the revert ran (or is running). */
export const DISARM_TOO_LATE = 3;
/** Prefix of the messages the arm prints on stderr when it fails. */
export const ARM_MESSAGE = "pulumi-ovs safe apply:";

/** Where the host's per-change directories live: the OVS run directory (per host), else /run/pulumi-ovs. */
export interface StateDirs {
  /** The first of these that exists gets a "pulumi-ovs-safe-apply" directory. */
  runDirs: readonly string[];
  /** Used when none exists. */
  fallback: string;
  /** systemd is running when this directory exists (the systemd-run binary alone proves nothing). */
  systemdDir: string;
}

export const HOST_DIRS: StateDirs = {
  runDirs: ["/run/openvswitch", "/var/run/openvswitch"],
  fallback: "/run/pulumi-ovs/safe-apply",
  systemdDir: "/run/systemd/system",
};

function checkToken(token: string): string {
  if (!/^[a-z0-9]{8,40}$/.test(token)) throw new Error(`safe apply: bad token ${JSON.stringify(token)}`);
  return token;
}

/** Shell lines that set `d` to the directory of change `token`. */
function dirLines(token: string, dirs: StateDirs): string[] {
  const tries = dirs.runDirs.map((r) => `[ -d ${shellQuote(r)} ] && sa=${shellQuote(`${r}/pulumi-ovs-safe-apply`)}`);
  return [`sa=${shellQuote(dirs.fallback)}`, `for _ in 1; do ${tries.map((t) => `if ${t}; then break; fi`).join("; ")}; done`, `d="$sa/${checkToken(token)}"`];
}

/** The unit name of a change's revert where systemd runs it. */
export function revertUnit(token: string): string {
  return `pulumi-ovs-revert-${checkToken(token)}`;
}

/** The detached revert's own script: runs only if nobody disarmed it first (the rename is the lock). */
export function revertScript(plan: RevertPlan): string {
  return [
    `d="$1"`,
    `mv "$d/armed" "$d/reverting" 2>/dev/null || exit 0`,
    `date -u +%Y-%m-%dT%H:%M:%SZ >"$d/reverting"`,
    plan.restore,
    `mv "$d/reverting" "$d/reverted"`,
    "",
  ].join("\n");
}

/**
 * Shell text run as root at the start of a changing round trip, before its commands: saves the state, writes the
 * revert, and starts it `seconds` from now, detached: `systemd-run --on-active` where systemd runs, else
 * `setsid sh -c 'sleep N; ...'`. Either way what it did is recorded in "$d/timer". A failure exits ARM_FAILED
 * before anything changed; so does a host with no way to detach the timer. The commands after it see
 * POVS_ARMED set to the token: what must wait for the change to be confirmed can tell.
 */
export function armScript(token: string, seconds: number, plan: RevertPlan, dirs: StateDirs = HOST_DIRS): string {
  if (!Number.isInteger(seconds) || seconds < 1) throw new Error(`safe apply: bad delay ${seconds}`);
  const unit = revertUnit(token);
  const fail = (why: string) => `{ echo "${ARM_MESSAGE} ${why}" >&2; exit ${ARM_FAILED}; }`;
  const heredoc = `POVS_REVERT_${token}`;
  return [
    ...dirLines(token, dirs),
    `mkdir -p "$d" || ${fail('cannot create $d')}`,
    // Directories of reverted changes stay (a late disarm reads them; revert.log tells what happened) for 3 hours.
    `find "$sa" -mindepth 1 -maxdepth 1 -type d -mmin +180 -exec rm -rf {} + 2>/dev/null || :`,
    `( set -e\n${plan.save}\n) >"$d/save.log" 2>&1 || ${fail('could not save the host state: $(tail -n 3 "$d/save.log")')}`,
    `cat >"$d/revert.sh" <<'${heredoc}'`,
    revertScript(plan) + heredoc,
    `if [ -d ${shellQuote(dirs.systemdDir)} ] && command -v systemd-run >/dev/null 2>&1; then`,
    `  systemd-run --quiet --collect --unit=${unit} --on-active=${seconds}s --timer-property=AccuracySec=100ms /bin/sh "$d/revert.sh" "$d" >"$d/arm.log" 2>&1 || ${fail('systemd-run failed: $(cat "$d/arm.log")')}`,
    `  echo "systemd ${unit}" >"$d/timer"`,
    `elif command -v setsid >/dev/null 2>&1; then`,
    `  setsid sh -c 'echo "pid $$" >"$2/timer"; sleep "$1"; exec sh "$2/revert.sh" "$2"' povs-revert ${seconds} "$d" </dev/null >>"$d/revert.log" 2>&1 &`,
    `  i=0; while [ ! -s "$d/timer" ] && [ $i -lt 100 ]; do sleep 0.01; i=$((i+1)); done`,
    `  [ -s "$d/timer" ] || ${fail("the detached revert did not start")}`,
    `else`,
    `  rm -rf "$d"; ${fail("this host has no way to run a detached revert (neither systemd at " + dirs.systemdDir + " nor setsid)")}`,
    `fi`,
    // Marked armed once the timer runs (a revert finding no mark does nothing): an arm cut short by a lost
    // session leaves no mark without a timer behind it.
    `: >"$d/armed"`,
    // The round trip's commands can tell that the change is not confirmed yet (the restore state waits for that).
    `export POVS_ARMED=${token}`,
    "",
  ].join("\n");
}

/**
 * Shell text run as root on the NEW connection: stops the timer of change `token` (idempotent: a change already
 * disarmed, or never armed, exits 0). Exits DISARM_TOO_LATE, printing when the revert started, if it ran.
 */
export function disarmScript(token: string, dirs: StateDirs = HOST_DIRS): string {
  return [
    ...dirLines(token, dirs),
    `if mv "$d/armed" "$d/disarmed" 2>/dev/null; then`,
    `  read -r kind id <"$d/timer"`,
    `  case "$kind" in systemd) systemctl stop "$id.timer" "$id.service" 2>/dev/null ;; pid) kill -s TERM -- "-$id" 2>/dev/null ;; esac`,
    `  rm -rf "$d"; exit 0`,
    `fi`,
    `[ -e "$d/reverting" ] || [ -e "$d/reverted" ] || exit 0`,
    `cat "$d/reverting" "$d/reverted" 2>/dev/null; exit ${DISARM_TOO_LATE}`,
    "",
  ].join("\n");
}

/** Shell text that fails (ARM_FAILED) on a host with no way to detach a revert: run before any change. */
export function detachProbeScript(dirs: StateDirs = HOST_DIRS): string {
  return `if ! { [ -d ${shellQuote(dirs.systemdDir)} ] && command -v systemd-run >/dev/null 2>&1; } && ! command -v setsid >/dev/null 2>&1; then echo "${ARM_MESSAGE} this host has no way to run a detached revert (neither systemd at ${dirs.systemdDir} nor setsid)" >&2; exit ${ARM_FAILED}; fi\n`;
}

/**
 * Whether a command changes what a revert restores (links, addresses, routes, bridges, ports, flows). Reads do
 * not; docker's own commands (containers) and writes of files only (the restore state) are not reverted, so they
 * arm nothing by themselves.
 */
export function changesNetwork(cmd: RemoteCommand): boolean {
  return !cmd.read && !cmd.filesOnly && cmd.argv[0] !== "docker";
}
