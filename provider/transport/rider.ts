import { AsyncLocalStorage } from "node:async_hooks";
import type { RemoteCommand } from "./command";
import type { Outcome } from "./coalesce";

/**
 * A command that rides along with a resource's writes: while `riding(...)` runs a resource's change, every
 * submission of that change to the ride's host which writes something carries the command as its tail
 * (RemoteCommand.tail): it runs in the same round trip, after the writes, only when they succeeded. The
 * restore state of a resource rides this way (resources/restore.ts), so recording it costs no round trip
 * of its own; tails of many resources merge into one command per round trip (transport/coalesce-plan.ts).
 */
export interface Ride {
  /** The host whose submissions carry the command (compared by identity). */
  readonly host: object;
  readonly cmd: RemoteCommand;
  /** What each carried copy did (undefined: it did not run, as something before it failed). */
  readonly outcomes: Outcome[];
}

const current = new AsyncLocalStorage<Ride>();

/** A ride of `cmd` on the writes to `host` (nothing rides until `riding` runs a change with it). */
export function rider(host: object, cmd: RemoteCommand): Ride {
  return { host, cmd: { ...cmd, tail: true }, outcomes: [] };
}

/** Run `fn` with the ride's command carried by its writes; the ride's outcomes then say what the copies did. */
export function riding<T>(r: Ride, fn: () => Promise<T>): Promise<T> {
  return current.run(r, fn);
}

/** Commands as they are sent to `host`: with the ride's command after their last write when one rides. */
export function withRider(host: object, cmds: readonly RemoteCommand[]): { cmds: readonly RemoteCommand[]; take(results: Outcome[]): Outcome[] } {
  const r = current.getStore();
  if (!r || r.host !== host || cmds.every((c) => c.read) || cmds.some((c) => c.tail)) return { cmds, take: (results) => results };
  // Right after the last write: read-backs after it (which may fail by design) do not hold it back.
  let i = cmds.length;
  while (i > 0 && cmds[i - 1].read) i--;
  return {
    cmds: [...cmds.slice(0, i), r.cmd, ...cmds.slice(i)],
    take(results) {
      r.outcomes.push(results[i]);
      return [...results.slice(0, i), ...results.slice(i + 1)];
    },
  };
}
