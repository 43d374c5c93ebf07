import { AsyncLocalStorage } from "node:async_hooks";
import type { RemoteCommand } from "../transport/command";
import type { Outcome } from "../transport/coalesce";

/**
 * A command that rides with the writes of one provider step (the restore state put, resources/restore.ts): it is
 * appended after the step's writes in their round trip, so it runs only when they succeeded and costs no round
 * trip of its own. Every write batch of the step carries it (see facts.ts); what counts is whether it rode with
 * the last one.
 */
interface Rider {
  cmd: RemoteCommand;
  writes: number;
  rodeWith?: number;
  result?: Outcome;
}

const current = new AsyncLocalStorage<Rider>();

export interface Ride<T> {
  value: T;
  /** The rider's result from the step's last write batch; undefined: it did not ride with it (or no write happened). */
  last?: Outcome;
  /** It rode with some write batch (and may have changed the host). */
  rode: boolean;
}

/** Run a step with `cmd` riding on its writes. A failing step's error carries `rode` (see rodeBeforeFailing). */
export async function withRider<T>(cmd: RemoteCommand, step: () => Promise<T>): Promise<Ride<T>> {
  const rider: Rider = { cmd, writes: 0 };
  try {
    const value = await current.run(rider, step);
    return { value, rode: rider.rodeWith !== undefined, last: rider.rodeWith !== undefined && rider.rodeWith === rider.writes ? rider.result : undefined };
  } catch (e) {
    if (rider.rodeWith !== undefined && e && typeof e === "object") (e as { riderRode?: boolean }).riderRode = true;
    throw e;
  }
}

/** Whether the rider of a step that threw `e` had already run on the host. */
export function rodeBeforeFailing(e: unknown): boolean {
  return !!(e && typeof e === "object" && (e as { riderRode?: boolean }).riderRode);
}

/** One write batch of the current step: the rider after the writes, and how to take its result out again. */
export function carryRider(writes: readonly RemoteCommand[]): { cmds: RemoteCommand[]; take(results: Outcome[]): Outcome[] } {
  const rider = current.getStore();
  if (!rider || writes.length === 0) return { cmds: [...writes], take: (r) => r };
  const batch = ++rider.writes;
  const at = writes.length;
  return {
    cmds: [...writes, rider.cmd],
    take(results) {
      if (results[at] !== undefined) {
        rider.rodeWith = batch;
        rider.result = results[at];
      }
      return [...results.slice(0, at), ...results.slice(at + 1)];
    },
  };
}
