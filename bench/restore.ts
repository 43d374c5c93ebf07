import * as fs from "node:fs";
import { programModule, stackFor } from "../test/e2e/harness";
import { inventory } from "../test/helpers/lab";
import { lab, spareHost } from "../test/helpers/spare";

/**
 * `npm run bench:restore`: how long a rebooted host takes to carry traffic again with the reboot restore
 * (docs/reboot.md), for the demo (examples/demo-004: two hosts, two bridges each, four containers, VXLAN).
 * Deployed through the engine on two spare lab hosts (h48, h49; their own subnets and names, so nothing
 * collides with the shared lab), proven with the demo's matrix (every container to every container, ICMP and
 * TCP, and to the gateways), then both hosts rebooted (`lab.sh reboot`) and the containers restarted. From
 * the start of the restore (the unit's ExecStart on both hosts, side by side, as two hosts booting would) the
 * matrix is tried until it passes: prints the restore's own time and the time to the matrix passing, ROUNDS
 * times (default 3), and their medians. No `pulumi up` runs after the first one.
 */
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const HOSTS = ["h48", "h49"];
const PREFIX = "rb";
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

interface Target {
  name: string;
  ip: string;
  host: string;
  ctr: boolean;
}

/** The demo's matrix: every container to every other container and gateway (ICMP), and to containers (TCP). */
async function matrixFailures(containers: Record<string, { host: string; ip: string }>, gateways: { host: string; ip: string }[]): Promise<number> {
  const targets: Target[] = [...Object.entries(containers).map(([n, c]) => ({ name: n, ip: c.ip, host: c.host, ctr: true })), ...gateways.map((g) => ({ name: `gw@${g.host}`, ip: g.ip, host: g.host, ctr: false }))];
  const checks: Promise<boolean>[] = [];
  for (const [from, c] of Object.entries(containers)) {
    const src = spareHost(c.host);
    for (const t of targets) {
      if (t.name === from) continue;
      checks.push(src.pings(`docker:${from}`, t.ip, 1));
    }
  }
  const icmp = (await Promise.all(checks)).filter((ok) => !ok).length;
  let tcp = 0;
  for (const [from, c] of Object.entries(containers)) {
    for (const t of targets.filter((x) => x.ctr && x.name !== from)) {
      if (!(await tcpBetween(c.host, from, t))) tcp++;
    }
  }
  return icmp + tcp;
}

async function tcpBetween(fromHost: string, from: string, to: Target): Promise<boolean> {
  const token = `povs-${Math.random().toString(36).slice(2, 10)}`;
  const listener = spareHost(to.host).on("docker", "exec", to.name, "timeout", "5", "nc", "-l", "-p", "7000");
  await new Promise((r) => setTimeout(r, 300));
  await spareHost(fromHost).on("docker", "exec", from, "sh", "-c", `echo ${token} | timeout 3 nc -w 2 ${to.ip} 7000`);
  return (await listener).stdout.includes(token);
}

async function main(): Promise<void> {
  const inv = inventory();
  const hosts = [];
  for (const h of HOSTS) {
    const up = await lab("spare-up", h);
    if (up.exitCode !== 0) throw new Error(`lab.sh spare-up ${h}: ${up.stderr}`);
    const j = JSON.parse(up.stdout);
    hosts.push({ name: j.name, host: j.address, port: j.port, user: j.user, hostKey: j.hostKey, underlayIp: j.underlayIp, trunkNic: j.trunkNic });
  }
  const program = await programModule<() => Promise<Record<string, unknown>>>("examples/demo-004/index.js");
  const config: Record<string, { value: string; secret?: boolean }> = {
    hosts: { value: JSON.stringify(hosts) },
    privateKey: { value: fs.readFileSync(inv.privateKeyPath, "utf8"), secret: true },
    prefix: { value: PREFIX },
    mgmtNet: { value: "198.19.2" },
    dataNet: { value: "198.18.176" },
    vni: { value: "4826" },
  };
  const { stack } = await stackFor("bench-restore", program, config);
  const quiet = { onOutput: () => undefined };
  const results: { restoreMs: number; matrixMs: number; tries: number }[] = [];
  try {
    const up = await stack.up(quiet);
    const containers = up.outputs.containers.value as Record<string, { host: string; ip: string }>;
    const gateways = up.outputs.gateways.value as { host: string; ip: string }[];
    // A check can time out on a busy machine: the matrix must pass once (of 3 runs) before any reboot.
    let before = -1;
    for (let run = 0; run < 3 && before !== 0; run++) {
      const m0 = Date.now();
      before = await matrixFailures(containers, gateways);
      console.log(`deployed the demo on ${HOSTS.join(" + ")}; matrix failures before any reboot: ${before}; one matrix run takes ${Date.now() - m0} ms`);
    }
    if (before !== 0) throw new Error("the matrix fails before any reboot");
    for (let round = 0; round < ROUNDS; round++) {
      for (const h of HOSTS) if ((await lab("reboot", h)).exitCode !== 0) throw new Error(`lab.sh reboot ${h} failed`);
      for (const name of Object.keys(containers)) await spareHost(HOSTS[0]).on("docker", "restart", "-t", "0", name);
      const t0 = Date.now();
      const runs = await Promise.all(HOSTS.map((h) => spareHost(h).on("/bin/sh", "/var/lib/pulumi-ovs/restore.sh")));
      const restoreMs = Date.now() - t0;
      runs.forEach((r, i) => {
        if (r.exitCode !== 0) throw new Error(`restore on ${HOSTS[i]} failed:\n${r.stdout}\n${r.stderr}`);
      });
      let tries = 0;
      for (;;) {
        tries++;
        if ((await matrixFailures(containers, gateways)) === 0) break;
        if (Date.now() - t0 > 120_000) throw new Error("the matrix does not pass 120 s after the restore started");
      }
      const matrixMs = Date.now() - t0;
      results.push({ restoreMs, matrixMs, tries });
      console.log(`round ${round + 1}: restore ${restoreMs} ms (both hosts, side by side); restore start to matrix passing ${matrixMs} ms (${tries} matrix run(s))`);
    }
    console.log(`median of ${ROUNDS}: restore ${median(results.map((r) => r.restoreMs))} ms; restore start to matrix passing ${median(results.map((r) => r.matrixMs))} ms`);
  } finally {
    await stack.destroy(quiet).catch((e) => console.error(`destroy failed: ${e}`));
    await stack.workspace.removeStack(stack.name).catch(() => undefined);
    for (const h of HOSTS) await lab("spare-down", h);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
