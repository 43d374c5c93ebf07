import * as crypto from "node:crypto";
import type { Client } from "ssh2";
import { type CommandResult, type RemoteCommand, type ScriptJob, batchCommandLine, describeCommand, jobsScript, parseBatchOutput } from "./command";
import { BrokerClient, BrokerRunError, brokerFor, brokerScript } from "./broker-client";
import { brokerDir, brokerSocketPath } from "./broker-protocol";
import { type BatchInfo, HostQueue, type Outcome } from "./coalesce";
import { retryDialErrors } from "./dial";
import { ConnectionError, RemoteCommandError, RemoteTimeoutError, connectionReason } from "./errors";
import type { Executor, ExecutorContext } from "./executor";
import { IdleShells } from "./session";
import { armFor, runArmed } from "./safe-apply-run";
import { detachProbeScript } from "./safe-apply";
import { SCRIPT_PARALLEL, persistSeconds, queueOptions } from "./settings";
import { noteActivity, trace, transportStats } from "./stats";

/**
 * The default executor: the engine's concurrent calls for one host are coalesced into round trips
 * (transport/coalesce.ts), each one batch script run on the connection's long-lived shell (transport/session.ts),
 * or, with PULUMI_OVS_PERSIST, on the shell of a broker process that outlives this provider (transport/broker.ts).
 */
export class ShellExecutor implements Executor {
  readonly sharesReads = true;
  private readonly queue: HostQueue;
  private readonly shells = new IdleShells();
  /** With PULUMI_OVS_PERSIST: the socket of this connection's broker; undefined: dial ourselves. */
  private readonly brokerSocket?: string;
  private broker?: BrokerClient;
  private brokering?: Promise<BrokerClient>;
  /** Safe apply: whether this host was asked yet if it can detach a revert (the first round trip asks). */
  private probedDetach = false;

  /** useBroker: false for a subclass whose round trips do not go through a shell the broker could hold. */
  constructor(protected readonly ctx: ExecutorContext, useBroker = true) {
    this.queue = new HostQueue((jobs, info) => this.execJobs(jobs, info), queueOptions(), transportStats, () => this.connected());
    this.brokerSocket = useBroker ? this.brokerSocketFor() : undefined;
  }

  submit(cmds: readonly RemoteCommand[], stopOnError: boolean): Promise<Outcome[]> {
    if (stopOnError || cmds.length === 1) return this.queue.submit(cmds, stopOnError);
    // Independent commands: each may merge with other callers' commands on its own.
    return Promise.all(cmds.map(async (c) => (await this.queue.submit([c], false))[0]));
  }

  close(): void {
    this.broker?.close();
    this.broker = undefined;
    this.shells.closeAll();
  }

  /** The broker socket when the connection persists (not through a jump host: the broker dials directly). */
  private brokerSocketFor(): string | undefined {
    if (!(persistSeconds() > 0) || this.ctx.conn.proxy) return undefined;
    try {
      return brokerSocketPath(brokerDir(), this.ctx.key, brokerScript());
    } catch (e) {
      trace({ host: this.ctx.label, broker: `off: ${(e as Error).message}` });
      return undefined;
    }
  }

  /** Resolves once the pooled connection (or the broker's) is up, dialing it if need be. */
  private connected(): Promise<void> {
    return (this.brokerSocket ? this.brokerClient() : this.ctx.connect()).then(() => undefined);
  }

  /** The waves of one coalesced round trip: a lone command goes as itself, anything more as one script. */
  private async execJobs(waves: readonly ScriptJob[][], info: BatchInfo): Promise<Outcome[]> {
    noteActivity();
    const count = waves.reduce((n, w) => n + w.length, 0);
    const t0 = Date.now();
    try {
      return await this.execJobsNow(waves, count);
    } finally {
      this.ctx.countRemoteMs(Date.now() - t0);
      trace({ host: this.ctx.label, ms: Date.now() - t0, ...info, waves: waves.map((w) => w.map((j) => j.cmd.argv.slice(0, 6).join(" ") + (j.cmd.stdin ? ` <${j.cmd.stdin.split("\n").length - 1} lines>` : ""))) });
    }
  }

