import * as crypto from "node:crypto";
import type { CommandResult, MergeRule, RemoteCommand } from "../transport/command";
import { shellJoin } from "../transport/quote";
import { RESTORE_RUNNER, RESTORE_UNIT, WATCH_UNIT } from "./restore-runner";

/**
 * The per-stack restore state on a host (docs/reboot.md): /var/lib/pulumi-ovs/<stack>.state, a line file whose
 * steps are POSIX sh commands rendered from the provider's own command builders, which the restore unit's
 * script runs at boot. Builders of the command that writes it and a parser of what it holds; pure.
 *
 *   pulumi-ovs-state <TAB> VERSION <TAB> PROJECT/STACK
 *   E <TAB> PHASE <TAB> KEY <TAB> HASH <TAB> LABEL           one per resource (KEY: hash of its owner)
 *   S <TAB> PHASE <TAB> KEY <TAB> UNLESS <TAB> COMMAND        its steps, in order (UNLESS "-": always run)
 *   end <TAB> CKSUM                                           `cksum` of every line above
 *
 * Lines are sorted by phase (stable), so namespaces come before veths, veths before ports, ports before routes,
 * NAT rules and flows, whatever the order in which resources were created.
 */

export const STATE_VERSION = 1;
export const STATE_DIR = "/var/lib/pulumi-ovs";
export const UNIT_DIR = "/etc/systemd/system";
export const RESTORE_SCRIPT = `${STATE_DIR}/restore.sh`;
export const UNIT_NAME = "pulumi-ovs-restore.service";
export const WATCH_UNIT_NAME = "pulumi-ovs-restore-watch.service";

/** One command of a restore: run `argv` unless `unless` succeeds (the object is already there). */
export interface RestoreStep {
  argv: string[];
  unless?: string[];
}

/** What one resource contributes to its stack's file. */
export interface RestoreEntry {
  /** Dependency order: lower phases run first (see PHASE). */
  phase: number;
  /** The resource in the unit's log, e.g. `VethPair demo-v1`. */
  label: string;
  steps: RestoreStep[];
}

/** Phases of the restore, in the order objects depend on each other. */
export const PHASE = { netns: 10, veth: 20, port: 30, route: 40, nat: 50, flow: 60 } as const;

/** The stack a resource belongs to, from its owner (`project/stack/kind/name`, sdk/internal.ts). */
export function stackOf(owner: string): string {
  const [project, stack] = owner.split("/");
  if (!project || !stack) throw new Error(`owner ${JSON.stringify(owner)} names no project and stack`);
  return `${project}/${stack}`;
}

/** The stack's file name: readable, and unique per project/stack even after unsafe characters are replaced. */
export function stateFileName(stack: string): string {
  const safe = stack.replace(/[^A-Za-z0-9_.-]/g, "_").replace(/^\.+/, "_");
  return `${safe}.${crypto.createHash("sha256").update(stack).digest("hex").slice(0, 8)}.state`;
}

/** A resource's key in the file: its owner, hashed (owners may hold spaces and any length). */
export function entryKey(owner: string): string {
  return crypto.createHash("sha256").update(owner).digest("hex").slice(0, 16);
}

function renderStep(s: RestoreStep): [string, string] {
  return [s.unless ? shellJoin(s.unless) : "-", shellJoin(s.argv)];
}

/** What the entry's hash covers: its phase and commands (a changed input that changes a command makes it stale). */
export function entryHash(e: RestoreEntry): string {
  return crypto.createHash("sha256").update(JSON.stringify([e.phase, e.steps.map(renderStep)])).digest("hex").slice(0, 16);
}

/** The E and S lines of one entry. Throws for text a line cannot carry (validated inputs never produce it). */
export function entryLines(key: string, e: RestoreEntry): string {
  const label = e.label.replace(/[^\x20-\x7e]/g, "?");
  const lines = [["E", String(e.phase), key, entryHash(e), label].join("\t")];
  for (const s of e.steps) {
    const [unless, cmd] = renderStep(s);
    if (/[\t\n\r]/.test(unless + cmd)) throw new Error(`restore step of ${label} holds a tab or newline: ${JSON.stringify(cmd)}`);
    lines.push(["S", String(e.phase), key, unless, cmd].join("\t"));
  }
  return lines.join("\n") + "\n";
}

/** What a stack's file says: entry hashes by key, or why it cannot be used. */
export type StateFile = { kind: "absent" } | { kind: "invalid"; reason: string } | { kind: "ok"; version: number; hashes: Map<string, string> };

/** `cat FILE` of the stack's file (exit 1: no file). */
export function readStateCmd(file: string): RemoteCommand {
  return { argv: ["cat", "--", `${STATE_DIR}/${file}`], okCodes: [1], read: true };
}

