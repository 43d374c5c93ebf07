import * as crypto from "node:crypto";
import type { Client } from "ssh2";
import { type Connection, type ProxyConnection, describeConnection, usesSudo } from "../shared/connection";
import { type CommandResult, type RemoteCommand, describeCommand } from "./command";
import { type Ride, withRider } from "./rider";
import { dialRetrying, retryDialErrors } from "./dial";
import { ConnectionError, RemoteCommandError, RemoteTimeoutError } from "./errors";
import { type Executor, type ExecutorContext, execChannel, hookedExecutorFactory } from "./executor";
import { registerSecret } from "./redact";
import { Semaphore } from "./semaphore";
import { ShellExecutor } from "./shell-executor";
import { type HostCounters, hostCounters, noteActivity, trace, transportStats } from "./stats";

/**
 * The per-host registry: one SSH connection per (host, port, user, credentials), shared by every resource in the
 * provider process, and one executor per host through which its commands go (transport/executor.ts). The
 * provider process is long-lived and the engine calls it for many resources at once, so this state is
 * module-level on purpose.
 */

/** Counters for tests and the benchmark (transport/stats.ts). */
export { transportStats };
export { authOrder } from "./dial";

const hosts = new Map<string, SshHost>();

export function hostFor(conn: Connection): SshHost {
  const key = poolKey(conn);
  let h = hosts.get(key);
  if (!h) {
    h = new SshHost(conn, key);
    hosts.set(key, h);
  }
  h.allow(conn);
  return h;
}

/** Close every pooled connection (tests, and short scripts that must exit). */
export function closeAllHosts(): void {
  for (const h of hosts.values()) h.close();
  hosts.clear();
}

/** Pool keys of parsed connections (parseConnection hands out one object per distinct connection). */
const poolKeys = new WeakMap<object, string>();

function poolKey(c: ProxyConnection & { proxy?: ProxyConnection }): string {
  let key = poolKeys.get(c);
  if (key === undefined) poolKeys.set(c, (key = computePoolKey(c)));
  return key;
}

function computePoolKey(c: ProxyConnection & { proxy?: ProxyConnection }): string {
  // Credentials are part of the key (hashed): two stacks with different keys must not share a session.
  const cred = crypto
    .createHash("sha256")
    .update(JSON.stringify([c.password, c.privateKey, c.privateKeyPassword, c.agentSocketPath, c.hostKey, c.knownHostsPath, c.dangerouslySkipHostKeyVerification, c.sudo]))
    .digest("hex")
    .slice(0, 16);
  return `${describeConnection(c)}#${cred}${c.proxy ? ` via ${poolKey(c.proxy)}` : ""}`;
}

export class SshHost {
  readonly label: string;
  private client?: Client;
  private connecting?: Promise<Client>;
  private readonly channels: Semaphore;
  private readonly counters: HostCounters;
  private inFlight = 0;
  private readonly executor: Executor;

  /**
   * Seconds a round trip may take, and how long and how often to try connecting. Resources that share a host
   * share its round trips and its connection, so the host allows the most any of them asked for (a slow command
   * declared with a long timeout must not inherit a short one, nor a patient dial an impatient one).
   */
  private commandTimeout: number;
  private dialTimeout: number;
  private dialAttempts: number;
  /** Safe apply: seconds before an armed revert fires (the longest any resource asked for); 0: off. */
  private rollbackAfter: number;

  constructor(private readonly conn: Connection, key: string = computePoolKey(conn)) {
    this.commandTimeout = conn.commandTimeout;
    this.dialTimeout = conn.perDialTimeout;
    this.dialAttempts = conn.dialErrorLimit;
    this.rollbackAfter = conn.rollbackAfter ?? 0;
    this.label = describeConnection(conn);
    this.channels = new Semaphore(conn.maxChannels);
    this.counters = hostCounters(this.label);
    for (const s of [conn.password, conn.privateKey, conn.privateKeyPassword, conn.proxy?.password, conn.proxy?.privateKey, conn.proxy?.privateKeyPassword]) registerSecret(s);
    const ctx = this.executorContext(key);
    this.executor = (hookedExecutorFactory() ?? ((c: ExecutorContext) => new ShellExecutor(c)))(ctx);
  }

