import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Client, type AuthenticationType, type ClientChannel, type ConnectConfig } from "ssh2";
import { type Connection, type ProxyConnection, describeConnection, usesSudo } from "../shared/connection";
import {
  type CommandResult,
  type RemoteCommand,
  type ScriptJob,
  batchCommandLine,
  commandLine,
  describeCommand,
  jobsScript,
  parseBatchOutput,
} from "./command";
import { BrokerClient, BrokerRunError, brokerFor, brokerScript } from "./broker-client";
import { brokerDir, brokerSocketPath } from "./broker-protocol";
import { type BatchInfo, HostQueue, type Outcome, type QueueOptions } from "./coalesce";
import { ConnectionError, RemoteCommandError, RemoteTimeoutError, connectionReason } from "./errors";
import { type HostKeyPolicy, verifyHostKey } from "./hostkeys";
import { IdleShells } from "./session";
import { registerSecret } from "./redact";
import { Semaphore } from "./semaphore";
import { type HostCounters, hostCounters, noteActivity, trace, transportStats } from "./stats";

/**
 * One SSH connection per (host, port, user, credentials), shared by every resource in the provider process,
 * and one queue per host that coalesces what the engine's concurrent calls send (transport/coalesce.ts).
 * The provider process is long-lived and the engine calls it for many resources at once, so this state is
 * module-level on purpose.
 */

/** Counters for tests and the benchmark (transport/stats.ts). */
export { transportStats };

/**
 * PULUMI_OVS_NAIVE=1: what one hand-written remote command per object does, for the benchmark's baseline: a
 * new SSH connection for every command, no coalescing, no shared reads (host/facts.ts). Read at call time.
 */
export function isNaive(): boolean {
  return process.env.PULUMI_OVS_NAIVE === "1";
}

/** PULUMI_OVS_SESSION=0: an exec channel (and sudo) per round trip instead of the long-lived shell, to compare. */
function usesSession(): boolean {
  return process.env.PULUMI_OVS_SESSION !== "0";
}

/**
 * PULUMI_OVS_PERSIST=SECONDS: keep each host's SSH connection that long after the provider process that opened it
 * has ended, in a broker process (transport/broker.ts), for the next engine operation's provider to use instead of
 * dialing. Off (0) by default: it leaves a process behind that can run commands on the host.
 */
function persistSeconds(): number {
  return envNumber("PULUMI_OVS_PERSIST", 0);
}

function envNumber(name: string, fallback: number): number {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v >= 0 && process.env[name] !== "" && process.env[name] !== undefined ? v : fallback;
}

/**
 * Coalescing knobs (env, for experiments). A batch leaves after 5 ms without a new arrival; once 16 or more wait
 * (the engine is streaming a large stack in), after 20 ms without one; and at the latest 300 ms after its oldest.
 * Under a stream, round trips so stay few and large, and every OVSDB transaction makes ovs-vswitchd reconfigure
 * the bridge (measured on a 333-port netdev bridge: 50 ports and flows removed three times cost it 200 ms of CPU,
 * 150 at once 120 ms). With this and the queue's check for arrivals held up by a busy event loop, an N=1000 `up`
 * took 46–56 round trips instead of 92 (5 ms / 50 ms before), a destroy 19–24 instead of 36–46. A few operations
 * at a time (the CLI's default parallelism, a small stack) still leave after 5 ms. One round trip out per host at
 * a time: that is what makes a read-back a snapshot (transport/coalesce.ts).
 */
export function queueOptions(): QueueOptions {
  return {
    windowMs: envNumber("PULUMI_OVS_COALESCE_MS", 5),
    streamWindowMs: envNumber("PULUMI_OVS_COALESCE_STREAM_MS", 20),
    streamBatch: envNumber("PULUMI_OVS_COALESCE_STREAM_BATCH", 16),
    maxWaitMs: envNumber("PULUMI_OVS_COALESCE_MAX_MS", 300),
    maxBatch: Math.max(1, envNumber("PULUMI_OVS_MAX_BATCH", 512)),
    maxInFlight: 1,
  };
}