/** Parse the file (the restore script's checks, minus the checksum, which needs `cksum` on the host). */
export function parseStateFile(r: CommandResult): StateFile {
  if (r.code !== 0) return /No such file/i.test(r.stderr) ? { kind: "absent" } : { kind: "invalid", reason: r.stderr.trim() };
  const lines = r.stdout.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  const head = /^pulumi-ovs-state\t(\d+)\t/.exec(lines[0] ?? "");
  if (!head) return { kind: "invalid", reason: "no header" };
  const version = Number(head[1]);
  if (version > STATE_VERSION) return { kind: "invalid", reason: `format version ${version} is newer than ${STATE_VERSION}` };
  if (!/^end\t\d+ \d+$/.test(lines[lines.length - 1] ?? "")) return { kind: "invalid", reason: "truncated (no end line)" };
  const hashes = new Map<string, string>();
  for (const l of lines.slice(1, -1)) {
    const f = l.split("\t");
    if (f[0] === "E" && f.length === 5) hashes.set(f[2], f[3]);
  }
  return { kind: "ok", version, hashes };
}

/** Whether this resource's entry in the file is there and current: undefined when it is, else why not. */
export function entryDrift(file: StateFile, key: string, e: RestoreEntry): "missing" | "stale" | undefined {
  const have = file.kind === "ok" ? file.hashes.get(key) : undefined;
  if (have === undefined) return "missing";
  return have === entryHash(e) ? undefined : "stale";
}

/** Names the runner and unit texts: a host whose restore.sh ends with it needs neither written again. */
const INSTALL_ID = crypto.createHash("sha256").update(RESTORE_RUNNER + RESTORE_UNIT + WATCH_UNIT).digest("hex").slice(0, 16);

/**
 * Writes the file under a lock (flock on the STATE_DIR directory itself: no lock file stays behind), atomically
 * (tmp + rename). Its stdin holds, per resource, a `K <TAB> KEY` line and then the resource's entry lines (none:
 * the entry is removed): the entries of those keys are replaced. An unreadable old file (truncated, corrupted)
 * is started afresh; a file of a newer format version is left alone and the put fails naming the version. The
 * file goes with its last entry, the restore script and units with the last file. With restore off ($2 = off)
 * and no file yet, nothing at all is written. In a safe-apply round trip not yet confirmed (POVS_ARMED set) it
 * writes nothing and prints `deferred`: the provider puts again once the change is confirmed. Prints `systemd`
 * when the units are installed, `no-systemd` when the host boots without systemd (nothing will run the script),
 * `reset` when the old file was unreadable, `put-failed CODE` (with the reason on stderr) when it could not
 * write: it always exits 0, so that riding at the end of a resource's writes it never stops the read-backs after it.
 */
