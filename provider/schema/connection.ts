import { z } from "zod";
import * as net from "node:net";
import type { Connection, ProxyConnection } from "../shared/connection";

// The plain types and rules live at the bottom of the provider (transport needs them); re-exported for callers here.
export type { Connection, ProxyConnection } from "../shared/connection";
export { describeConnection, usesSudo } from "../shared/connection";

/** A DNS name or an IP address; nothing a shell or ssh option parser could misread. */
const hostName = z
  .string()
  .min(1, "must not be empty")
  .max(253, "must be at most 253 characters")
  .refine(
    (s) => net.isIP(s) !== 0 || /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(s),
    "must be a host name or an IP address",
  );

const userName = z
  .string()
  .regex(/^[a-z_][a-z0-9_.-]{0,31}\$?$/i, "must be a POSIX user name");

/** A pinned host key: "ssh-ed25519 AAAA..." (as in known_hosts) or a "SHA256:..." fingerprint. */
const hostKey = z
  .string()
  .refine(
    (s) => /^SHA256:[A-Za-z0-9+/]{43}=?$/.test(s.trim()) || /^(ssh-|ecdsa-)[A-Za-z0-9@.-]+ [A-Za-z0-9+/]+=*( .*)?$/.test(s.trim()),
    'must be a public key line like "ssh-ed25519 AAAA..." or a fingerprint like "SHA256:..."',
  );

const baseConnection = z.object({
  host: hostName,
  port: z.number().int().min(1).max(65535).default(22),
  user: userName.default("root"),
  password: z.string().optional(),
  privateKey: z.string().optional(),
  privateKeyPassword: z.string().optional(),
  agentSocketPath: z.string().optional(),
  hostKey: hostKey.optional(),
  knownHostsPath: z.string().optional(),
  /** Loudly named on purpose: turning host key checks off lets anyone in the path impersonate the host. */
  dangerouslySkipHostKeyVerification: z.boolean().optional(),
  /** Run commands through `sudo -n`. Defaults to true for every user but root. */
  sudo: z.boolean().optional(),
  /** Seconds to wait for the SSH handshake. */
  perDialTimeout: z.number().int().min(1).max(600).default(15),
  /** How many times to try connecting before giving up. */
  dialErrorLimit: z.number().int().min(1).max(100).default(3),
  /** Seconds a single remote command may run. */
  commandTimeout: z.number().int().min(1).max(3600).default(120),
  /** Concurrent channels on the one connection (OpenSSH allows 10 sessions per connection by default). */
  maxChannels: z.number().int().min(1).max(64).default(8),
});

export const connectionSchema = baseConnection.extend({
  /** A jump host, as `ssh -J`. */
  proxy: baseConnection.optional(),
  /** Keep the stack's restore state on the host and install the boot unit (docs/reboot.md). Default true. */
  restoreOnBoot: z.boolean().optional(),
  /** Safe apply: seconds after which the host reverts a change it was not confirmed reachable after. */
  rollbackAfter: z.number().int("must be a whole number of seconds").min(10, "must be at least 10 seconds").max(3600, "must be at most 3600 seconds (1 h)").optional(),
});

export type ConnectionInput = z.input<typeof connectionSchema>;

/**
 * A connection without rollbackAfter, which changes how the provider applies a change, not the host it reaches:
 * turning safe apply on or off is no change to any resource.
 */
export function withoutSafeApply(c: unknown): unknown {
  if (!c || typeof c !== "object") return c;
  const { rollbackAfter: _r, ...rest } = c as Record<string, unknown>;
  return rest;
}

/** Compile-time check: what the schema produces is exactly the plain type the lower layers use (and vice versa). */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Assert<T extends true> = T;
export type ConnectionSchemaMatchesConnection = Assert<Same<z.output<typeof connectionSchema>, Connection>>;
export type ProxySchemaMatchesProxyConnection = Assert<Same<z.output<typeof baseConnection>, ProxyConnection>>;

/**
 * Every engine call carries its resource's connection, and most resources of a stack share a few: parse each
 * distinct one once per process (the same object comes back, so what is derived from it can be kept beside it).
 */
const parsedConnections = new Map<string, Connection>();
const PARSED_CONNECTIONS_MAX = 256;

/** Parse a connection, throwing an error that lists every bad field (never their values). */
export function parseConnection(raw: unknown): Connection {
  const key = JSON.stringify(raw) ?? "";
  const known = parsedConnections.get(key);
  if (known) return known;
  const r = connectionSchema.safeParse(raw);
  if (!r.success) {
    const reasons = r.error.issues.map((i) => `connection.${i.path.join(".")}: ${i.message}`);
    throw new Error(`invalid connection: ${reasons.join("; ")}`);
  }
  if (parsedConnections.size >= PARSED_CONNECTIONS_MAX) parsedConnections.clear();
  const conn = Object.freeze(r.data) as Connection;
  parsedConnections.set(key, conn);
  return conn;
}
