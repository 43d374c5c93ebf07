import * as fs from "node:fs";
import * as net from "node:net";
import type { Client } from "ssh2";
import { type Connection, describeConnection, usesSudo } from "../shared/connection";
import { type BrokerError, type BrokerStatus, type RunRequest, encode, lineReader } from "./broker-protocol";
import { batchCommandLine } from "./command";
import { ConnectionError, RemoteTimeoutError } from "./errors";
import { dialRetrying } from "./dial";
import { redact, registerSecret } from "./redact";
import { Semaphore } from "./semaphore";
import { IdleShells } from "./session";
import { hostCounters } from "./stats";

/**
 * A connection broker: one SSH connection to one host, kept after the provider process that started it has
 * ended, for the next ones (PULUMI_OVS_PERSIST, transport/broker-protocol.ts). Started detached by
 * transport/broker-client.ts as `node broker.js SOCKET SECONDS`, with the connection (credentials included) as
 * JSON on stdin: never in argv or the environment, which other users can read. It dials, listens on SOCKET,
 * prints one status line, and then runs each request's script on a long-lived shell of that connection. It
 * exits once nobody has been connected for SECONDS, or when the SSH connection ends.
 */

function readStdin(): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    process.stdin.on("data", (d: Buffer) => chunks.push(d));
    process.stdin.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    process.stdin.on("error", reject);
  });
}

function status(s: BrokerStatus): void {
  try {
    process.stdout.write(encode(s));
  } catch {
    /* the starter is gone: nothing to tell */
  }
}

function listen(server: net.Server, socketPath: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, () => (server.off("error", reject), resolve()));
  });
}

function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(socketPath, () => (s.end(), resolve(true)));
    s.on("error", () => resolve(false));
  });
}

/** Listen on the socket; "taken" if a live broker already does (two providers started one at the same time). */
async function claim(server: net.Server, socketPath: string): Promise<"mine" | "taken"> {
  try {
    await listen(server, socketPath);
    return "mine";
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EADDRINUSE") throw e;
  }
  if (await answers(socketPath)) return "taken";
  fs.rmSync(socketPath, { force: true }); // left by a broker that was killed
  await listen(server, socketPath);
  return "mine";
}

class Broker {
  private readonly shells = new IdleShells();
  private readonly channels: Semaphore;
  private clients = 0;
  private running = 0;
  private idleTimer?: NodeJS.Timeout;

  constructor(
    private readonly conn: Connection,
    private readonly ssh: Client,
    private readonly persistMs: number,
    private readonly onDone: () => void,
  ) {
    this.channels = new Semaphore(conn.maxChannels);
  }

  get label(): string {
    return describeConnection(this.conn);
  }

  serve(sock: net.Socket): void {
    this.clients++;
    this.touch();
    sock.on("data", lineReader<RunRequest>((req) => void this.answer(sock, req)));
    sock.on("error", () => undefined); // surfaces as 'close'
    sock.on("close", () => {
      this.clients--;
      this.touch();
    });
  }

  /** Idle (nobody connected, nothing running) for persistMs: done. */
  touch(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (this.clients === 0 && this.running === 0) this.idleTimer = setTimeout(this.onDone, this.persistMs);
  }

  private async answer(sock: net.Socket, req: RunRequest): Promise<void> {
    this.running++;
    try {
      const ok = await this.run(req);
      if (!sock.destroyed) sock.write(encode({ id: req.id, ok }));
    } catch (e) {
      if (!sock.destroyed) sock.write(encode({ id: req.id, err: describeError(e) }));
    } finally {
      this.running--;
      this.touch();
    }
  }

  private async run(req: RunRequest) {
    const release = await this.channels.acquire();
    try {
      const seconds = Math.round(req.timeoutMs / 1000);
      return await this.shells.run(this.ssh, batchCommandLine(usesSudo(this.conn)), this.label, req.script, req.timeoutMs, () => new RemoteTimeoutError(this.label, "script", seconds));
    } finally {
      release();
    }
  }
}

function describeError(e: unknown): BrokerError {
  const err = e as Error & { commandStarted?: boolean };
  const kind = err instanceof RemoteTimeoutError ? "timeout" : err instanceof ConnectionError ? "connection" : "other";
  return { kind, message: redact(String(err?.message ?? err)), commandStarted: !!err?.commandStarted };
}

async function main(): Promise<void> {
  const [socketPath, seconds] = process.argv.slice(2);
  const persistMs = Number(seconds) * 1000;
  if (!socketPath || !(persistMs > 0)) throw new Error("usage: broker.js SOCKET SECONDS (connection JSON on stdin)");
  const conn = JSON.parse(await readStdin()) as Connection;
  for (const s of [conn.password, conn.privateKey, conn.privateKeyPassword]) registerSecret(s);
  const label = describeConnection(conn);
  let ssh: Client;
  try {
    ssh = await dialRetrying(conn, label, hostCounters(label), () => undefined);
  } catch (e) {
    status({ ready: false, error: redact(String((e as Error).message ?? e)) });
    process.exit(1);
  }
  const server = net.createServer();
  let done = false;
  let mine = false;
  const finish = () => {
    if (done) return;
    done = true;
    server.close();
    if (mine) fs.rmSync(socketPath, { force: true });
    ssh.end();
    process.exit(0);
  };
  mine = (await claim(server, socketPath)) === "mine";
  status({ ready: true, pid: process.pid });
  if (!mine) return finish();
  const broker = new Broker(conn, ssh, persistMs, finish);
  server.on("connection", (sock) => broker.serve(sock));
  ssh.on("close", finish);
  broker.touch();
}

main().catch((e) => {
  status({ ready: false, error: redact(String((e as Error)?.message ?? e)) });
  process.exit(1);
});
