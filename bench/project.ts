import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { E2E_DIR, engineEnv, scratchProject } from "../test/e2e/harness";
import { REPO_ROOT } from "../test/helpers/lab";

/**
 * The benchmark's scratch project, derived from the e2e one (test/e2e/harness.ts: pulumi-ovs packed and
 * installed under node_modules, so resources carry short require() stubs): the same node_modules (hard
 * links), plus the no-op provider as node_modules/pulumi-ovs-floor, plus bench/program compiled against them.
 */
export const BENCH_DIR = path.join(REPO_ROOT, ".cache", "bench");
export const BACKEND = path.join(BENCH_DIR, "state");
export const PROJECT = "pulumi-ovs-bench";

async function sh(cmd: string, args: string[], cwd = REPO_ROOT): Promise<void> {
  const { execa } = await import("execa");
  await execa(cmd, args, { cwd });
}

function hashFiles(files: string[]): string {
  const h = crypto.createHash("sha256");
  for (const f of files) h.update(f).update(fs.readFileSync(f));
  return h.digest("hex").slice(0, 16);
}

export async function benchProject(): Promise<string> {
  const scratch = await scratchProject();
  const sources = [path.join(REPO_ROOT, "bench/program/index.ts"), path.join(REPO_ROOT, "bench/floor/index.js")];
  const final = path.join(BENCH_DIR, `project-${path.basename(scratch).replace(/^project-/, "")}-${hashFiles(sources)}`);
  if (fs.existsSync(path.join(final, ".built"))) return final;
  const dir = `${final}.tmp-${process.pid}`;
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, "src"), { recursive: true });
  await sh("cp", ["-al", path.join(scratch, "node_modules"), path.join(dir, "node_modules")]);
  const floor = path.join(dir, "node_modules", "pulumi-ovs-floor");
  fs.mkdirSync(floor);
  fs.copyFileSync(sources[1], path.join(floor, "index.js"));
  fs.writeFileSync(path.join(floor, "package.json"), JSON.stringify({ name: "pulumi-ovs-floor", version: "0.0.0", main: "index.js" }));
  fs.copyFileSync(sources[0], path.join(dir, "src", "index.ts"));
  fs.writeFileSync(
    path.join(dir, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: { target: "ES2022", module: "node16", moduleResolution: "node16", strict: true, skipLibCheck: true, outDir: "out", rootDir: "src", types: ["node"] },
      include: ["src"],
    }),
  );
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "bench-scratch", private: true }));
  await sh(path.join(dir, "node_modules", ".bin", "tsc"), ["-p", dir], dir);
  fs.writeFileSync(path.join(dir, ".built"), "");
  try {
    fs.renameSync(dir, final);
  } catch {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return final;
}

type Automation = typeof import("@pulumi/pulumi/automation");

/** The Automation API of the bench project's own @pulumi/pulumi (one SDK instance with the program's). */
export function automation(dir: string): Automation {
  return require(path.join(dir, "node_modules", "@pulumi", "pulumi", "automation")) as Automation;
}

export function benchEnv(): Record<string, string> {
  return { ...engineEnv(), PULUMI_BACKEND_URL: `file://${BACKEND}`, PULUMI_HOME: path.join(E2E_DIR, "pulumi-home") };
}
