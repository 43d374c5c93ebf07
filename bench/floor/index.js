"use strict";
/**
 * The engine floor: a dynamic provider that does nothing (no host, no SSH), for the benchmark. The engine does
 * for it exactly the work it does for pulumi-ovs' providers; what pulumi-ovs adds on top is its own cost.
 * Installed by bench/project.ts as node_modules/pulumi-ovs-floor, so resources carry a short require() stub
 * like pulumi-ovs' do. With PULUMI_OVS_STATS_DIR set it records its peak RSS like the real provider.
 */
const fs = require("fs");
const path = require("path");

const dir = process.env.PULUMI_OVS_STATS_DIR;
function cpuMs() {
  const u = process.cpuUsage();
  return Math.round((u.user + u.system) / 1000);
}
function write() {
  if (!dir) return;
  try {
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `stats-${process.pid}.json`);
    const zero = { connectionsOpened: 0, commandsRun: 0, roundTrips: 0, batches: 0, submissions: 0, mergedCommands: 0, mergedMembers: 0, mergeRetries: 0, sharedReads: 0 };
    fs.writeFileSync(file + ".tmp", JSON.stringify({ ...zero, perHost: {}, pid: process.pid, executor: "none", maxRssBytes: process.resourceUsage().maxRSS * 1024, cpuMs: cpuMs(), writtenAt: new Date().toISOString() }));
    fs.renameSync(file + ".tmp", file);
  } catch (e) {
    /* never break the run */
  }
}
// Only in the provider process: the benchmark's own process loads this module too (the floor program's
// resources name it), and its statistics must not count as the provider's.
let started = false;
function start() {
  if (started) return;
  started = true;
  // PULUMI_OVS_TRACE: when the first request reached the provider (as pulumi-ovs' transport traces its load).
  if (process.env.PULUMI_OVS_TRACE) {
    try {
      fs.appendFileSync(process.env.PULUMI_OVS_TRACE, JSON.stringify({ t: Date.now(), pid: process.pid, loaded: "floor", uptimeMs: Math.round(process.uptime() * 1000) }) + "\n");
    } catch (e) {
      /* never break the run */
    }
  }
  if (!dir) return;
  setInterval(write, 500).unref();
  process.on("exit", write);
  // Exit on the engine's SIGINT/SIGTERM as pulumi-ovs' provider does (transport/stats.ts): so the last
  // statistics and a --cpu-prof profile get written, which a process killed by the signal does not.
  for (const sig of ["SIGINT", "SIGTERM"]) process.once(sig, () => process.exit(0));
  write();
}

exports.check = async (_olds, news) => (start(), { inputs: news });
exports.diff = async () => (start(), { changes: false, replaces: [], deleteBeforeReplace: false });
exports.create = async (inputs) => (start(), { id: String(inputs.name), outs: inputs });
// PULUMI_OVS_FLOOR_READ_DELAY_MS: answer reads only after this long, as a provider waiting on its hosts does
// (to see what the SDK's dynamic-provider host holds while every read of a refresh is in flight).
const readDelayMs = Number(process.env.PULUMI_OVS_FLOOR_READ_DELAY_MS || 0);
exports.read = async (id, props) => {
  start();
  if (readDelayMs > 0) await new Promise((r) => setTimeout(r, readDelayMs));
  return { id, props };
};
exports.update = async (_id, _olds, news) => (start(), { outs: news });
exports.delete = async () => void start();
