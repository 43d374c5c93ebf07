import type { RemoteCommand } from "./command";
import type { Outcome } from "./coalesce";

/**
 * A command that rides along with a resource's writes: a resource's change runs against a view of its host
 * (SshHost.riding) whose submissions that write something carry the command as their tail (RemoteCommand.tail):
 * it runs in the same round trip, after the writes, only when they succeeded. The restore state of a resource
 * rides this way (resources/restore.ts), so recording it costs no round trip of its own; tails of many resources
 * merge into one command per round trip (transport/coalesce-plan.ts). A view, not an AsyncLocalStorage: once
 * used, that slows every promise of the process (about 2.5 times on Node 20), and the engine's SDK makes many.
 */
export interface Ride {
  readonly cmd: RemoteCommand;
  /** What each carried copy did (undefined: it did not run, as something before it failed). */
  readonly outcomes: Outcome[];
}

/** A ride of `cmd` on the writes of one change. */
export function rider(cmd: RemoteCommand): Ride {
  return { cmd: { ...cmd, tail: true }, outcomes: [] };
}

/** Commands as they are sent: with the ride's command after their last write when there is a ride. */
export function withRider(r: Ride | undefined, cmds: readonly RemoteCommand[]): { cmds: readonly RemoteCommand[]; take(results: Outcome[]): Outcome[] } {
  if (!r || cmds.every((c) => c.read) || cmds.some((c) => c.tail)) return { cmds, take: (results) => results };
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