  /** Another resource's connection to this host: widen the timeouts and dial attempts to the most asked for. */
  allow(conn: Pick<Connection, "commandTimeout" | "perDialTimeout" | "dialErrorLimit" | "rollbackAfter">): void {
    this.commandTimeout = Math.max(this.commandTimeout, conn.commandTimeout);
    this.rollbackAfter = Math.max(this.rollbackAfter, conn.rollbackAfter ?? 0);
    this.dialTimeout = Math.max(this.dialTimeout, conn.perDialTimeout);
    this.dialAttempts = Math.max(this.dialAttempts, conn.dialErrorLimit);
  }

  /** The host itself; for a view made by riding(), the host it was made from (what caches of host facts key on). */
  readonly origin: SshHost = this;
  /** Set only on a view made by riding(). */
  private readonly ride?: Ride;

  /**
   * This host as one change sees it (transport/rider.ts): the same connection, queue and facts, and its
   * submissions that write carry the ride's command after their writes. The view only reads the host's fields.
   */
  riding(r: Ride): SshHost {
    return Object.create(this.origin, { ride: { value: r } }) as SshHost;
  }

  /** Safe apply's delay in force (seconds; 0: off). */
  get rollbackSeconds(): number {
    return this.rollbackAfter;
  }

  /** The command timeout in force (seconds). */
  get commandTimeoutSeconds(): number {
    return this.commandTimeout;
  }

  /** The dial settings in force: seconds per attempt, attempts. */
  get dialSettings(): { perDialTimeout: number; dialErrorLimit: number } {
    return { perDialTimeout: this.dialTimeout, dialErrorLimit: this.dialAttempts };
  }

  /** Whether reads of this host's state may be shared and derived (host/facts.ts); the executor decides. */
  get sharesReads(): boolean {
    return this.executor.sharesReads;
  }

  /**
   * Run one command; non-zero exit (not in okCodes) throws RemoteCommandError naming host, command, stderr.
   * It leaves with whatever else the engine's concurrent calls send to this host (one round trip).
   */
  async run(cmd: RemoteCommand): Promise<CommandResult> {
    const sent = withRider(this.ride, [cmd]);
    const [r] = sent.take(await this.executor.submit(sent.cmds, false));
    if (!r) throw new Error(`on ${this.label}: command did not run: ${describeCommand(cmd)}`);
    if (r.code !== 0 && !(cmd.okCodes ?? []).includes(r.code)) {
      throw new RemoteCommandError(this.label, describeCommand(cmd), r.code, r.stdout, r.stderr);
    }
    return r;
  }

  /**
   * Run several commands in ONE round trip. Each result carries its own exit code (nothing throws for a
   * failed command). With stopOnError the commands run in order and those after the first failure do not
   * run (undefined); without it they are independent (no order is promised) and may merge with other callers'.
   */
  async runBatch(cmds: readonly RemoteCommand[], opts: { stopOnError?: boolean } = {}): Promise<(CommandResult | undefined)[]> {
    if (cmds.length === 0) return [];
    const sent = withRider(this.ride, cmds);
    return sent.take(await this.executor.submit(sent.cmds, !!opts.stopOnError));
  }

  /** A TCP stream to host:port opened through this host (a jump host's part in `ssh -J`). */
  async forwardTo(host: string, port: number): Promise<NodeJS.ReadableStream> {
    const client = await this.connect();
    return new Promise((resolve, reject) => {
      client.forwardOut("127.0.0.1", 0, host, port, (err, stream) => (err ? reject(err) : resolve(stream)));
    });
  }

  close(): void {
    this.executor.close();
    this.client?.end();
    this.client = undefined;
    this.connecting = undefined;
  }

