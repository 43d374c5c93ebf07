import * as fs from "node:fs";
import * as path from "node:path";
import { REPO_ROOT, inventory } from "../test/helpers/lab";
import { parseConnection } from "../provider/schema/connection";
import { closeAllHosts, hostFor, transportStats } from "../provider/transport/pool";
import { useRevertPlan } from "../provider/transport/safe-apply-run";
import { REVERT_PLAN } from "../provider/host/revert-plan";
import { execFileSync } from "node:child_process";

/**
 * `npm run bench:safe-apply -- [--host h45] [--rounds 5] [--trips 10]`: what safe apply (connection.rollbackAfter,
 * docs/safe-apply.md) adds to one round trip that changes a host: the arm in front of it (saving the OVS
 * database, the flows and the ip state on the host) and the new SSH connection that disarms it afterwards.
 * The change is a no-op write (`ip link set dev lo up`), sent on the pooled connection with the setting off and
 * on, interleaved; prints medians per changing round trip and the extra time. An `up` arms and confirms once per
 * round trip that changes a host, so this is the extra per changed host per wave of an `up`.
 *
 * It runs on a spare lab host (`lab.sh spare-up`, started here if needed): an armed revert that fired would put
 * the host's state back, which on a shared host would undo other people's changes.
 */
const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const HOST = arg("host", "h45");
const ROUNDS = Number(arg("rounds", "5"));
const TRIPS = Number(arg("trips", "10"));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const spare = JSON.parse(execFileSync("bash", [path.join(REPO_ROOT, "scripts/lab/lab.sh"), "spare-up", HOST], { encoding: "utf8" })) as { address: string; port: number; user: string; hostKey: string };
  const key = fs.readFileSync(inventory().privateKeyPath, "utf8");
  useRevertPlan(REVERT_PLAN);
  const host = (rollbackAfter?: number) => {
    closeAllHosts();
    return hostFor(parseConnection({ host: spare.address, port: spare.port, user: spare.user, privateKey: key, hostKey: spare.hostKey, ...(rollbackAfter ? { rollbackAfter } : {}) }));
  };
  const per: Record<"off" | "on", number[]> = { off: [], on: [] };
  const dials: Record<"off" | "on", number> = { off: 0, on: 0 };
  for (let r = 0; r < ROUNDS; r++) {
    for (const mode of ["off", "on"] as const) {
      const h = host(mode === "on" ? 60 : undefined);
      await h.run({ argv: ["true"], read: true }); // connect first
      const c0 = transportStats.connectionsOpened;
      const t0 = process.hrtime.bigint();
      for (let k = 0; k < TRIPS; k++) await h.run({ argv: ["ip", "link", "set", "dev", "lo", "up"] });
      per[mode].push(Number(process.hrtime.bigint() - t0) / 1e6 / TRIPS);
      dials[mode] += transportStats.connectionsOpened - c0;
    }
  }
  closeAllHosts();
  const off = median(per.off);
  const on = median(per.on);
  console.log(`safe apply on ${HOST} (${spare.address}), ${ROUNDS} rounds x ${TRIPS} changing round trips, medians:`);
  console.log(`  off: ${off.toFixed(1)} ms per changing round trip, ${dials.off / (ROUNDS * TRIPS)} dials each`);
  console.log(`  on:  ${on.toFixed(1)} ms per changing round trip, ${dials.on / (ROUNDS * TRIPS)} dials each`);
  console.log(`  extra per changed host per round trip (arm + new connection + disarm): ${(on - off).toFixed(1)} ms`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