  private async execJobsNow(waves: readonly ScriptJob[][], count: number): Promise<Outcome[]> {
    const shown = count === 1 ? describeCommand(waves.flat()[0].cmd) : `batch of ${count} commands`;
    const nonce = crypto.randomBytes(9).toString("hex");
    const script = jobsScript(waves, nonce, SCRIPT_PARALLEL);
    const armed = armFor(waves, this.ctx.rollbackSeconds());
    const r = armed
      ? await runArmed(this.ctx, armed, shown, () => this.execScript(armed.prefix + script, shown))
      : await this.execScript(this.firstContactProbe() + script, shown);
    this.ctx.countCommands(count);
    if (r.code !== 0) throw new RemoteCommandError(this.ctx.label, shown, r.code, r.stdout, r.stderr);
    return parseBatchOutput(r.stdout, nonce, count);
  }

  /**
   * With safe apply on, the first round trip to the host (a read, often) first makes sure the host can detach a
   * revert: a host that cannot fails there, before any change.
   */
  private firstContactProbe(): string {
    if (this.probedDetach || !(this.ctx.rollbackSeconds() > 0)) return "";
    this.probedDetach = true;
    return detachProbeScript();
  }

  /** A batch script on the connection's long-lived shell, opened on first use and again after it or the connection ended. */
  protected execScript(script: string, shown: string): Promise<CommandResult> {
    if (this.brokerSocket) return this.execViaBroker(script, shown);
    return this.ctx.withConnection((client: Client) => {
      const seconds = this.ctx.commandTimeoutSeconds();
      const onTimeout = () => new RemoteTimeoutError(this.ctx.label, shown, seconds);
      return this.shells.run(client, batchCommandLine(this.ctx.sudo), this.ctx.label, script, seconds * 1000, onTimeout, () => this.ctx.countRoundTrip());
    });
  }

  /** The broker's connection: the one we hold, or the running broker's, or a broker started now. */
  private brokerClient(): Promise<BrokerClient> {
    if (this.broker?.usable) return Promise.resolve(this.broker);
    this.brokering ??= brokerFor(this.brokerSocket!, this.ctx.dialConn(), persistSeconds(), this.ctx.label)
      .then(({ client, started }) => {
        // A broker started for this operation dialed for it: that is this operation's connection to the host.
        if (started) this.ctx.countConnectionOpened();
        trace({ host: this.ctx.label, broker: started ? "started" : "reused" });
        this.broker = client;
        return client;
      })
      .finally(() => (this.brokering = undefined));
    return this.brokering;
  }

  /** A batch script through the broker, under the same retry rule as the direct connection (transport/dial.ts). */
  private execViaBroker(script: string, shown: string): Promise<CommandResult> {
    const label = this.ctx.label;
    const seconds = () => this.ctx.commandTimeoutSeconds();
    let used: BrokerClient | undefined;
    return this.ctx.underChannelLimit(() =>
      retryDialErrors(
        async () => {
          const broker = (used = await this.brokerClient());
          this.ctx.countRoundTrip();
          return broker.run(script, seconds() * 1000);
        },
        {
          final: (e) => !(e instanceof BrokerRunError) || e.kind === "timeout",
          // The broker or its connection ended before anything started: a new broker, once.
          reconnect: () => {
            used?.close();
            if (used && this.broker === used) this.broker = undefined;
          },
          fail: (e) => {
            if (!(e instanceof BrokerRunError)) return e;
            if (e.kind === "timeout") return new RemoteTimeoutError(label, shown, seconds());
            if (e.kind === "connection" || !e.commandStarted) return new ConnectionError(label, connectionReason(e.message));
            return new Error(e.message);
          },
        },
      ),
    );
  }
}
