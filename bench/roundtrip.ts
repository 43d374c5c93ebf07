import * as fs from "node:fs";
import * as path from "node:path";
import { inventory } from "../test/helpers/lab";
import { parseConnection } from "../provider/schema/connection";
import { closeAllHosts, hostFor } from "../provider/transport/pool";
import { machineCpu } from "./cpu";

/**
 * `npm run bench:roundtrip`: what one round trip costs on a pooled connection to a lab host, with the
 * long-lived root shell (the default) and with an exec channel plus sudo per round trip (bench/exec-executor.ts,
 * loaded through PULUMI_OVS_EXECUTOR):
 * wall time, and the machine's CPU time outside this process (sshd, sudo, the shell, the commands), per round
 * trip, for 1, 5 and 20 trivial commands. Interleaved, ROUNDS times; prints medians and the ratios.
 */
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const TRIPS = 100;

function machineBusyMs(): number {
  return machineCpu().busy * 10; // USER_HZ ticks are 10 ms
}

function ownCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function measure(session: boolean, commands: number): Promise<{ wall: number; cpu: number }> {
  // Read when a host is made: closeAllHosts() below makes the next hostFor() use the executor chosen here.
  if (session) delete process.env.PULUMI_OVS_EXECUTOR;
  else process.env.PULUMI_OVS_EXECUTOR = path.join(__dirname, "exec-executor.js");
  closeAllHosts();
  const h0 = inventory().hosts[0];
  const h = hostFor(parseConnection({ host: h0.address, port: h0.port, user: h0.user, privateKey: fs.readFileSync(h0.privateKeyPath, "utf8"), hostKey: h0.hostKey }));
  await h.run({ argv: ["true"] }); // connect (and start the shell) before measuring
  const cmds = Array.from({ length: commands }, (_, k) => ({ argv: ["echo", String(k)] }));
  const busy0 = machineBusyMs();
  const own0 = ownCpuMs();
  const t0 = Date.now();
  for (let i = 0; i < TRIPS; i++) await (commands === 1 ? h.run(cmds[0]) : h.runBatch(cmds));
  const wall = (Date.now() - t0) / TRIPS;
  const cpu = (machineBusyMs() - busy0 - (ownCpuMs() - own0)) / TRIPS;
  closeAllHosts();
  return { wall, cpu };
}

async function main(): Promise<void> {
  console.log(`round trips to ${inventory().hosts[0].name}, ${TRIPS} per measurement, medians of ${ROUNDS} interleaved rounds\n`);
  console.log("| commands per round trip | exec + sudo: wall ms | CPU ms | long-lived shell: wall ms | CPU ms | wall ratio | CPU ratio |");
  console.log("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const commands of [1, 5, 20]) {
    const exec: { wall: number; cpu: number }[] = [];
    const shell: { wall: number; cpu: number }[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      exec.push(await measure(false, commands));
      shell.push(await measure(true, commands));
    }
    const [ew, ec, sw, sc] = [median(exec.map((m) => m.wall)), median(exec.map((m) => m.cpu)), median(shell.map((m) => m.wall)), median(shell.map((m) => m.cpu))];
    console.log(`| ${commands} | ${ew.toFixed(1)} | ${ec.toFixed(1)} | ${sw.toFixed(1)} | ${sc.toFixed(1)} | ${(ew / sw).toFixed(1)}x | ${(ec / sc).toFixed(1)}x |`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
