import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO_ROOT } from "../test/helpers/lab";
import { discover } from "../cli/discover/command";

/**
 * `npm run bench:discover [HOST]`: `pulumi-ovs discover` of one host with 300 ports and 1,000 flows (a spare lab
 * host, h44 unless named: built here, removed after). Prints the wall time of each of ROUNDS runs and the median;
 * asserts nothing (the target is under 3 s).
 */
const HOST = process.argv[2] ?? "h44";
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const PORTS = 300;
const FLOWS = 1000;
const lab = (...args: string[]) => execFileSync("bash", [path.join(REPO_ROOT, "scripts/lab/lab.sh"), ...args], { encoding: "utf8", maxBuffer: 64 << 20 });
const onHost = (script: string, input?: string) => execFileSync("bash", [path.join(REPO_ROOT, "scripts/lab/lab.sh"), "exec", HOST, "--", "sh", "-c", script], { encoding: "utf8", input });

async function main(): Promise<void> {
  const h = JSON.parse(lab("spare-up", HOST)) as { name: string; address: string; port: number; user: string; hostKey: string; privateKeyPath: string };
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "povs-bench-discover-"));
  try {
    const ports = Array.from({ length: PORTS }, (_, k) => `-- add-port bn bn${k} -- set interface bn${k} type=internal`).join(" ");
    onHost(`ovs-vsctl --if-exists del-br bn -- add-br bn -- set bridge bn datapath_type=netdev ${ports}`);
    const flows = Array.from({ length: FLOWS }, (_, k) => `table=0,priority=${100 + (k % 50)},tcp,tp_dst=${1000 + k},actions=output:${1 + (k % PORTS)}`).join("\n");
    onHost("ovs-ofctl add-flows bn -", flows + "\n");
    const times: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const t0 = process.hrtime.bigint();
      const { models } = await discover({
        hosts: [{ name: h.name, host: h.address, port: h.port, user: h.user, hostKey: h.hostKey, privateKeyPath: h.privateKeyPath }],
        out: path.join(tmp, `out${r}`), version: "0.0.0", project: "bench", stack: "dev", exclude: /^(br-ul|ul0|eth1)$/,
      });
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      const m = models[0];
      if (r === 0) console.log(`${h.name}: ${m.resources.length} resources (${m.resources.filter((x) => x.kind === "OvsPort").length} ports, ${m.resources.filter((x) => x.kind === "FlowEntry").length} flows), ${m.skipped.length} skipped`);
    }
    const sorted = [...times].sort((a, b) => a - b);
    console.log(`discover of one host with ${PORTS} ports and ${FLOWS} flows, ${ROUNDS} runs (ms): ${times.map((t) => t.toFixed(0)).join(" ")}; median ${sorted[Math.floor(ROUNDS / 2)].toFixed(0)} ms`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
    lab("spare-down", HOST);
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
