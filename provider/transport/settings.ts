import type { QueueOptions } from "./coalesce";

/**
 * Every process-wide transport setting that comes from the environment, in one place (docs/configuration.md
 * lists them). Each is read when it is asked for, so a test or the benchmark can change it between hosts.
 */

/** A non-negative number from the environment; unset, empty, not a number or negative: the fallback. */
export function envNumber(name: string, fallback: number): number {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v >= 0 && process.env[name] !== "" && process.env[name] !== undefined ? v : fallback;
}

/**
 * PULUMI_OVS_PERSIST=SECONDS: keep each host's SSH connection that long after the provider process that opened it
 * has ended, in a broker process (transport/broker.ts), for the next engine operation's provider to use instead of
 * dialing. Off (0) by default: it leaves a process behind that can run commands on the host.
 */
export function persistSeconds(): number {
  return envNumber("PULUMI_OVS_PERSIST", 0);
}

/**
 * How concurrent submissions to one host are coalesced into round trips (transport/coalesce.ts). A batch leaves
 * after a short quiet period; once many wait (the engine is streaming a large stack in) the quiet period is
 * longer, so round trips stay few and large: every OVSDB transaction makes ovs-vswitchd reconfigure the bridge,
 * and fewer, larger transactions cost it less. A batch never waits longer than maxWaitMs for its oldest
 * submission. One round trip out per host at a time: that is what makes a read-back a snapshot.
 * docs/benchmarks.md has the measurements behind the defaults.
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

/** Jobs of one batch script that run at the same time on the host. Read once, when the provider loads. */
export const SCRIPT_PARALLEL = Math.max(1, envNumber("PULUMI_OVS_SCRIPT_PARALLEL", 16));

/**
 * PULUMI_OVS_EXECUTOR=/abs/path/module.js: a test and benchmark hook. The module's `createExecutor` replaces the
 * default executor (transport/executor.ts) of every host made afterwards in this process. The benchmark uses
 * it to measure other ways of running commands (bench/); deployments leave it unset.
 */
export function executorModule(): string | undefined {
  return process.env.PULUMI_OVS_EXECUTOR || undefined;
}
