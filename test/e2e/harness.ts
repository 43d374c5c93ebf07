import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO_ROOT } from "../helpers/lab";

/**
 * Runs programs through the REAL Pulumi engine, with pulumi-ovs installed the way users get it: `npm pack`ed
 * and unpacked as a real copy under a scratch project's node_modules (only then does the closure serializer
 * write a short `require("pulumi-ovs/...")` stub into __provider). Programs are compiled there against that
 * copy, and run inline through the Automation API (the Node language host is not available on this machine);
 * the CLI from scripts/pulumi-cli.sh and its dynamic-provider launcher do the rest.
 */

export const E2E_DIR = path.join(REPO_ROOT, ".cache", "e2e");
/** The scratch project of the current content (one per content hash, so concurrent runs never clobber each other). */
let SCRATCH = "";
export const BACKEND = path.join(E2E_DIR, "state");
export const PROJECT = "pulumi-ovs-e2e";
export const PASSPHRASE = "e2e-passphrase-not-a-secret";

async function sh(cmd: string, args: string[], opts: { cwd?: string } = {}): Promise<string> {
  const { execa } = await import("execa");
  const r = await execa(cmd, args, { cwd: opts.cwd ?? REPO_ROOT });
  return String(r.stdout);
}

function hashTree(paths: string[]): string {
  const h = crypto.createHash("sha256");
  const walk = (p: string) => {
    const st = fs.statSync(p);
    if (st.isDirectory()) for (const e of fs.readdirSync(p).sort()) e !== "node_modules" && walk(path.join(p, e));
    else h.update(p).update(fs.readFileSync(p));
  };
  for (const p of paths) if (fs.existsSync(p)) walk(p);
  return h.digest("hex").slice(0, 16);
}

/**
 * Build the scratch project once per content: pack, unpack under node_modules (a copy, never a link),
 * compile examples/ and test/e2e/programs/ against it. Returns the scratch dir.
 */
export async function scratchProject(): Promise<string> {
  const sources = [path.join(REPO_ROOT, "dist"), path.join(REPO_ROOT, "package.json"), path.join(REPO_ROOT, "examples"), path.join(REPO_ROOT, "test/e2e/programs")];
  const key = hashTree(sources);
  const final = path.join(E2E_DIR, `project-${key}`);
  if (fs.existsSync(path.join(final, ".built"))) return (SCRATCH = final);
  const dir = `${final}.tmp-${process.pid}`;
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  await buildScratch(dir);
  fs.writeFileSync(path.join(dir, ".built"), key);
  try {
    fs.renameSync(dir, final);
  } catch {
    fs.rmSync(dir, { recursive: true, force: true }); // another run built the same content first
  }
  return (SCRATCH = final);
}

/** The package as `npm pack` makes it, once per content of dist/ and package.json: the absolute path of the .tgz. */
export async function packedTarball(): Promise<string> {
  const dir = path.join(E2E_DIR, `pack-${hashTree([path.join(REPO_ROOT, "dist"), path.join(REPO_ROOT, "package.json")])}`);
  const done = path.join(dir, ".name");
  if (!fs.existsSync(done)) {
    fs.mkdirSync(dir, { recursive: true });
    const tgz = (await sh("npm", ["pack", "--silent", "--pack-destination", dir])).trim().split("\n").pop()!;
    fs.writeFileSync(done, tgz);
  }
  return path.join(dir, fs.readFileSync(done, "utf8"));
}

