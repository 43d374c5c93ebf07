import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import type { Connection } from "../shared/connection";
import { type BrokerError, type BrokerStatus, type RunResponse, encode, lineReader } from "./broker-protocol";
import type { CommandResult } from "./command";
import { ConnectionError, connectionReason } from "./errors";
import { redact } from "./redact";

/**
 * The provider's side of a connection broker (transport/broker.ts): connect to the host's broker socket, or start
 * a broker and then connect; run scripts through it.
 */

/** The compiled broker: beside this file in the package; from the TypeScript sources (tests), in the build. */
export function brokerScript(): string {
  const here = path.join(__dirname, "broker.js");
  return fs.existsSync(here) ? here : path.resolve(__dirname, "../../dist/provider/transport/broker.js");
}

/** What a broker process inherits: enough to run node and ssh2, nothing of the engine's (no secrets, no config). */
function brokerEnv(): NodeJS.ProcessEnv {
  const keep = ["PATH", "HOME", "TMPDIR", "XDG_RUNTIME_DIR", "PULUMI_OVS_TRACE"];
  return Object.fromEntries(keep.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]]));
}

/** A failure the broker reported: thrown as the transport's own errors, with whether the script had started. */
export class BrokerRunError extends Error {
  constructor(readonly kind: BrokerError["kind"], message: string, readonly commandStarted: boolean) {
    super(message);
  }
}

export class BrokerClient {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: CommandResult) => void; reject: (e: Error) => void }>();
  private closed = false;

  private constructor(private readonly sock: net.Socket, private readonly label: string) {
    sock.on("data", lineReader<RunResponse>((m) => this.onResponse(m)));
    sock.on("error", () => undefined); // surfaces as 'close'
    sock.on("close", () => this.onClose());
    sock.unref();
  }

  /** Connects to a running broker; rejects when there is none (no socket, or nobody listening). */
  static connect(socketPath: string, label: string): Promise<BrokerClient> {
    return new Promise((resolve, reject) => {
      const sock = net.connect(socketPath);
      sock.once("connect", () => (sock.off("error", reject), resolve(new BrokerClient(sock, label))));
      sock.once("error", reject);
    });
  }

  get usable(): boolean {
    return !this.closed;
  }

  run(script: string, timeoutMs: number): Promise<CommandResult> {
    if (this.closed) return Promise.reject(new BrokerRunError("connection", "Connection lost: the connection broker went away", false));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.sock.ref(); // a request out keeps the process alive until its answer
      this.sock.write(encode({ id, script, timeoutMs }));
    });
  }

  close(): void {
    this.closed = true;
    this.sock.end();
  }

  private onResponse(m: RunResponse): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (this.pending.size === 0) this.sock.unref();
    if ("ok" in m) p.resolve(m.ok);
    else p.reject(new BrokerRunError(m.err.kind, m.err.message, m.err.commandStarted));
  }

  private onClose(): void {
    this.closed = true;
    // Sent but unanswered: whether the script ran is unknown, so it must not be tried again.
    for (const p of this.pending.values()) p.reject(new BrokerRunError("connection", `connection lost: the connection broker for ${this.label} went away`, true));
    this.pending.clear();
  }
}

/**
 * Start a broker for this connection and wait for it to say it is ready (it has dialed and listens) or why not.
 * It runs on detached, in its own session, its stdin closed once it has read the connection.
 */
export function startBroker(socketPath: string, conn: Connection, persistSeconds: number, label: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [brokerScript(), socketPath, String(persistSeconds)], {
      detached: true,
      cwd: "/", // it may outlive the project directory it was started from
      stdio: ["pipe", "pipe", "ignore"],
      env: brokerEnv(),
    });
    const waitMs = (conn.perDialTimeout + 2) * conn.dialErrorLimit * 1000 + 5000;
    let settled = false;
    const settle = (err?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.stdout?.destroy();
      child.unref();
      if (err) reject(err);
      else resolve();
    };
    const timer = setTimeout(() => (child.kill(), settle(new ConnectionError(label, `the connection broker did not start within ${waitMs} ms`))), waitMs);
    child.stdout!.on(
      "data",
      lineReader<BrokerStatus>((s) => settle(s.ready ? undefined : new ConnectionError(label, connectionReason(s.error)))),
    );
    child.on("error", (e) => settle(new ConnectionError(label, `cannot start the connection broker: ${e.message}`)));
    child.on("exit", (code) => settle(new ConnectionError(label, `the connection broker exited (code ${code}) before it was ready`)));
    child.stdin!.on("error", () => undefined);
    child.stdin!.end(JSON.stringify(conn));
  });
}

/** The broker for this connection: the one running, or one started now. `started` says which. */
export async function brokerFor(socketPath: string, conn: Connection, persistSeconds: number, label: string): Promise<{ client: BrokerClient; started: boolean }> {
  try {
    return { client: await BrokerClient.connect(socketPath, label), started: false };
  } catch {
    /* none yet, or a stale socket (the broker replaces it) */
  }
  await startBroker(socketPath, conn, persistSeconds, label);
  try {
    return { client: await BrokerClient.connect(socketPath, label), started: true };
  } catch (e) {
    throw new ConnectionError(label, redact(`the connection broker started but does not answer: ${(e as Error).message}`));
  }
}
