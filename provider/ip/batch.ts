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

/** `ip -n NS` / `ip netns exec NS` could not enter the namespace: it does not exist, or links to a process that is gone. */
export function isNoNamespace(stderr: string): boolean {
  return /Cannot open network namespace/i.test(stderr);
}

/** The error for a command the host does not have (see missingTool). */
export function missingToolError(r: CommandResult): Error {
  return new Error(`required tool missing on the host: ${r.stderr.trim()}`);
}

/** The error for a resource declared in a namespace that is not there. */
export function noNamespaceError(namespace: string): Error {
  return new Error(`namespace ${namespace} does not exist on the host: create it first, e.g. with a NetNamespace`);
}
