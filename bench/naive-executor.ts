import { commandLine, describeCommand } from "../provider/transport/command";
import { type Outcome, blocksTail } from "../provider/transport/coalesce-plan";
import type { Executor, ExecutorContext } from "../provider/transport/executor";

/**
 * The benchmark's baseline ("naive" mode of bench/run.ts), loaded into the engine's provider processes through
 * PULUMI_OVS_EXECUTOR: what one hand-written remote command per object does. Each command runs on a new SSH
 * connection of its own, one after the other; nothing is coalesced, and no read of host state is shared
 * (sharesReads: false). Runtime parts of the provider come through `ctx` (counters, dialing): this file is
 * compiled apart (bench/tsconfig.json), and a second copy of transport/stats.ts would write its own counters.
 */
export function createExecutor(ctx: ExecutorContext): Executor {
  return {
    sharesReads: false,
    async submit(cmds, stopOnError) {
      ctx.noteActivity();
      const out: Outcome[] = new Array(cmds.length).fill(undefined);
      for (let i = 0; i < cmds.length; i++) {
        const c = cmds[i];
        // A tail (transport/rider.ts) runs only when everything before it succeeded.
        if (c.tail && out.slice(0, i).some((r, j) => blocksTail(cmds[j], stopOnError, r))) continue;
        const t0 = Date.now();
        const r = await ctx.withConnection((client) => ctx.exec(client, commandLine(c.argv, ctx.sudo), c.stdin, describeCommand(c)), { fresh: true });
        ctx.countRemoteMs(Date.now() - t0);
        ctx.countCommands(1);
        out[i] = r;
        if (stopOnError && r.code !== 0) break;
      }
      return out;
    },
    close() {},
  };
}
