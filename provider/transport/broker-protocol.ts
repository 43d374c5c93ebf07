import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { StringDecoder } from "node:string_decoder";
import type { CommandResult } from "./command";

/**
 * What a provider process and a connection broker (transport/broker.ts) say to each other over a Unix socket:
 * one JSON object per line. Every engine operation (up, preview, refresh, destroy) starts a new provider
 * process, and each used to open its own SSH connection per host; with PULUMI_OVS_PERSIST=SECONDS a broker keeps
 * the connection (and its long-lived shell) for that long after its last use, like OpenSSH's ControlPersist.
 */

export interface RunRequest {
  id: number;
  script: string;
  timeoutMs: number;
}

export type BrokerError = { kind: "timeout" | "connection" | "other"; message: string; commandStarted: boolean };

export type RunResponse = { id: number; ok: CommandResult } | { id: number; err: BrokerError };

/** What a starting broker prints on stdout once, then nothing more. */
export type BrokerStatus = { ready: true; pid: number } | { ready: false; error: string };

/** Splits a byte stream into JSON lines; a line that is not JSON is dropped (nothing else writes there). */
export function lineReader<T>(onMessage: (m: T) => void): (chunk: Buffer) => void {
  let buffered = "";
  // A character's bytes may arrive in two chunks: decoded together, not as two broken halves.
  const decoder = new StringDecoder("utf8");
  return (chunk) => {
    buffered += decoder.write(chunk);
    let nl: number;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (!line.trim()) continue;
      try {
        onMessage(JSON.parse(line) as T);
      } catch {
        /* not ours */
      }
    }
  };
}

export function encode(m: RunRequest | RunResponse | BrokerStatus): string {
  return `${JSON.stringify(m)}\n`;
}

/**
 * The directory of this user's broker sockets: $XDG_RUNTIME_DIR or the temp dir, then pulumi-ovs-<uid>, made
 * 0700. Refused unless it is a real directory owned by this user and closed to others: whoever can reach a socket
 * runs commands on the hosts as the connection's user.
 */
export function brokerDir(env: NodeJS.ProcessEnv = process.env): string {
  const uid = process.getuid?.() ?? 0;
  const dir = path.join(env.XDG_RUNTIME_DIR || os.tmpdir(), `pulumi-ovs-${uid}`);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = fs.lstatSync(dir);
  if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o077) !== 0) {
    throw new Error(`${dir} must be a directory owned by uid ${uid} with no access for others (mode 0700): not using a connection broker`);
  }
  return dir;
}

/** Bumped when what is said over the socket changes: a broker of another version is never reused. */
const PROTOCOL = "1";

/**
 * The socket of the broker for one pool key (host, user, port and a hash of the credentials: never the
 * credentials) and one broker program (another installation of pulumi-ovs runs brokers of its own).
 */
export function brokerSocketPath(dir: string, poolKey: string, program: string): string {
  const h = crypto.createHash("sha256").update(JSON.stringify([PROTOCOL, program, poolKey]));
  return path.join(dir, `${h.digest("hex").slice(0, 32)}.sock`);
}