  /** What this host lends its executor (transport/executor.ts). */
  private executorContext(key: string): ExecutorContext {
    const counters = this.counters;
    const ctx: ExecutorContext = {
      conn: this.conn,
      label: this.label,
      key,
      sudo: usesSudo(this.conn),
      commandTimeoutSeconds: () => this.commandTimeout,
      rollbackSeconds: () => this.rollbackAfter,
      dialConn: () => this.dialConn(),
      withConnection: (attempt, opts) => this.withConnection(!!opts?.fresh, attempt),
      connect: () => this.connect(),
      exec: (client, line, stdin, shown) => {
        ctx.countRoundTrip();
        return execChannel(client, this.label, line, stdin, shown, this.commandTimeout);
      },
      underChannelLimit: async (fn) => {
        const release = await this.channels.acquire();
        try {
          return await fn();
        } finally {
          release();
        }
      },
      noteActivity,
      countRoundTrip: () => (transportStats.roundTrips++, counters.roundTrips++),
      countCommands: (n) => ((transportStats.commandsRun += n), (counters.commandsRun += n)),
      countRemoteMs: (ms) => (counters.remoteMs += ms),
      countConnectionOpened: () => (transportStats.connectionsOpened++, counters.connectionsOpened++),
    };
    return ctx;
  }

  private dialConn(): Connection {
    return { ...this.conn, perDialTimeout: this.dialTimeout, dialErrorLimit: this.dialAttempts };
  }

  /** One attempt on the pooled connection (or a fresh one), under the channel limit, with the dial-error retries. */
  private async withConnection<T>(fresh: boolean, attempt: (client: Client) => Promise<T>): Promise<T> {
    const release = await this.channels.acquire();
    this.inFlight++;
    let client: Client | undefined;
    try {
      return await retryDialErrors(
        async () => {
          const c = (client = fresh ? await this.dialWithRetries() : await this.connect());
          this.setRef(true);
          try {
            return await attempt(c);
          } finally {
            if (fresh) c.end();
          }
        },
        {
          // The connection died under us (e.g. sshd restarted): drop it, the next attempt dials a fresh one.
          reconnect: () => client && this.dropClient(client),
          fail: (err) => {
            if (err instanceof RemoteTimeoutError || err instanceof ConnectionError) return err;
            if (!(err as { commandStarted?: boolean }).commandStarted) return new ConnectionError(this.label, err.message);
            return err;
          },
        },
      );
    } finally {
      this.inFlight--;
      if (this.inFlight === 0) this.setRef(false);
      release();
    }
  }

  private connect(): Promise<Client> {
    if (this.client) return Promise.resolve(this.client);
    if (!this.connecting) {
      this.connecting = this.dialWithRetries().then(
        (c) => {
          this.client = c;
          this.connecting = undefined;
          return c;
        },
        (e) => {
          this.connecting = undefined;
          throw e;
        },
      );
    }
    return this.connecting;
  }

  private dialWithRetries(): Promise<Client> {
    const onClose = (c: Client) => {
      if (this.client === c) this.client = undefined;
    };
    // The jump host is a host of the registry like any other: its connection is shared too.
    const tunnel = (host: string, port: number) => hostFor({ ...this.conn.proxy, proxy: undefined } as Connection).forwardTo(host, port);
    return dialRetrying(this.dialConn(), this.label, this.counters, onClose, tunnel);
  }

  private dropClient(c: Client): void {
    if (this.client === c) this.client = undefined;
    c.end();
  }

  /** An idle pool must not keep a short-lived process (a script, a test) alive. */
  private setRef(on: boolean): void {
    const sock = (this.client as unknown as { _sock?: { ref?: () => void; unref?: () => void } } | undefined)?._sock;
    if (on) sock?.ref?.();
    else sock?.unref?.();
  }
}

trace({ loaded: "provider/transport/pool", uptimeMs: Math.round(process.uptime() * 1000) });
