import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Client, type ClientChannel, type ConnectConfig } from "ssh2";
import { type Connection, type ProxyConnection, describeConnection, usesSudo } from "../schema/connection";
import {
  type CommandResult,
  type RemoteCommand,
  batchCommandLine,
  batchScript,
  commandLine,
  describeCommand,
  parseBatchOutput,
} from "./command";
import { ConnectionError, RemoteCommandError, RemoteTimeoutError } from "./errors";
import { type HostKeyPolicy, verifyHostKey } from "./hostkeys";
import { registerSecret } from "./redact";
import { Semaphore } from "./semaphore";

/**
 * One SSH connection per (host, port, user, credentials), shared by every resource in the provider process.
 * The provider process is long-lived and the engine calls it for many resources at once, so this state is
 * module-level on purpose.
 */

/** Counters for tests and the benchmark. */
export const transportStats = { connectionsOpened: 0, commandsRun: 0, roundTrips: 0 };

const hosts = new Map<string, SshHost>();

export function hostFor(conn: Connection): SshHost {
  const key = poolKey(conn);
  let h = hosts.get(key);
  if (!h) {
    h = new SshHost(conn);
    hosts.set(key, h);
  }
  return h;
}

/** Close every pooled connection (tests, and short scripts that must exit). */
export function closeAllHosts(): void {
  for (const h of hosts.values()) h.close();
  hosts.clear();
}

function poolKey(c: ProxyConnection & { proxy?: ProxyConnection }): string {
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
  private inFlight = 0;

  constructor(private readonly conn: Connection) {
    this.label = describeConnection(conn);
    this.channels = new Semaphore(conn.maxChannels);
    this.sudo = usesSudo(conn);
    registerSecret(conn.password);
    registerSecret(conn.privateKey);
    registerSecret(conn.privateKeyPassword);
    registerSecret(conn.proxy?.password);
    registerSecret(conn.proxy?.privateKey);
    registerSecret(conn.proxy?.privateKeyPassword);
  }

  /** Run one command; non-zero exit (not in okCodes) throws RemoteCommandError naming host, command, stderr. */
  async run(cmd: RemoteCommand): Promise<CommandResult> {
    const r = await this.exec(commandLine(cmd.argv, this.sudo), cmd.stdin, describeCommand(cmd));
    transportStats.commandsRun++;
    if (r.code !== 0 && !(cmd.okCodes ?? []).includes(r.code)) {
      throw new RemoteCommandError(this.label, describeCommand(cmd), r.code, r.stdout, r.stderr);
    }
    return r;
  }

  /**
   * Run several commands in ONE round trip. Each result carries its own exit code (nothing throws for a
   * failed command); with stopOnError the commands after the first failure do not run (undefined).
   */
  async runBatch(cmds: readonly RemoteCommand[], opts: { stopOnError?: boolean } = {}): Promise<(CommandResult | undefined)[]> {
    if (cmds.length === 0) return [];
    if (cmds.length === 1 && !opts.stopOnError) {
      const c = cmds[0];
      const r = await this.exec(commandLine(c.argv, this.sudo), c.stdin, describeCommand(c));
      transportStats.commandsRun++;
      return [r];
    }
    const nonce = crypto.randomBytes(9).toString("hex");
    const script = batchScript(cmds, nonce, !!opts.stopOnError);
    const r = await this.exec(batchCommandLine(this.sudo), script, `batch of ${cmds.length} commands`);
    transportStats.commandsRun += cmds.length;
    if (r.code !== 0) {
      throw new RemoteCommandError(this.label, `batch of ${cmds.length} commands`, r.code, r.stdout, r.stderr);
    }
    return parseBatchOutput(r.stdout, nonce, cmds.length);
  }

  /** A TCP stream to host:port opened through this host (a jump host's part in `ssh -J`). */
  async forwardTo(host: string, port: number): Promise<NodeJS.ReadableStream> {
    const client = await this.connect();
    return new Promise((resolve, reject) => {
      client.forwardOut("127.0.0.1", 0, host, port, (err, stream) => (err ? reject(err) : resolve(stream)));
    });
  }

  close(): void {
    this.client?.end();
    this.client = undefined;
    this.connecting = undefined;
  }

  /** Raw exec: one channel, returns whatever the command did. Reconnects once if the connection had dropped. */
  private async exec(line: string, stdin: string | undefined, shown: string): Promise<CommandResult> {
    const release = await this.channels.acquire();
    this.inFlight++;
    try {
      for (let attempt = 0, refused = 0; ; attempt++) {
        const client = await this.connect();
        this.setRef(true);
        try {
          transportStats.roundTrips++;
          return await this.execOn(client, line, stdin, shown);
        } catch (e) {
          const err = e as Error & { level?: string; commandStarted?: boolean };
          if (!err.commandStarted && CHANNEL_REFUSED.test(err.message) && refused++ < CHANNEL_RETRIES) {
            attempt--;
            await new Promise((r) => setTimeout(r, 10 * refused));
            continue;
          }
          if (attempt === 0 && !err.commandStarted && TRANSIENT.test(err.message)) {
            // The connection died under us (e.g. sshd restarted): drop it and try once on a fresh one.
            this.dropClient(client);
            continue;
          }
          if (err instanceof RemoteTimeoutError) throw err;
          if (!err.commandStarted) throw new ConnectionError(this.label, err.message);
          throw err;
        }
      }
    } finally {
      this.inFlight--;
      if (this.inFlight === 0) this.setRef(false);
      release();
    }
  }

  private execOn(client: Client, line: string, stdin: string | undefined, shown: string): Promise<CommandResult> {
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
          reject(Object.assign(new RemoteTimeoutError(this.label, shown, this.conn.commandTimeout), { commandStarted: true }));
        }, this.conn.commandTimeout * 1000);
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

  private async dialWithRetries(): Promise<Client> {
    let last: Error | undefined;
    for (let i = 0; i < this.conn.dialErrorLimit; i++) {
      try {
        return await dial(this.conn, this.label, (c) => {
          if (this.client === c) this.client = undefined;
        });
      } catch (e) {
        last = e as Error;
        // Authentication and host key problems will not fix themselves: fail at once.
        if (!TRANSIENT.test(last.message) || /host key|authentication/i.test(last.message)) break;
        await new Promise((r) => setTimeout(r, 200 * 2 ** i));
      }
    }
    throw last instanceof ConnectionError ? last : new ConnectionError(this.label, last?.message ?? "unknown error");
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

/** Open one authenticated connection (through the jump host, if any), verifying the host key. */
async function dial(conn: Connection, label: string, onClose: (c: Client) => void): Promise<Client> {
  let sock: NodeJS.ReadableStream | undefined;
  if (conn.proxy) {
    const jump = hostFor({ ...conn.proxy, proxy: undefined } as Connection);
    sock = await jump.forwardTo(conn.host, conn.port);
  }
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
      sock: sock as ConnectConfig["sock"],
      hostVerifier: (key: Buffer) => {
        const v = verifyHostKey(policy, key, conn.host, conn.port);
        if (!v.ok) refusal = v.reason;
        return v.ok;
      },
    };
    client.once("ready", () => {
      transportStats.connectionsOpened++;
      client.removeAllListeners("error");
      client.on("error", () => undefined); // later errors surface through 'close' and the next exec
      resolve(client);
    });
    client.once("error", (e: Error & { level?: string }) => {
      const msg = refusal ?? (e.level === "client-authentication" ? `authentication failed for ${label}: ${e.message}` : e.message);
      reject(new ConnectionError(label, msg));
    });
    client.once("close", () => onClose(client));
    client.connect(cfg);
  });
}
