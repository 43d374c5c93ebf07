import type { SshHost } from "../transport/pool";
import { describeCommand, type CommandResult, type RemoteCommand } from "../transport/command";
import { RemoteCommandError } from "../transport/errors";
import { forgetFacts } from "../host/facts";

/**
 * Round trips for resources that are built from several commands. Candidates for provider/host/facts.ts
 * (a batch form of mutate()); kept here until that file grows one.
 */

/** What one command of a batch did; `undefined` (a stop-on-error batch stopped before it) counts as not run. */
export type Outcome = CommandResult | undefined;

export function ok(r: Outcome): r is CommandResult & { code: 0 } {
  return r !== undefined && r.code === 0;
}

/** The command was not found or not executable on the host: never an answer about the host's state. */
export function missingTool(r: Outcome): boolean {
  return r !== undefined && (r.code === 127 || r.code === 126);
}

/** The error a failed command of a batch stands for (same text as SshHost.run would throw). */
export function commandError(host: SshHost, cmd: RemoteCommand, r: CommandResult): RemoteCommandError {
  return new RemoteCommandError(host.label, describeCommand(cmd), r.code, r.stdout, r.stderr);
}

/** Read-only commands in one round trip; every command runs, each result is judged by the caller. */
export function query(host: SshHost, cmds: readonly RemoteCommand[]): Promise<Outcome[]> {
  return host.runBatch(cmds);
}

/**
 * Writes followed by reads in ONE round trip. The batch stops at the first failing command, so a failed write
 * leaves everything after it undone; that write's error is thrown. Returns the reads' results (a read that
 * failed stops the reads after it: those are undefined). Cached host facts are forgotten either way.
 */
export async function writeThenRead(host: SshHost, writes: readonly RemoteCommand[], reads: readonly RemoteCommand[]): Promise<Outcome[]> {
  let results: Outcome[];
  try {
    results = await host.runBatch([...writes, ...reads], { stopOnError: true });
  } finally {
    forgetFacts(host);
  }
  writes.forEach((cmd, i) => {
    const r = results[i];
    if (r === undefined) throw new Error(`on ${host.label}: command did not run: ${describeCommand(cmd)}`);
    if (r.code !== 0) throw commandError(host, cmd, r);
  });
  return results.slice(writes.length);
}
