import { execFileSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO_ROOT } from "../helpers/lab";
import { BACKEND, engineEnv, packedTarball } from "./harness";

/**
 * Pulumi projects run the way users run them: a project directory with its own package.json, pulumi-ovs
 * installed from the packed tarball by `npm install` (a copy under node_modules), and the Pulumi CLI, whose
 * Node language host (`pulumi-language-nodejs`, the test one from scripts/test-language-host.sh, on PATH)
 * runs `@pulumi/pulumi/cmd/run` with the entry point Pulumi.yaml and package.json give it. Nothing here runs a
 * program inline.
 */

/** Which Node.js and SDK a project runs on: the machine's Node 20 with the SDK the repo pins, or Node 24 with the SDK users get today. */
export type Runtime = "node20" | "node24";
export const NODE24 = "24.22.3";
const SDK: Record<Runtime, string> = { node20: "3.248.0", node24: "3.276.0" };

async function run(cmd: string, args: string[], opts: { cwd: string; env?: Record<string, string>; reject?: boolean }) {
  const { execa } = await import("execa");
  const r = await execa(cmd, args, { cwd: opts.cwd, env: opts.env, reject: false, all: true });
  const out = { stdout: String(r.stdout), stderr: String(r.stderr), exitCode: r.exitCode ?? -1 };
  if (out.exitCode !== 0 && opts.reject !== false) {
    throw new Error(`${cmd} ${args.join(" ").slice(0, 300)} (in ${opts.cwd}) exited ${out.exitCode}:\n${String(r.all).slice(-6000)}`);
  }
  return out;
}

/** The bin directory of Node 24 (fetched once into the cache by scripts/node-runtime.sh). */
let node24Bin: string | undefined;
export async function nodeBin(runtime: Runtime): Promise<string | undefined> {
  if (runtime === "node20") return undefined;
  node24Bin ??= (await run("bash", [path.join(REPO_ROOT, "scripts/node-runtime.sh"), NODE24], { cwd: REPO_ROOT })).stdout.trim();
  return node24Bin;
}

/**
 * node_modules for the examples' dependencies (all alike: @pulumi/pulumi, pulumi-ovs, typescript, @types/node),
 * made by one real `npm install` per runtime and package content, outside the checkout. Projects get a
 * hard-linked copy, and their own `npm install` then checks it against their package.json: 120 MB extracted
 * once instead of once per project (~20 s each on this machine).
 */
const templates = new Map<string, Promise<string>>();
function dependencyTemplate(runtime: Runtime, tgz: string, manifest: Record<string, unknown>): Promise<string> {
  const key = crypto.createHash("sha256").update(JSON.stringify(manifest)).update(fs.readFileSync(tgz)).digest("hex").slice(0, 16);
  const dir = path.join(process.env.PULUMI_OVS_CACHE ?? "/var/cache/pulumi-ovs", "e2e-deps", `${runtime}-${key}`);
  if (!templates.has(dir)) {
    templates.set(dir, (async () => {
      if (fs.existsSync(path.join(dir, ".done"))) return dir;
      fs.rmSync(dir, { recursive: true, force: true });
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify(manifest, null, 2));
      await run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"], { cwd: dir });
      fs.writeFileSync(path.join(dir, ".done"), "");
      return dir;
    })());
  }
  return templates.get(dir)!;
}

/**
 * Copy a project directory (without node_modules) to `dest` and `npm install` it as a user would, with the
 * package name resolved to the packed tarball and @pulumi/pulumi to the runtime's SDK version: the only two
 * substitutions. `subdirs` name the package directories inside `from` (the repo root's Pulumi.yaml points
 * into examples/demo-004).
 */
export async function installProject(from: string, dest: string, runtime: Runtime = "node20", subdirs: string[] = ["."]): Promise<void> {
  const tgz = await packedTarball();
  fs.rmSync(dest, { recursive: true, force: true });
  fs.cpSync(from, dest, { recursive: true, filter: (src) => path.basename(src) !== "node_modules" && path.basename(src) !== "bin" });
  for (const sub of subdirs) {
    const dir = path.join(dest, sub);
    const pkgPath = path.join(dir, "package.json");
    const pkg = JSON.parse(fs.readFileSync(pkgPath, "utf8")) as { name: string; dependencies: Record<string, string>; devDependencies?: Record<string, string> };
    pkg.dependencies["pulumi-ovs"] = `file:${tgz}`;
    pkg.dependencies["@pulumi/pulumi"] = SDK[runtime];
    fs.writeFileSync(pkgPath, JSON.stringify(pkg, null, 2));
    const template = await dependencyTemplate(runtime, tgz, { name: "deps", private: true, dependencies: pkg.dependencies, devDependencies: pkg.devDependencies });
    execFileSync("cp", ["-al", path.join(template, "node_modules"), path.join(dir, "node_modules")]);
    await run("npm", ["install", "--no-audit", "--no-fund", "--offline", "--loglevel=error"], { cwd: dir });
    // A copy, as from the registry: a link would bring the repo's own @pulumi/pulumi along.
    if (fs.lstatSync(path.join(dir, "node_modules", "pulumi-ovs")).isSymbolicLink()) throw new Error(`${dir}: pulumi-ovs was installed as a link`);
  }
}

export interface UpResult {
  outputs: Record<string, { value: unknown; secret: boolean }>;
  summary: { result: string; resourceChanges?: Record<string, number> };
}

/**
 * One stack of a project directory, driven through the CLI. Its methods mirror the Automation API's Stack
 * that the example tests were written against (up/preview/refresh/destroy/setAllConfig/removeStack), so
 * each test asserts the same things whichever way its program runs.
 */