async function buildScratch(SCRATCH: string): Promise<void> {
  // Dependencies (ssh2, zod, @pulumi/pulumi, typescript) as hard links of ours: same versions the lockfile pins.
  await sh("cp", ["-al", path.join(REPO_ROOT, "node_modules"), path.join(SCRATCH, "node_modules")]);
  const tgz = await packedTarball();
  const pkgDir = path.join(SCRATCH, "node_modules", "pulumi-ovs");
  fs.rmSync(pkgDir, { recursive: true, force: true });
  fs.mkdirSync(pkgDir);
  await sh("tar", ["-xzf", tgz, "-C", pkgDir, "--strip-components=1"]);

  for (const dir of ["examples", "test/e2e/programs"]) {
    const from = path.join(REPO_ROOT, dir);
    const filter = (src: string) => path.basename(src) !== "node_modules";
    if (fs.existsSync(from)) fs.cpSync(from, path.join(SCRATCH, "src", path.basename(dir)), { recursive: true, filter });
  }
  fs.writeFileSync(
    path.join(SCRATCH, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: { target: "ES2022", module: "node16", moduleResolution: "node16", strict: true, skipLibCheck: true, outDir: "out", rootDir: "src", types: ["node"] },
      include: ["src"],
    }),
  );
  fs.writeFileSync(path.join(SCRATCH, "package.json"), JSON.stringify({ name: "scratch", private: true, dependencies: { "pulumi-ovs": `file:${tgz}` } }));
  await sh(path.join(SCRATCH, "node_modules", ".bin", "tsc"), ["-p", SCRATCH], { cwd: SCRATCH });
}

type Automation = typeof import("@pulumi/pulumi/automation");

/** The Automation API from the scratch project's own @pulumi/pulumi (one SDK instance with the program's). */
export function automation(): Automation {
  if (!SCRATCH) throw new Error("scratchProject() first");
  return require(path.join(SCRATCH, "node_modules", "@pulumi", "pulumi", "automation")) as Automation;
}

/** A compiled program module from the scratch project (src/<dir>/<file> -> out/<dir>/<file>.js). */
export async function programModule<T = Record<string, unknown>>(rel: string): Promise<T> {
  await scratchProject();
  return require(path.join(SCRATCH, "out", rel)) as T;
}

export interface StackHandle {
  stack: import("@pulumi/pulumi/automation").Stack;
  /** Run the CLI against this stack (for `stack export`, `preview --diff`, ...) with the same environment. */
  cli(args: string[], opts?: { reject?: boolean }): Promise<{ stdout: string; stderr: string; exitCode: number }>;
}

export function engineEnv(): Record<string, string> {
  return {
    PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
    PULUMI_BACKEND_URL: `file://${BACKEND}`,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_HOME: path.join(E2E_DIR, "pulumi-home"),
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
  };
}

/** Create (or select) a stack running `program` inline, with config values (secret ones marked). */
export async function stackFor(
  stackName: string,
  program: () => Promise<Record<string, unknown> | void>,
  config: Record<string, { value: string; secret?: boolean }> = {},
): Promise<StackHandle> {
  await scratchProject();
  fs.mkdirSync(BACKEND, { recursive: true });
  const env = engineEnv();
  for (const [k, v] of Object.entries(env)) process.env[k] = v;
  const auto = automation();
  const stack = await auto.LocalWorkspace.createOrSelectStack(
    { stackName, projectName: PROJECT, program },
    {
      workDir: SCRATCH,
      envVars: env,
      projectSettings: { name: PROJECT, runtime: "nodejs", backend: { url: env.PULUMI_BACKEND_URL } },
    },
  );
  await stack.setAllConfig(config);
  const cli = async (args: string[], opts: { reject?: boolean } = {}) => {
    const { execa } = await import("execa");
    const r = await execa("pulumi", [...args, "--stack", stackName, "--non-interactive"], { cwd: SCRATCH, env, reject: opts.reject ?? true });
    return { stdout: String(r.stdout), stderr: String(r.stderr), exitCode: r.exitCode ?? -1 };
  };
  return { stack, cli };
}

/** Wall times of named steps, for a test file's closing figures: `const { timings, timed } = stepTimer()`. */
export function stepTimer(): { timings: Record<string, number>; timed<T>(name: string, fn: () => Promise<T>): Promise<T> } {
  const timings: Record<string, number> = {};
  return {
    timings,
    async timed(name, fn) {
      const t0 = Date.now();
      try {
        return await fn();
      } finally {
        timings[name] = Date.now() - t0;
      }
    },
  };
}
