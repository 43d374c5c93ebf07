import type * as dynamic from "@pulumi/pulumi/dynamic";
import { STATE_DIR, entryDrift, entryKey, parseStateFile, putEntryCmd, readStateCmd, stackOf, stateFileName, type RestoreEntry, type StateFile } from "../host/restore-file";
import { cachedFact, forgetFacts } from "../host/facts";
import { RemoteCommandError } from "../transport/errors";
import type { SshHost } from "../transport/pool";
import type { Connection } from "../schema/connection";
import type { HostContext } from "./framework";

/**
 * The reboot restore as every resource kind takes part in it (docs/reboot.md): after a successful change the
 * resource's entry in its stack's state file on the host is written (removed after a delete), and a read checks
 * it: a missing or stale entry is drift of that resource (`restoreEntry` output), which the next `up` repairs.
 * Kinds without kernel-side state (bridges, tunnels, containers: OVSDB and docker keep them) have no entry.
 *
 * `saveEntry` is the one place the file is written: it runs after the resource's change succeeded, as its own
 * command (puts of one round trip merge into one write of the file).
 */

/** Output set by read() when the host's state file does not hold this resource's current entry. */
export const DRIFT_OUTPUT = "restoreEntry";

/** Whether this connection keeps restore state on its host (`restoreOnBoot`, default on). */
export function restoreOn(conn: Connection): boolean {
  return conn.restoreOnBoot !== false;
}

const warned = new Set<string>();

/** The host boots without systemd: say once per host that nothing will run the restore there by itself. */
function warnNoSystemd(host: SshHost): void {
  if (warned.has(host.label)) return;
  warned.add(host.label);
  const text = `pulumi-ovs: ${host.label} has no systemd (/run/systemd/system): its restore state is kept in /var/lib/pulumi-ovs, but nothing runs /var/lib/pulumi-ovs/restore.sh at boot; run it from the host's own boot scripts, or set connection.restoreOnBoot: false`;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require("@pulumi/pulumi") as typeof import("@pulumi/pulumi")).log.warn(text);
  } catch {
    process.stderr.write(text + "\n");
  }
}

/**
 * Record (entry) or remove (undefined) the resource's entry after its change succeeded. `creating`: a resource
 * that was never recorded needs no removal (and with restore off nothing is sent at all).
 */
export async function saveEntry(host: SshHost, conn: Connection, owner: string, entry: RestoreEntry | undefined, creating: boolean): Promise<void> {
  const on = restoreOn(conn);
  if (creating && (!on || !entry)) return;
  try {
    const r = await host.run(putEntryCmd(owner, entry, on));
    if (/^no-systemd$/m.test(r.stdout)) warnNoSystemd(host);
  } catch (e) {
    // The error names the file, not the whole script.
    if (e instanceof RemoteCommandError) throw new RemoteCommandError(host.label, `write ${STATE_DIR}/${stateFileName(stackOf(owner))}`, e.exitCode, e.stdout, e.stderr);
    throw e;
  } finally {
    forgetFacts(host);
  }
}

/** The stack's state file on the host, read once per host and round trip however many resources ask. */
function stateFile(host: SshHost, owner: string): Promise<StateFile> {
  const file = stateFileName(stackOf(owner));
  return cachedFact(host, `restore:${file}`, async () => parseStateFile(await host.run(readStateCmd(file))));
}

/** read() of a kind with restore steps: a resource found on the host is drift when its entry is not current. */
export async function checkEntry(host: SshHost, conn: Connection, owner: string, entry: RestoreEntry | undefined, r: dynamic.ReadResult): Promise<dynamic.ReadResult> {
  if (!r.id || !r.props || !restoreOn(conn) || !entry) return r;
  const drift = entryDrift(await stateFile(host, owner), entryKey(owner), entry);
  return drift ? { ...r, props: { ...r.props, [DRIFT_OUTPUT]: drift } } : r;
}

/** diff(): an entry a refresh found missing or stale asks for an update (which writes it). */
export function entryDiff(d: dynamic.DiffResult, olds: Record<string, unknown>): dynamic.DiffResult {
  return !d.changes && olds[DRIFT_OUTPUT] !== undefined ? { ...d, changes: true } : d;
}

/**
 * A kind's part in the restore, for kindModule(): `save` after a successful create, update or delete (an
 * entry made from the resource's inputs, or none after a delete), `check` after a read. Kinds without
 * restore steps do nothing here.
 */
export function restoreHooks<I>(kind: string, label: (i: I) => string, restore: ((i: I) => Omit<RestoreEntry, "label"> | undefined) | undefined) {
  const owner = (i: I) => (i as { owner: string }).owner;
  const entry = (i: I): RestoreEntry | undefined => {
    const e = restore?.(i);
    return e && e.steps.length > 0 ? { ...e, label: `${kind} ${label(i)}` } : undefined;
  };
  return {
    async save<T>(c: HostContext, i: I, r: T, creating = false, gone = false): Promise<T> {
      if (restore) await saveEntry(c.host, c.conn, owner(i), gone ? undefined : entry(i), creating);
      return r;
    },
    check(c: HostContext, i: I, r: dynamic.ReadResult): Promise<dynamic.ReadResult> {
      return checkEntry(c.host, c.conn, owner(i), entry(i), r);
    },
  };
}
