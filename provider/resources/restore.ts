import type * as dynamic from "@pulumi/pulumi/dynamic";
import { STATE_DIR, entryDrift, entryHash, entryKey, parseStateFile, putEntryCmd, putFailure, readStateCmd, stackOf, stateFileName, type RestoreEntry, type StateFile } from "../host/restore-file";
import type { CommandResult, RemoteCommand } from "../transport/command";
import { cachedFact, forgetFact } from "../host/facts";
import { RemoteCommandError } from "../transport/errors";
import { rider } from "../transport/rider";
import type { SshHost } from "../transport/pool";
import type { Connection } from "../schema/connection";
import type { HostContext } from "./framework";

/**
 * The reboot restore as every resource kind takes part in it (docs/reboot.md): after a successful change the
 * resource's entry in its stack's state file on the host is written (removed after a delete), and a read checks
 * it: a missing or stale entry is drift of that resource (`restoreEntry` output), which the next `up` repairs.
 * Kinds without kernel-side state (bridges, tunnels, containers: OVSDB and docker keep them) have no entry.
 *
 * The put is one command (putEntryCmd) that rides at the end of each write submission of the resource's change
 * (transport/rider.ts): it runs in the change's own round trip, only once the writes before it succeeded, and
 * the puts of a round trip merge into one write of the file. A change that sends no write, or a round trip
 * armed by safe apply (the put writes nothing before the change is confirmed), puts alone afterwards. A change
 * that fails after its put went through puts the entry it had before again.
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

/** Judge a put's result: an error naming the file when it failed; the warning when the host has no systemd. */
function judgePut(host: SshHost, owner: string, r: CommandResult): void {
  const why = putFailure(r);
  if (why !== undefined) throw new RemoteCommandError(host.label, `write ${STATE_DIR}/${stateFileName(stackOf(owner))}`, 1, r.stdout, why);
  if (/^no-systemd$/m.test(r.stdout)) warnNoSystemd(host);
}

/** The put in a round trip of its own. */
async function putAlone(host: SshHost, owner: string, cmd: RemoteCommand): Promise<void> {
  try {
    judgePut(host, owner, await host.run(cmd));
  } finally {
    forgetFact(host, stateSection(owner)); // it changes nothing else
  }
}

/** Whether a put that ran wrote the file (not deferred by an armed safe apply). */
function wrote(r: CommandResult): boolean {
  return !/^deferred$/m.test(r.stdout) && putFailure(r) === undefined;
}

/** The stack's state file on the host, read once per host and round trip however many resources ask. */
function stateFile(host: SshHost, owner: string): Promise<StateFile> {
  return cachedFact(host, stateSection(owner), async () => parseStateFile(await host.run(readStateCmd(stateFileName(stackOf(owner))))));
}

function stateSection(owner: string): string {
  return `restore:${stateFileName(stackOf(owner))}`;
}

/** read() of a kind with restore steps: a resource found on the host is drift when its entry is not current. */
async function checkEntry(host: SshHost, conn: Connection, owner: string, entry: RestoreEntry | undefined, r: dynamic.ReadResult): Promise<dynamic.ReadResult> {
  if (!r.id || !r.props || !restoreOn(conn) || !entry) return r;
  const drift = entryDrift(await stateFile(host, owner), entryKey(owner), entry);
  return drift ? { ...r, props: { ...r.props, [DRIFT_OUTPUT]: drift } } : r;
}

/** diff(): an entry a refresh found missing or stale asks for an update (which writes it). */
export function entryDiff(d: dynamic.DiffResult, olds: Record<string, unknown>): dynamic.DiffResult {
  return !d.changes && olds[DRIFT_OUTPUT] !== undefined ? { ...d, changes: true } : d;
}

/**
 * A kind's part in the restore, for kindModule(): `around` a create, update or delete (its entry, made from the
 * resource's inputs and outputs, or none after a delete, rides on the change's writes), `prefetch` and `check`
 * around a read. Kinds without restore steps do nothing here.
 */
export function restoreHooks<I>(kind: string, label: (i: I) => string, restore: ((i: I, outs?: Record<string, unknown>) => Omit<RestoreEntry, "label"> | undefined) | undefined) {
  const owner = (i: I) => (i as { owner: string }).owner;
  const entry = (i: I, outs?: Record<string, unknown>): RestoreEntry | undefined => {
    const e = restore?.(i, outs);
    return e && e.steps.length > 0 ? { ...e, label: `${kind} ${label(i)}` } : undefined;
  };
  const outsOf = (v: unknown) => (v as { outs?: Record<string, unknown> } | undefined)?.outs;
  return {
    /**
     * Run a create, update or delete step with the resource's entry riding on its writes (removed after a delete).
     * `prior`: the resource as it was before (undefined for a create), whose entry is put back if the step fails
     * after its put went through. With restore off, or for a create without steps, nothing is sent.
     */
    async around<T>(c: HostContext, i: I, how: "create" | "update" | "delete", step: (c: HostContext) => Promise<T>, prior?: { inputs: I; outs: Record<string, unknown> }): Promise<T> {
      const e = how === "delete" ? undefined : entry(i, prior?.outs);
      if (!restore || !restoreOn(c.conn) || (how === "create" && !e)) return step(c);
      const o = owner(i);
      const put = putEntryCmd(o, e, true);
      // What the change found out on the host (a management move's addresses) may change the entry: put it then.
      const after = async (value: T, wroteIt: boolean) => {
        const now = how === "delete" ? undefined : entry(i, outsOf(value) ?? prior?.outs);
        const same = (now && e ? entryHash(now) === entryHash(e) : now === e) && wroteIt;
        if (!same) await putAlone(c.host, o, putEntryCmd(o, now, true));
        return value;
      };
      // A safe-apply host confirms each change after its round trip: the put follows that.
      if (c.host.rollbackSeconds > 0) return after(await step(c), false);
      const r = rider(put);
      try {
        const value = await step({ ...c, host: c.host.riding(r) });
        const ran = r.outcomes.filter((x): x is CommandResult => x !== undefined);
        for (const x of ran) judgePut(c.host, o, x);
        return await after(value, ran.some(wrote));
      } catch (err) {
        if (r.outcomes.some((x) => x !== undefined && wrote(x))) {
          await putAlone(c.host, o, putEntryCmd(o, prior === undefined ? undefined : entry(prior.inputs, prior.outs), true)).catch(() => undefined);
        }
        throw err;
      } finally {
        forgetFact(c.host, stateSection(o));
      }
    },
    /** Start reading the host's state file, so that it leaves in the round trip of the read's own reads. */
    prefetch(c: HostContext, i: I): void {
      if (restore && restoreOn(c.conn)) stateFile(c.host, owner(i)).catch(() => undefined);
    },
    check(c: HostContext, i: I, r: dynamic.ReadResult): Promise<dynamic.ReadResult> {
      return checkEntry(c.host, c.conn, owner(i), entry(i, r.props), r);
    },
  };
}
