import type { CommandResult } from "../provider/transport/command";
import { batchCommandLine } from "../provider/transport/command";
import type { Executor, ExecutorContext } from "../provider/transport/executor";
import { ShellExecutor } from "../provider/transport/shell-executor";

/**
 * For bench/roundtrip.ts (loaded through PULUMI_OVS_EXECUTOR in that same process): the default executor's
 * coalesced round trips, each on an exec channel of its own with sudo started anew, instead of the connection's
 * long-lived shell. No broker: it holds a shell, which this executor does not use.
 */
class ExecChannelExecutor extends ShellExecutor {
  constructor(ctx: ExecutorContext) {
    super(ctx, false);
  }

  protected override execScript(script: string, shown: string): Promise<CommandResult> {
    return this.ctx.withConnection((client) => this.ctx.exec(client, batchCommandLine(this.ctx.sudo), script, shown));
  }
}

export function createExecutor(ctx: ExecutorContext): Executor {
  return new ExecChannelExecutor(ctx);
}
