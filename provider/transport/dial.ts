import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Client, type AuthenticationType, type ConnectConfig } from "ssh2";
import type { Connection, ProxyConnection } from "../shared/connection";
import { ConnectionError } from "./errors";
import { type HostKeyPolicy, verifyHostKey } from "./hostkeys";
import { type HostCounters, trace, transportStats } from "./stats";

/**
 * Opening SSH connections (auth order, host-key policy) and the one retry rule every path that reaches a host
 * uses. Kept apart from the per-host registry (transport/pool.ts) so the detached broker (transport/broker.ts)
 * can dial without loading the registry and its queue.
 */

/** Connection-level failures worth one reconnect; a command that ran and failed is never retried. */
const TRANSIENT = /ECONNRESET|ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EPIPE|Not connected|No response from server|Timed out while waiting for handshake|Connection lost|socket hang up/i;

/**
 * sshd refused a new channel on a healthy connection: it frees a session slot only some time after the
 * previous channel closed, so a busy connection can briefly hit MaxSessions. Wait and open again.
 */
const CHANNEL_REFUSED = /Channel open failure/i;
const CHANNEL_RETRIES = 20;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface RetryRules {
  /** The connection the attempt used is gone before anything started: forget it, so the next attempt dials. */
  reconnect(err: Error): void;
  /** Errors that are not retried at all, whatever their message (e.g. a timeout). */
  final?(err: Error): boolean;
  /** What to throw once no retry applies. */
  fail(err: Error): Error;
}

/**
 * Run `attempt` again only while nothing of it started on the host: while sshd refuses a new channel (up to
 * CHANNEL_RETRIES times, backing off), and once more on a new connection if the connection was gone. An error
 * that says the command started (`commandStarted`) is never retried: the host may have done part of it.
 */
export async function retryDialErrors<T>(attempt: () => Promise<T>, rules: RetryRules): Promise<T> {
  for (let tries = 0, refused = 0; ; tries++) {
    try {
      return await attempt();
    } catch (e) {
      const err = e as Error & { commandStarted?: boolean };
      if (rules.final?.(err)) throw rules.fail(err);
      if (!err.commandStarted && CHANNEL_REFUSED.test(err.message) && refused++ < CHANNEL_RETRIES) {
        tries--;
        await sleep(10 * refused);
        continue;
      }
      if (tries === 0 && !err.commandStarted && TRANSIENT.test(err.message)) {
        rules.reconnect(err);
        continue;
      }
      throw rules.fail(err);
    }
  }
}

function hostKeyPolicy(c: ProxyConnection): HostKeyPolicy {
  if (c.dangerouslySkipHostKeyVerification) return { kind: "skip" };
  if (c.hostKey) return { kind: "pinned", expected: c.hostKey };
  const p = c.knownHostsPath ?? path.join(os.homedir(), ".ssh", "known_hosts");
  if (fs.existsSync(p)) return { kind: "knownHosts", path: p, content: fs.readFileSync(p, "utf8") };
  return { kind: "none" };
}

/**
 * The methods to try, best first: a key, then the agent, then the password. Without this ssh2 first asks for
 * "none" (a round trip the server always refuses) and tries a password before a key (a password check costs
 * the server a slow hash).
 */
export function authOrder(conn: Pick<Connection, "privateKey" | "agentSocketPath" | "password">): AuthenticationType[] | undefined {
  const order: AuthenticationType[] = [];
  if (conn.privateKey !== undefined) order.push("publickey");
  if (conn.agentSocketPath !== undefined) order.push("agent");
  if (conn.password !== undefined) order.push("password");
  return order.length ? order : undefined;
}

/** A TCP stream to host:port through the jump host (conn.proxy); the registry supplies it (transport/pool.ts). */
export type Tunnel = (host: string, port: number) => Promise<NodeJS.ReadableStream>;

/** dial(), tried up to conn.dialErrorLimit times while the failure is transient. */
export async function dialRetrying(conn: Connection, label: string, counters: HostCounters, onClose: (c: Client) => void, tunnel?: Tunnel): Promise<Client> {
  let last: Error | undefined;
  for (let i = 0; i < conn.dialErrorLimit; i++) {
    try {
      return await dial(conn, label, counters, onClose, tunnel);
    } catch (e) {
      last = e as Error;
      // Authentication and host key problems will not fix themselves: fail at once.
      if (!TRANSIENT.test(last.message) || /host key|authentication/i.test(last.message)) break;
      await sleep(200 * 2 ** i);
    }
  }
  throw last instanceof ConnectionError ? last : new ConnectionError(label, last?.message ?? "unknown error");
}

/** Open one authenticated connection (through the jump host, if any), verifying the host key. */
async function dial(conn: Connection, label: string, counters: HostCounters, onClose: (c: Client) => void, tunnel?: Tunnel): Promise<Client> {
  let sock: NodeJS.ReadableStream | undefined;
  if (conn.proxy) {
    if (!tunnel) throw new ConnectionError(label, "a connection through a jump host needs a tunnel to it");
    sock = await tunnel(conn.host, conn.port);
  }
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const client = new Client();
    const policy = hostKeyPolicy(conn);
    let refusal: string | undefined;
    const cfg: ConnectConfig = {
      host: conn.host,
      port: conn.port,
      username: conn.user,
      password: conn.password,
      privateKey: conn.privateKey,
      passphrase: conn.privateKeyPassword,
      agent: conn.agentSocketPath,
      readyTimeout: conn.perDialTimeout * 1000,
      keepaliveInterval: 15000,
      keepaliveCountMax: 3,
      tryKeyboard: false,
      authHandler: authOrder(conn),
      sock: sock as ConnectConfig["sock"],
      hostVerifier: (key: Buffer) => {
        const v = verifyHostKey(policy, key, conn.host, conn.port);
        if (!v.ok) refusal = v.reason;
        return v.ok;
      },
    };
    // Settled once, by whichever comes first. ssh2 emits 'close' without 'error' when the connection is cut
    // during the handshake, and clears its own handshake timer then: both are handled here, or the dial (and
    // every round trip queued behind it) waits forever. A second 'error' must not go unhandled either.
    let settled = false;
    const settle = (err?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      if (!err) return resolve(client);
      client.end();
      reject(err);
    };
    const deadline = setTimeout(() => settle(new ConnectionError(label, "Timed out while waiting for handshake")), conn.perDialTimeout * 1000 + 1000);
    client.once("ready", () => {
      transportStats.connectionsOpened++;
      counters.connectionsOpened++;
      trace({ host: label, dialMs: Date.now() - t0 });
      settle(); // later errors surface through 'close' and the next exec
    });
    client.on("error", (e: Error & { level?: string }) => {
      const msg = refusal ?? (e.level === "client-authentication" ? `authentication failed for ${label}: ${e.message}` : e.message);
      settle(new ConnectionError(label, msg));
    });
    client.once("close", () => {
      settle(new ConnectionError(label, "Connection lost during the SSH handshake (closed by the server or the network)"));
      onClose(client);
    });
    client.connect(cfg);
  });
}