export class CliStack {
  readonly workspace = { removeStack: (name: string) => this.pulumi(["stack", "rm", "--yes", "--force", "--stack", name]).then(() => undefined) };
  private constructor(readonly name: string, readonly dir: string, readonly env: Record<string, string>) {}

  /** `pulumi stack init` (or select) in `dir`, with config set through `pulumi config set-all`. */
  static async init(dir: string, name: string, config: Record<string, { value: string; secret?: boolean }>, opts: { runtime?: Runtime; backend?: string } = {}): Promise<CliStack> {
    const bin = await nodeBin(opts.runtime ?? "node20");
    const env: Record<string, string> = { ...(process.env as Record<string, string>), ...engineEnv(), PULUMI_BACKEND_URL: opts.backend ?? `file://${BACKEND}` };
    if (bin) env.PATH = `${bin}:${env.PATH}`;
    fs.mkdirSync(BACKEND, { recursive: true });
    const s = new CliStack(name, dir, env);
    const init = await s.pulumi(["stack", "init", name, "--non-interactive"], { reject: false });
    if (init.exitCode !== 0 && !/already exists/.test(init.stderr)) throw new Error(`pulumi stack init ${name}: ${init.stderr}`);
    await s.setAllConfig(config);
    return s;
  }

  /** Run `pulumi ARGS` in the project directory against this stack. */
  pulumi(args: string[], opts: { reject?: boolean } = {}) {
    const stackArgs = args.includes("--stack") || args[0] === "stack" && args[1] === "init" ? [] : ["--stack", this.name];
    return run("pulumi", [...args, ...stackArgs, "--non-interactive"], { cwd: this.dir, env: this.env, reject: opts.reject });
  }

  async setAllConfig(config: Record<string, { value: string; secret?: boolean }>): Promise<void> {
    const args = Object.entries(config).flatMap(([k, v]) => [v.secret ? "--secret" : "--plaintext", `${k}=${v.value}`]);
    if (args.length) await this.pulumi(["config", "set-all", ...args]);
  }

  /** `pulumi preview`: the change summary read from the CLI's own text (create, update, delete, replace, same) and that text. */
  async preview(opts: { diff?: boolean; refresh?: boolean; expectNoChanges?: boolean } = {}): Promise<{ changeSummary: Record<string, number>; stdout: string }> {
    const flags = [opts.diff ? "--diff" : "", opts.refresh ? "--refresh" : "", opts.expectNoChanges ? "--expect-no-changes" : ""].filter(Boolean);
    const r = await this.pulumi(["preview", ...flags]);
    return { changeSummary: changeSummary(r.stdout), stdout: r.stdout };
  }

  async up(_opts: unknown = {}, extra: string[] = []): Promise<UpResult> {
    await this.pulumi(["up", "--yes", "--skip-preview", ...extra]);
    return { outputs: await this.outputs(), summary: await this.lastUpdate() };
  }

  async refresh(_opts: unknown = {}): Promise<void> {
    await this.pulumi(["refresh", "--yes", "--skip-preview"]);
  }

  async destroy(_opts: unknown = {}): Promise<{ summary: UpResult["summary"] }> {
    await this.pulumi(["destroy", "--yes", "--skip-preview"]);
    return { summary: await this.lastUpdate() };
  }

  async outputs(): Promise<UpResult["outputs"]> {
    const values = JSON.parse((await this.pulumi(["stack", "output", "--json", "--show-secrets"])).stdout) as Record<string, unknown>;
    return Object.fromEntries(Object.entries(values).map(([k, value]) => [k, { value, secret: false }]));
  }

  /** The last update's result and resource changes, as `pulumi stack history` records them. */
  private async lastUpdate(): Promise<UpResult["summary"]> {
    const [last] = JSON.parse((await this.pulumi(["stack", "history", "--json", "--page-size", "1"])).stdout) as { result: string; resourceChanges?: Record<string, number> }[];
    return { result: last.result, resourceChanges: last.resourceChanges };
  }
}

/** The "Resources:" block of a preview or update: `+ 2 to create`, `~ 1 to update`, `25 unchanged`, ... */
export function changeSummary(text: string): Record<string, number> {
  const block = text.slice(text.lastIndexOf("Resources:"));
  const out: Record<string, number> = {};
  const words: Record<string, string> = { create: "create", update: "update", delete: "delete", replace: "replace", "create replacement": "create-replacement", "delete original": "delete-replacement" };
  for (const m of block.matchAll(/^\s*[-+~]*\s*(\d+) to (create replacement|delete original|create|update|delete|replace)\b/gm)) out[words[m[2]]] = Number(m[1]);
  const same = /(\d+) unchanged/.exec(block);
  if (same) out.same = Number(same[1]);
  return out;
}

/**
 * A fresh directory for one test's project, outside the checkout (so that node_modules resolution from the
 * project can never reach the repo's own packages); removed when the e2e run ends (test/e2e/teardown.js).
 */
export function projectDir(name: string): string {
  const dir = path.join(PROJECTS, `${name}-${crypto.randomBytes(3).toString("hex")}`);
  fs.mkdirSync(PROJECTS, { recursive: true });
  return dir;
}
/** This run's project directories (test/e2e/setup.js); a file run alone gets a directory of its own too. */
const PROJECTS = process.env.POVS_E2E_PROJECTS ?? path.join(os.tmpdir(), "povs-e2e-projects", `run-${process.pid}`);
