/**
 * `npm run topology -- [--stack NAME] [--state FILE] [--out DIR]`: draw a stack from its state as Mermaid and SVG.
 * Reads `pulumi stack export` output from FILE, from stdin ("-"), or runs it for --stack (needs the CLI on PATH).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { toMermaid, toSvg, topologyFromState } from "../sdk/topology";

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (k: string) => {
    const i = args.indexOf(k);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const outDir = opt("--out") ?? ".";
  let text: string;
  const file = opt("--state");
  if (file === "-") text = fs.readFileSync(0, "utf8");
  else if (file) text = fs.readFileSync(file, "utf8");
  else {
    const { execa } = await import("execa");
    const stack = opt("--stack");
    text = String((await execa("pulumi", ["stack", "export", ...(stack ? ["--stack", stack] : [])])).stdout);
  }
  const topo = topologyFromState(JSON.parse(text));
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, "topology.mmd"), toMermaid(topo));
  fs.writeFileSync(path.join(outDir, "topology.svg"), toSvg(topo));
  process.stdout.write("```mermaid\n" + toMermaid(topo) + "```\n");
  process.stderr.write(`wrote ${path.join(outDir, "topology.mmd")} and ${path.join(outDir, "topology.svg")}\n`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