/** Jobs of one batch script that run at the same time on the host. */
const SCRIPT_PARALLEL = Math.max(1, envNumber("PULUMI_OVS_SCRIPT_PARALLEL", 16));

const hosts = new Map<string, SshHost>();

export function hostFor(conn: Connection): SshHost {
  const key = poolKey(conn);
  let h = hosts.get(key);
  if (!h) {
    h = new SshHost(conn);
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

/** Connection-level failures worth one reconnect; a command that ran and failed is never retried. */
const TRANSIENT = /ECONNRESET|ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EPIPE|Not connected|No response from server|Timed out while waiting for handshake|Connection lost|socket hang up/i;

/**
 * sshd refused a new channel on a healthy connection: it frees a session slot only some time after the
 * previous channel closed, so a busy connection can briefly hit MaxSessions. Wait and open again.
 */
const CHANNEL_REFUSED = /Channel open failure/i;
const CHANNEL_RETRIES = 20;

export class SshHost {
  readonly label: string;
  private client?: Client;
  private connecting?: Promise<Client>;
  private readonly channels: Semaphore;
  private readonly sudo: boolean;
  private readonly queue: HostQueue;
  private readonly counters: HostCounters;
  private inFlight = 0;
  private readonly shells = new IdleShells();
  /** With PULUMI_OVS_PERSIST: the socket of this connection's broker; undefined: dial ourselves. */
  private readonly brokerSocket?: string;
  private broker?: BrokerClient;
  private brokering?: Promise<BrokerClient>;

  /**
   * Seconds a round trip may take, and how long and how often to try connecting. Resources that share a host
   * share its round trips and its connection, so the host allows the most any of them asked for (a slow command
   * declared with a long timeout must not inherit a short one, nor a patient dial an impatient one).
   */
  private commandTimeout: number;
  private dialTimeout: number;
  private dialAttempts: number;

  constructor(private readonly conn: Connection) {
    this.commandTimeout = conn.commandTimeout;
    this.dialTimeout = conn.perDialTimeout;
    this.dialAttempts = conn.dialErrorLimit;
    this.label = describeConnection(conn);
    this.channels = new Semaphore(conn.maxChannels);
    this.sudo = usesSudo(conn);
    this.counters = hostCounters(this.label);
    this.queue = new HostQueue((jobs, info) => this.execJobs(jobs, info), queueOptions(), transportStats, () => this.connected());
    this.brokerSocket = this.brokerSocketFor(conn);
    registerSecret(conn.password);
    registerSecret(conn.privateKey);
    registerSecret(conn.privateKeyPassword);
    registerSecret(conn.proxy?.password);
    registerSecret(conn.proxy?.privateKey);
    registerSecret(conn.proxy?.privateKeyPassword);
  }

  /** The broker socket when the connection persists (not through a jump host, nor in naive or exec mode). */
  private brokerSocketFor(conn: Connection): string | undefined {
    if (!(persistSeconds() > 0) || conn.proxy || isNaive() || !usesSession()) return undefined;
    try {
      return brokerSocketPath(brokerDir(), poolKey(conn), brokerScript());
    } catch (e) {
      trace({ host: this.label, broker: `off: ${(e as Error).message}` });
      return undefined;
    }
  }

  /** Another resource's connection to this host: widen the timeouts and dial attempts to the most asked for. */
  allow(conn: Pick<Connection, "commandTimeout" | "perDialTimeout" | "dialErrorLimit">): void {
    this.commandTimeout = Math.max(this.commandTimeout, conn.commandTimeout);
    this.dialTimeout = Math.max(this.dialTimeout, conn.perDialTimeout);
    this.dialAttempts = Math.max(this.dialAttempts, conn.dialErrorLimit);
  }

  /** The command timeout in force (seconds). */
  get commandTimeoutSeconds(): number {
    return this.commandTimeout;
  }

  /** The dial settings in force: seconds per attempt, attempts. */
  get dialSettings(): { perDialTimeout: number; dialErrorLimit: number } {
    return { perDialTimeout: this.dialTimeout, dialErrorLimit: this.dialAttempts };
  }

  /**
   * Run one command; non-zero exit (not in okCodes) throws RemoteCommandError naming host, command, stderr.
   * It leaves with whatever else the engine's concurrent calls send to this host (one round trip).
   */
  async run(cmd: RemoteCommand): Promise<CommandResult> {
    const [r] = isNaive() ? await this.runNaive([cmd], false) : await this.queue.submit([cmd], false);
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
    if (isNaive()) return this.runNaive(cmds, !!opts.stopOnError);
    if (opts.stopOnError) return this.queue.submit(cmds, true);
    return Promise.all(cmds.map(async (c) => (await this.queue.submit([c], false))[0]));
  }

  /** The waves of one coalesced round trip: a lone command goes as itself, anything more as one script. */
  private async execJobs(waves: readonly ScriptJob[][], info: BatchInfo): Promise<Outcome[]> {
    noteActivity();
    const count = waves.reduce((n, w) => n + w.length, 0);
    const t0 = Date.now();
    try {
      return await this.execJobsNow(waves, count);
    } finally {
      this.counters.remoteMs += Date.now() - t0;
      trace({ host: this.label, ms: Date.now() - t0, ...info, waves: waves.map((w) => w.map((j) => j.cmd.argv.slice(0, 6).join(" ") + (j.cmd.stdin ? ` <${j.cmd.stdin.split("\n").length - 1} lines>` : ""))) });
    }
  }

  private async execJobsNow(waves: readonly ScriptJob[][], count: number): Promise<Outcome[]> {
    const shown = count === 1 ? describeCommand(waves.flat()[0].cmd) : `batch of ${count} commands`;
    const nonce = crypto.randomBytes(9).toString("hex");
    const script = jobsScript(waves, nonce, SCRIPT_PARALLEL);
    const r = usesSession() ? await this.execScript(script, shown) : await this.exec(batchCommandLine(this.sudo), script, shown);
    this.countCommands(count);
    if (r.code !== 0) throw new RemoteCommandError(this.label, shown, r.code, r.stdout, r.stderr);
    return parseBatchOutput(r.stdout, nonce, count);
  }

  private countCommands(n: number): void {
    transportStats.commandsRun += n;
    this.counters.commandsRun += n;
  }

  /** Naive mode: each command on its own new connection, one after the other. */
  private async runNaive(cmds: readonly RemoteCommand[], stopOnError: boolean): Promise<Outcome[]> {
    noteActivity();
    const out: Outcome[] = new Array(cmds.length).fill(undefined);
    for (let i = 0; i < cmds.length; i++) {
      const c = cmds[i];
      const t0 = Date.now();
      const r = await this.exec(commandLine(c.argv, this.sudo), c.stdin, describeCommand(c), true);
      this.counters.remoteMs += Date.now() - t0;
      this.countCommands(1);
      out[i] = r;
      if (stopOnError && r.code !== 0) break;
    }
    return out;
  }

  /** A TCP stream to host:port opened through this host (a jump host's part in `ssh -J`). */
  async forwardTo(host: string, port: number): Promise<NodeJS.ReadableStream> {
    const client = await this.connect();
    return new Promise((resolve, reject) => {
      client.forwardOut("127.0.0.1", 0, host, port, (err, stream) => (err ? reject(err) : resolve(stream)));
    });
  }

  close(): void {
    this.broker?.close();
    this.broker = undefined;
    this.shells.closeAll();
    this.client?.end();
    this.client = undefined;
    this.connecting = undefined;
  }

  /**
   * Raw exec: one channel, returns whatever the command did. `fresh`: on a new connection of its own, closed
   * afterwards (naive mode).
   */
  private exec(line: string, stdin: string | undefined, shown: string, fresh = false): Promise<CommandResult> {
    return this.withRetries(fresh, (client) => {
      this.countRoundTrip();
      return this.execOn(client, line, stdin, shown);
    });
  }

  /**
   * A batch script on this connection's long-lived shell (transport/session.ts), opened on first use and again
   * after it or the connection ended.
   */
  private execScript(script: string, shown: string): Promise<CommandResult> {
    if (this.brokerSocket) return this.execViaBroker(script, shown);
    return this.withRetries(false, (client) => {
      const seconds = this.commandTimeout;
      const onTimeout = () => new RemoteTimeoutError(this.label, shown, seconds);
      return this.shells.run(client, batchCommandLine(this.sudo), this.label, script, seconds * 1000, onTimeout, () => this.countRoundTrip());
    });
  }

  /** The broker's connection: the one we hold, or the running broker's, or a broker started now. */
  private brokerClient(): Promise<BrokerClient> {
    if (this.broker?.usable) return Promise.resolve(this.broker);
    this.brokering ??= brokerFor(this.brokerSocket!, { ...this.conn, perDialTimeout: this.dialTimeout, dialErrorLimit: this.dialAttempts }, persistSeconds(), this.label)
      .then(({ client, started }) => {
        // A broker started for this operation dialed for it: that is this operation's connection to the host.
        if (started) (transportStats.connectionsOpened++, this.counters.connectionsOpened++);
        trace({ host: this.label, broker: started ? "started" : "reused" });
        this.broker = client;
        return client;
      })
      .finally(() => (this.brokering = undefined));
    return this.brokering;
  }

  /** A batch script through the broker, with the retries withRetries() gives the direct connection. */
  private async execViaBroker(script: string, shown: string): Promise<CommandResult> {
    const release = await this.channels.acquire();
    try {
      for (let tries = 0, refused = 0; ; tries++) {
        const broker = await this.brokerClient();
        this.countRoundTrip();
        try {
          return await broker.run(script, this.commandTimeout * 1000);
        } catch (e) {
          if (!(e instanceof BrokerRunError)) throw e;
          if (e.kind === "timeout") throw new RemoteTimeoutError(this.label, shown, this.commandTimeout);
          if (!e.commandStarted && CHANNEL_REFUSED.test(e.message) && refused++ < CHANNEL_RETRIES) {
            tries--;
            await new Promise((r) => setTimeout(r, 10 * refused));
            continue;
          }
          if (tries === 0 && !e.commandStarted && TRANSIENT.test(e.message)) {
            // The broker or its connection ended before anything started: a new broker, once.
            broker.close();
            if (this.broker === broker) this.broker = undefined;
            continue;
          }
          if (e.kind === "connection" || !e.commandStarted) throw new ConnectionError(this.label, connectionReason(e.message));
          throw new Error(e.message);
        }
      }
    } finally {
      release();
    }
  }

  private countRoundTrip(): void {
    transportStats.roundTrips++;
    this.counters.roundTrips++;
  }

  /**
   * One attempt on the pooled connection (or a fresh one), under the channel limit. Tried again while sshd
   * refuses a new channel, and once on a fresh connection if the connection was gone before anything started.
   */
  private async withRetries(fresh: boolean, attempt: (client: Client) => Promise<CommandResult>): Promise<CommandResult> {
    const release = await this.channels.acquire();
    this.inFlight++;
    try {
      for (let tries = 0, refused = 0; ; tries++) {
        const client = fresh ? await this.dialWithRetries() : await this.connect();
        this.setRef(true);
        try {
          return await attempt(client);
        } catch (e) {
          const err = e as Error & { commandStarted?: boolean };
          if (!err.commandStarted && CHANNEL_REFUSED.test(err.message) && refused++ < CHANNEL_RETRIES) {
            tries--;
            await new Promise((r) => setTimeout(r, 10 * refused));
            continue;
          }
          if (tries === 0 && !err.commandStarted && TRANSIENT.test(err.message)) {
            // The connection died under us (e.g. sshd restarted): drop it and try once on a fresh one.
            this.dropClient(client);
            continue;
          }
          if (err instanceof RemoteTimeoutError || err instanceof ConnectionError) throw err;
          if (!err.commandStarted) throw new ConnectionError(this.label, err.message);
          throw err;
        } finally {
          if (fresh) client.end();
        }
      }
    } finally {
      this.inFlight--;
      if (this.inFlight === 0) this.setRef(false);
      release();
    }
  }

  private execOn(client: Client, line: string, stdin: string | undefined, shown: string): Promise<CommandResult> {
    const seconds = this.commandTimeout;
    return new Promise((resolve, reject) => {
      client.exec(line, (err: Error | undefined, stream: ClientChannel) => {
        if (err) return reject(err);
        const out: Buffer[] = [];
        const errOut: Buffer[] = [];
        let done = false;
        const timer = setTimeout(() => {
          if (done) return;
          done = true;
          stream.close();
          reject(Object.assign(new RemoteTimeoutError(this.label, shown, seconds), { commandStarted: true }));
        }, seconds * 1000);
        stream.on("data", (d: Buffer) => out.push(d));
        stream.stderr.on("data", (d: Buffer) => errOut.push(d));
        stream.on("close", (code: number | null, signal?: string) => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          const stdout = Buffer.concat(out).toString("utf8");
          const stderr = Buffer.concat(errOut).toString("utf8");
          if (code === null || code === undefined) {
            // The channel closed without an exit status: the connection was cut while the command ran.
            return reject(Object.assign(new ConnectionError(this.label, `connection lost while running: ${shown}${signal ? ` (signal ${signal})` : ""}`), { commandStarted: true }));
          }
          resolve({ stdout, stderr, code });
        });
        stream.end(stdin ?? undefined);
      });
    });
  }

  /** Resolves once the pooled connection (or the broker's) is up, dialing it if need be. */
  private connected(): Promise<void> {
    return (this.brokerSocket ? this.brokerClient() : this.connect()).then(() => undefined);
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
    return dialRetrying({ ...this.conn, perDialTimeout: this.dialTimeout, dialErrorLimit: this.dialAttempts }, this.label, this.counters, (c) => {
      if (this.client === c) this.client = undefined;
    });
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

/** dial(), tried up to conn.dialErrorLimit times while the failure is transient. */
export async function dialRetrying(conn: Connection, label: string, counters: HostCounters, onClose: (c: Client) => void): Promise<Client> {
  let last: Error | undefined;
  for (let i = 0; i < conn.dialErrorLimit; i++) {
    try {
      return await dial(conn, label, counters, onClose);
    } catch (e) {
      last = e as Error;
      // Authentication and host key problems will not fix themselves: fail at once.
      if (!TRANSIENT.test(last.message) || /host key|authentication/i.test(last.message)) break;
      await new Promise((r) => setTimeout(r, 200 * 2 ** i));
    }
  }
  throw last instanceof ConnectionError ? last : new ConnectionError(label, last?.message ?? "unknown error");
}

/** Open one authenticated connection (through the jump host, if any), verifying the host key. */
async function dial(conn: Connection, label: string, counters: HostCounters, onClose: (c: Client) => void): Promise<Client> {
  let sock: NodeJS.ReadableStream | undefined;
  if (conn.proxy) {
    const jump = hostFor({ ...conn.proxy, proxy: undefined } as Connection);
    sock = await jump.forwardTo(conn.host, conn.port);
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

trace({ loaded: "provider/transport/pool", uptimeMs: Math.round(process.uptime() * 1000) });
