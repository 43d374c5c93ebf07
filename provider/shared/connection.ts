/**
 * The parsed connection as every layer sees it, and the plain rules derived from it. The zod schema that produces
 * it lives in schema/connection.ts, which checks at compile time that its output is exactly this type. This module
 * sits at the bottom of the provider: it imports nothing from provider/ (see test/unit/import-direction.test.ts).
 */

/** One SSH hop (the target host, or its jump host) after parsing and defaults. */
export interface ProxyConnection {
  host: string;
  port: number;
  user: string;
  password?: string | undefined;
  privateKey?: string | undefined;
  privateKeyPassword?: string | undefined;
  agentSocketPath?: string | undefined;
  hostKey?: string | undefined;
  knownHostsPath?: string | undefined;
  /** Loudly named on purpose: turning host key checks off lets anyone in the path impersonate the host. */
  dangerouslySkipHostKeyVerification?: boolean | undefined;
  /** Run commands through `sudo -n`. Defaults to true for every user but root. */
  sudo?: boolean | undefined;
  /** Seconds to wait for the SSH handshake. */
  perDialTimeout: number;
  /** How many times to try connecting before giving up. */
  dialErrorLimit: number;
  /** Seconds a single remote command may run. */
  commandTimeout: number;
  /** Concurrent channels on the one connection. */
  maxChannels: number;
}

/** A parsed connection: the target host, optionally reached through a jump host (as `ssh -J`). */
export interface Connection extends ProxyConnection {
  proxy?: ProxyConnection | undefined;
  /** Keep the stack's restore state on the host and install the boot unit (docs/reboot.md). Default true. */
  restoreOnBoot?: boolean | undefined;
  /**
   * Safe apply (docs/safe-apply.md): seconds after which a host reverts a change by itself unless the provider
   * reached it on a new SSH connection after the change.
   */
  rollbackAfter?: number | undefined;
}

/** Whether commands on this connection go through sudo. */
export function usesSudo(c: Pick<Connection, "user" | "sudo">): boolean {
  return c.sudo ?? c.user !== "root";
}

/** "user@host:port" — used in logs and errors; never includes credentials. */
export function describeConnection(c: Pick<Connection, "user" | "host" | "port">): string {
  return `${c.user}@${c.host}:${c.port}`;
}