const PUT_SCRIPT = `(
  set -eu
  if [ -n "\${POVS_ARMED-}" ]; then echo deferred; exit 0; fi
  d=${STATE_DIR}; f="$d/$1"; mode=$2; stack=$3
  tab='	'; nl='
'
  in=$(cat)
  case "$in" in "K$tab"*) ;; *) exit 0 ;; esac
  # Only removals, and no file: nothing to do (not even the directory).
  case "$in" in *"$nl"E"$tab"*) ;; *) [ -e "$f" ] || exit 0 ;; esac
  umask 077
  [ -d "$d" ] || mkdir -p "$d"
  exec 8<"$d"
  flock -w 60 8
  tmp="$f.tmp.$$"
  old=
  if [ -s "$f" ]; then
    IFS= read -r first <"$f" || :
    v=\${first#pulumi-ovs-state"$tab"}; v=\${v%%"$tab"*}
    if [ "$v" != "$first" ]; then
      case "$v" in ''|*[!0-9]*) ;; *) if [ "$v" -gt ${STATE_VERSION} ]; then
        echo "$f has restore state format version $v, newer than the version ${STATE_VERSION} this pulumi-ovs writes: left as it is; upgrade pulumi-ovs to manage this stack on this host" >&2
        exit 3
      fi ;; esac
    fi
    if [ "$v" = ${STATE_VERSION} ] && [ "$(tail -n 1 "$f")" = "end$tab$(sed '$d' "$f" | cksum)" ]; then old=1; else echo reset; fi
  fi
  # The old entries but those of the keys on stdin (and its header and end line), then the new ones; by phase.
  {
    printf 'pulumi-ovs-state\t%s\t%s\n' ${STATE_VERSION} "$stack"
    printf '%s\n' "$in" | awk -F '\t' 'FNR == NR { if ($1 == "K") k[$2] = 1; else add[++n] = $0; next }
      FNR > 1 { if (held && !(pk in k)) print prev; prev = $0; pk = $3; held = 1 }
      END { for (i = 1; i <= n; i++) print add[i] }' - \${old:+"$f"} | sort -s -t "$tab" -k2,2n
  } >"$tmp"
  { IFS= read -r _; IFS= read -r second || second=; } <"$tmp"
  if [ -z "$second" ]; then
    rm -f "$tmp" "$f"
    if ! ls "$d"/*.state >/dev/null 2>&1; then
      for u in ${UNIT_NAME} ${WATCH_UNIT_NAME}; do rm -f ${UNIT_DIR}/$u ${UNIT_DIR}/multi-user.target.wants/$u; done
      rm -f "$d/restore.sh"
      if [ -S /run/systemd/private ] && command -v systemctl >/dev/null; then systemctl stop ${WATCH_UNIT_NAME} >/dev/null 2>&1 || true; fi
    fi
    exit 0
  fi
  printf 'end\t%s\n' "$(cksum <"$tmp")" >>"$tmp"
  mv -f "$tmp" "$f"
  [ "$mode" = on ] || exit 0
  # Script and units already this version: nothing more to write (most puts).
  if grep -qx '# pulumi-ovs install ${INSTALL_ID}' "$d/restore.sh" 2>/dev/null; then
    if [ ! -d /run/systemd/system ]; then echo no-systemd; exit 0; fi
    if [ -e ${UNIT_DIR}/${UNIT_NAME} ] && [ -e ${UNIT_DIR}/${WATCH_UNIT_NAME} ]; then echo systemd; exit 0; fi
  fi
  cat >"$d/restore.sh.tmp" <<'POVS_RUNNER'
${RESTORE_RUNNER}POVS_RUNNER
  echo '# pulumi-ovs install ${INSTALL_ID}' >>"$d/restore.sh.tmp"
  chmod 0755 "$d/restore.sh.tmp"
  mv -f "$d/restore.sh.tmp" "$d/restore.sh"
  if [ -d /run/systemd/system ]; then
    mkdir -p ${UNIT_DIR}/multi-user.target.wants
    cat >${UNIT_DIR}/${UNIT_NAME}.tmp <<'POVS_UNIT'
${RESTORE_UNIT}POVS_UNIT
    cat >${UNIT_DIR}/${WATCH_UNIT_NAME}.tmp <<'POVS_UNIT'
${WATCH_UNIT}POVS_UNIT
    for u in ${UNIT_NAME} ${WATCH_UNIT_NAME}; do
      chmod 0644 ${UNIT_DIR}/$u.tmp
      mv -f ${UNIT_DIR}/$u.tmp ${UNIT_DIR}/$u
      ln -sfn ../$u ${UNIT_DIR}/multi-user.target.wants/$u
    done
    # A host that runs systemd now (not only the directory): watch docker without waiting for a boot.
    if [ -S /run/systemd/private ] && command -v systemctl >/dev/null; then
      systemctl daemon-reload >/dev/null 2>&1 && systemctl start --no-block ${WATCH_UNIT_NAME} >/dev/null 2>&1 || true
    fi
    echo systemd
  else
    echo no-systemd
  fi
)
r=$?
if [ "$r" -ne 0 ]; then echo "put-failed $r"; fi
exit 0
`;

/**
 * Puts of one file that meet in a round trip become one put (one lock, one rewrite of the file): the same argv
 * fed every member's stdin. Every member gets the merged answer (the script tells failures apart by stdout).
 */
export const putRule: MergeRule = {
  name: "restore-put",
  joinsStdin: true,
  merge(members) {
    return { argv: members[0].argv, stdin: members.map((m) => m.stdin ?? "").join(""), filesOnly: true };
  },
  split(merged, members) {
    return members.map(() => merged);
  },
};

/** Why a put failed (its stdout says `put-failed CODE`), or undefined when it did not. */
export function putFailure(r: CommandResult): string | undefined {
  if (r.code !== 0) return `exit code ${r.code}: ${r.stderr.trim()}`;
  const m = /^put-failed (\d+)$/m.exec(r.stdout);
  return m ? `exit code ${m[1]}: ${r.stderr.trim()}` : undefined;
}

/**
 * The command that records `entry` for `owner` in its stack's file (entry undefined: removes it). `restore`
 * false: the host keeps no file for this resource (only an existing entry is removed).
 */
export function putEntryCmd(owner: string, entry: RestoreEntry | undefined, restore: boolean): RemoteCommand {
  const stack = stackOf(owner);
  const key = entryKey(owner);
  const file = stateFileName(stack);
  const mode = restore ? "on" : "off";
  const stdin = `K\t${key}\n` + (entry && restore ? entryLines(key, entry) : "");
  return { argv: ["sh", "-c", PUT_SCRIPT, "sh", file, mode, stack], stdin, filesOnly: true, merge: { rule: putRule, key: `${file}\0${mode}` } };
}
