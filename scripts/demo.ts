/**
 * The demo: deploy the root stack (Pulumi.yaml -> examples/demo-004, the seed 004 topology) on the local lab
 * through the real Pulumi engine, then prove it with a connectivity matrix (ICMP and TCP, expected vs seen)
 * and draw it. `--destroy` tears the stack down.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { programModule, stackFor } from "../test/e2e/harness";
import { labStackConfig } from "../test/e2e/config";
import { REPO_ROOT } from "../test/helpers/lab";
import { pings, tcpWorks } from "../test/helpers/packets";
import { closeAllHosts } from "../provider/transport/pool";
import { toMermaid, toSvg, topologyFromState } from "../sdk/topology";

const STACK = "demo";

async function main(): Promise<void> {
  const destroy = process.argv.includes("--destroy");
  const program = await programModule<() => Promise<Record<string, unknown>>>("examples/demo-004/index.js");
  const { stack, cli } = await stackFor(STACK, program, labStackConfig());
  if (destroy) {
    await stack.destroy({ onOutput: (s) => process.stdout.write(s) });
    return;
  }
  console.log("==> pulumi up (seed 004 topology: 2 hosts, ovs1 + ovs2, 4 containers, VXLAN)");
  const up = await stack.up({ refresh: true, onOutput: (s) => process.stdout.write(s) });
  const containers = up.outputs.containers.value as Record<string, { host: string; ip: string }>;
  const gateways = up.outputs.gateways.value as { host: string; ip: string }[];
  const hostIndex = (name: string) => Number(name.replace(/\D/g, "")) - 1;

  console.log("\n==> connectivity matrix (every container to every container and gateway; expected: all reachable)");
  const targets = [...Object.entries(containers).map(([n, c]) => ({ name: n, ip: c.ip, host: c.host, ctr: true })), ...gateways.map((g) => ({ name: `gw@${g.host}`, ip: g.ip, host: g.host, ctr: false }))];
  const rows: string[] = [];
  let failures = 0;
  const header = ["from \\ to", ...targets.map((t) => `${t.name} (${t.ip})`)];
  for (const [from, c] of Object.entries(containers)) {
    const cells = [from];
    for (const t of targets) {
      if (t.name === from) {
        cells.push("-");
        continue;
      }
      const icmp = await pings(hostIndex(c.host), `docker:${from}`, t.ip, 1);
      const tcp = t.ctr
        ? await tcpWorks({ listenHost: hostIndex(t.host), listenIn: `docker:${t.name}`, from: hostIndex(c.host), fromIn: `docker:${from}`, to: t.ip, port: 7000 })
        : undefined;
      const ok = icmp && tcp !== false;
      if (!ok) failures++;
      cells.push(`icmp ${icmp ? "ok" : "FAIL"}${tcp === undefined ? "" : ` tcp ${tcp ? "ok" : "FAIL"}`}`);
    }
    rows.push(cells.join(" | "));
  }
  console.log(header.join(" | "));
  console.log(header.map(() => "---").join(" | "));
  for (const r of rows) console.log(r);
  console.log(`\nexpected reachable: all; seen failures: ${failures}`);

  const state = JSON.parse((await cli(["stack", "export"])).stdout);
  const outDir = path.join(REPO_ROOT, ".cache", "demo");
  fs.mkdirSync(outDir, { recursive: true });
  const topo = topologyFromState(state);
  fs.writeFileSync(path.join(outDir, "topology.mmd"), toMermaid(topo));
  fs.writeFileSync(path.join(outDir, "topology.svg"), toSvg(topo));
  // A PNG too when librsvg's converter is installed (optional; the SVG is the picture).
  try {
    const { execa } = await import("execa");
    await execa("rsvg-convert", ["-o", path.join(outDir, "topology.png"), path.join(outDir, "topology.svg")]);
  } catch {
    /* no converter: SVG only */
  }
  console.log(`\n==> topology drawn from the stack's state: ${path.join(outDir, "topology.svg")} (Mermaid: topology.mmd)`);
  console.log("\nTear down: npm run demo -- --destroy   (the stack), then npm run lab:down   (the lab)");
  if (failures) process.exitCode = 1;
}

main()
  .catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  })
  .finally(() => closeAllHosts());
