import type { SshHost } from "../transport/pool";
import { describeCommand, type CommandResult, type RemoteCommand } from "../transport/command";
import { RemoteCommandError } from "../transport/errors";
import type { Outcome } from "../transport/coalesce";

export type { Outcome };

/** Judging the results of batched commands (host/facts.ts runs the batches: query, writeThenRead). */

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
