import type { Client, ClientChannel } from "ssh2";
import type { Connection } from "../shared/connection";
import type { CommandResult, RemoteCommand } from "./command";
import type { Outcome } from "./coalesce";
import { ConnectionError, RemoteTimeoutError } from "./errors";
import { executorModule } from "./settings";

/**
 * What a host's commands go through. The provider's resources call SshHost.run/runBatch (transport/pool.ts),
 * which hand the commands to the host's executor. The default one (transport/shell-executor.ts) coalesces
 * concurrent submissions into round trips on a long-lived shell, or through the connection broker. Another
 * executor can be loaded with the PULUMI_OVS_EXECUTOR hook (transport/settings.ts): the benchmark uses that to
 * measure other ways of running the same commands, without a mode switch in the provider.
 */
export interface Executor {
  /**
   * Run commands; each result carries its own exit code (nothing throws for a failed command). With stopOnError
   * they run in order and those after the first failure do not run (undefined); without it they are
   * independent (no order is promised) and may leave with other callers' commands.
   */
  submit(cmds: readonly RemoteCommand[], stopOnError: boolean): Promise<Outcome[]>;
  /**
   * Whether reads of host state may be shared and derived (host/facts.ts). false: every read goes to the host,
   * as if each resource ran its own commands.
   */
  readonly sharesReads: boolean;
  /** Drop whatever the executor holds (shells, a broker connection). */
  close(): void;
}

/** What the host gives its executor: the connection, counters, and the pooled SSH connection with retries. */
export interface ExecutorContext {
  readonly conn: Connection;
  /** "user@host:port", for errors and traces. */
  readonly label: string;
  /** The registry's key of this connection (credentials hashed). */
  readonly key: string;
  /** Commands run through sudo (not connected as root). */
  readonly sudo: boolean;
  /** Seconds a round trip may take, the most any resource on this host asked for. */
  commandTimeoutSeconds(): number;
  /** Safe apply: seconds before an armed revert fires, the most any resource on this host asked for; 0: off. */
  rollbackSeconds(): number;
  /** The dial settings in force (the most any resource asked for). */
  dialConn(): Connection;
  /**
   * One attempt on the pooled connection (fresh: on a new connection, closed afterwards), under the host's
   * channel limit; dial errors retried (transport/dial.ts), never a command that started.
   */
  withConnection<T>(attempt: (client: Client) => Promise<T>, opts?: { fresh?: boolean }): Promise<T>;
  /** Resolves once the pooled connection is up, dialing it if need be. */
  connect(): Promise<Client>;
  /** One exec channel on `client` running `line` (execChannel below), counted as a round trip. */
  exec(client: Client, line: string, stdin: string | undefined, shown: string): Promise<CommandResult>;
  /** Run `fn` under the host's channel limit. */
  underChannelLimit<T>(fn: () => Promise<T>): Promise<T>;
  /** Counting for transport/stats.ts (an executor loaded by the hook must not load its own copy of it). */
  noteActivity(): void;
  countRoundTrip(): void;
  countCommands(n: number): void;
  countRemoteMs(ms: number): void;
  countConnectionOpened(): void;
}

export type ExecutorFactory = (ctx: ExecutorContext) => Executor;

/**
 * One exec channel on `client`: returns whatever the command did. A timeout, or the connection cut while it ran,
 * rejects with `commandStarted` set, so it is not retried.
 */
export function execChannel(client: Client, label: string, line: string, stdin: string | undefined, shown: string, seconds: number): Promise<CommandResult> {
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
        reject(Object.assign(new RemoteTimeoutError(label, shown, seconds), { commandStarted: true }));
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
          return reject(Object.assign(new ConnectionError(label, `connection lost while running: ${shown}${signal ? ` (signal ${signal})` : ""}`), { commandStarted: true }));
        }
        resolve({ stdout, stderr, code });
      });
      stream.end(stdin ?? undefined);
    });
  });
}

/**
 * The executor factory named by the PULUMI_OVS_EXECUTOR hook, or undefined for the default. The module must
 * export `createExecutor(ctx)`. It is loaded by path at run time because it lives outside the package (bench/).
 */
export function hookedExecutorFactory(): ExecutorFactory | undefined {
  const file = executorModule();
  if (!file) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(file) as { createExecutor?: ExecutorFactory };
  if (typeof mod.createExecutor !== "function") throw new Error(`PULUMI_OVS_EXECUTOR=${file}: the module exports no createExecutor(ctx)`);
  return mod.createExecutor;
}
