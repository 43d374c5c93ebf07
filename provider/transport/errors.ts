import { redact } from "./redact";

/** A command ran on the host and exited non-zero (or was killed). Never retried: the host said no. */
export class RemoteCommandError extends Error {
  constructor(
    readonly host: string,
    readonly command: string,
    readonly exitCode: number | null,
    readonly stdout: string,
    readonly stderr: string,
    readonly signal?: string,
  ) {
    const status = signal ? `killed by ${signal}` : `exit code ${exitCode}`;
    // Some tools say why on stdout and only "it failed" on stderr (ovs-ofctl prints the switch's OpenFlow error
    // on stdout): show both, stdout shortened.
    const out = stdout.trim();
    const detail = stderr.trim() ? `${stderr.trim()}${out ? `\n${out.length > 2000 ? `${out.slice(0, 2000)}...` : out}` : ""}` : out;
    super(redact(`on ${host}: command failed (${status}): ${command}${detail ? `\n${detail}` : ""}`));
    this.name = "RemoteCommandError";
  }
}

/** The command did not finish within its timeout. */
export class RemoteTimeoutError extends Error {
  constructor(readonly host: string, readonly command: string, readonly seconds: number) {
    super(redact(`on ${host}: command timed out after ${seconds}s: ${command}`));
    this.name = "RemoteTimeoutError";
  }
}

/** Could not reach or authenticate to the host: a transport problem, not a statement about the host's state. */
export class ConnectionError extends Error {
  constructor(readonly host: string, message: string) {
    super(redact(`cannot connect to ${host}: ${message}`));
    this.name = "ConnectionError";
  }
}

/** What a ConnectionError's message says after "cannot connect to HOST: " (to say it again for another label). */
export function connectionReason(message: string): string {
  return message.replace(/^cannot connect to \S+: /, "");
}

/** Prefix an error with the resource it happened for, keeping the original's text (already redacted). */
export function withResourceContext(err: unknown, resource: string): Error {
  const e = err instanceof Error ? err : new Error(String(err));
  const wrapped = new Error(redact(`${resource}: ${e.message}`));
  wrapped.name = e.name;
  return wrapped;
}
