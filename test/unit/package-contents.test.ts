import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

/**
 * What `npm publish` would ship (`npm pack --dry-run --json`): the compiled package (dist/sdk, dist/provider, and
 * dist/cli: the `pulumi-ovs` command of "bin"), its README, LICENSE, CHANGELOG and package.json, and nothing of the repo's tests, scripts, benchmarks, examples or
 * caches; and the package's main entry point ("." in `exports`) resolves to files that exist and are shipped.
 */
const ROOT = path.resolve(__dirname, "../..");
const BUILD_TIMEOUT_MS = 45_000;
const PACK_TIMEOUT_MS = 12_000;

/** A child's environment without jest's NODE_OPTIONS (--experimental-vm-modules only makes npm warn). */
function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  return env;
}

/** Runs a command in the repo root; a timeout fails with a message that says so, not a bare SIGTERM. */
function run(file: string, args: string[], timeoutMs: number): string {
  try {
    return execFileSync(file, args, { cwd: ROOT, env: childEnv(), encoding: "utf8", timeout: timeoutMs, maxBuffer: 64 << 20, stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { signal?: string; stderr?: string };
    if (err.code === "ETIMEDOUT" || err.signal === "SIGTERM") throw new Error(`\`${file} ${args.join(" ")}\` did not finish within ${timeoutMs / 1000} s`);
    throw new Error(`\`${file} ${args.join(" ")}\` failed: ${err.message}\n${err.stderr ?? ""}`);
  }
}

interface Manifest {
  name: string;
  main?: string;
  types?: string;
  bin?: Record<string, string>;
  dependencies?: Record<string, string>;
  exports?: Record<string, string | Record<string, string>>;
}

const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as Manifest;
let files: string[] = [];

beforeAll(() => {
  // The package is built output: build it once if this checkout has not been built yet.
  if (!fs.existsSync(path.join(ROOT, "dist/sdk/index.js")) || !fs.existsSync(path.join(ROOT, "dist/cli/main.js"))) {
    run(process.execPath, [path.join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"], BUILD_TIMEOUT_MS);
  }
  const out = run("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], PACK_TIMEOUT_MS);
  const packed = JSON.parse(out) as { files: { path: string }[] }[];
  files = packed[0]!.files.map((f) => f.path).sort();
}, BUILD_TIMEOUT_MS + PACK_TIMEOUT_MS + 3_000);

describe("npm pack", () => {
  test("ships the compiled package and its documents", () => {
    for (const f of ["dist/sdk/index.js", "dist/sdk/index.d.ts", "README.md", "LICENSE", "CHANGELOG.md", "package.json"]) {
      expect(files).toContain(f);
    }
    expect(files.filter((f) => f.startsWith("dist/provider/") && f.endsWith(".js")).length).toBeGreaterThan(0);
    expect(files).toContain("dist/provider/transport/broker.js"); // started as its own process (PULUMI_OVS_PERSIST)
    expect(files).toContain("dist/cli/main.js"); // the `pulumi-ovs` command
  });

  test("ships nothing but dist/sdk, dist/provider, dist/cli and the top-level documents", () => {
    const topLevel = new Set(["README.md", "LICENSE", "CHANGELOG.md", "package.json"]);
    expect(files.filter((f) => !topLevel.has(f) && !f.startsWith("dist/sdk/") && !f.startsWith("dist/provider/") && !f.startsWith("dist/cli/"))).toEqual([]);
  });

  test('"bin" pulumi-ovs is a shipped node script whose packages are runtime dependencies', () => {
    expect(manifest.bin).toEqual({ "pulumi-ovs": "dist/cli/main.js" });
    const main = manifest.bin!["pulumi-ovs"]!;
    expect(files).toContain(main);
    expect(fs.readFileSync(path.join(ROOT, main), "utf8").split("\n")[0]).toBe("#!/usr/bin/env node");
    // Every package the command's files require is in "dependencies" (not only devDependencies): it runs from an install.
    const builtin = new Set(require("node:module").builtinModules as string[]);
    const needed = new Set<string>();
    for (const f of files.filter((f) => f.startsWith("dist/cli/") && f.endsWith(".js"))) {
      for (const m of fs.readFileSync(path.join(ROOT, f), "utf8").matchAll(/\brequire\("([^"]+)"\)/g)) {
        const spec = m[1]!;
        if (spec.startsWith(".") || spec.startsWith("node:") || builtin.has(spec)) continue;
        needed.add(spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]!);
      }
    }
    expect(needed.has("commander")).toBe(true);
    expect([...needed].filter((p) => !(p in (manifest.dependencies ?? {})))).toEqual([]);
  });

  test("ships no tests, scripts, benchmarks, examples, tools or caches", () => {
    const banned = /(^|\/)(test|tests|scripts|bench|examples|tools|\.cache|node_modules)\//;
    expect(files.filter((f) => banned.test(f))).toEqual([]);
    expect(files.filter((f) => /\.test\./.test(path.basename(f)))).toEqual([]);
  });

  test("ships no source map that points to test or repo-only code", () => {
    const bad: string[] = [];
    for (const f of files.filter((f) => f.endsWith(".map"))) {
      const sources = (JSON.parse(fs.readFileSync(path.join(ROOT, f), "utf8")) as { sources?: string[] }).sources ?? [];
      const resolved = sources.map((s) => path.relative(ROOT, path.resolve(path.dirname(path.join(ROOT, f)), s)));
      if (resolved.some((s) => /^(test|scripts|bench|examples|tools|\.cache)\//.test(s) || /\.test\./.test(s))) bad.push(`${f} -> ${resolved.join(", ")}`);
    }
    expect(bad).toEqual([]);
  });

  test('exports["."] (types and default), main and types point to shipped files', () => {
    const dot = manifest.exports?.["."];
    expect(typeof dot).toBe("object");
    const entry = dot as Record<string, string>;
    const targets = { "exports[.].types": entry.types, "exports[.].default": entry.default, main: manifest.main, types: manifest.types };
    for (const [what, target] of Object.entries(targets)) {
      expect(`${what}: ${typeof target}`).toBe(`${what}: string`);
      const rel = path.posix.normalize(target!);
      expect(`${what}: ${rel} exists=${fs.existsSync(path.join(ROOT, rel))}`).toBe(`${what}: ${rel} exists=true`);
      expect(files).toContain(rel);
    }
  });

  test("the package name resolves through its exports", () => {
    // Node's self-reference: inside the package, its own name resolves through package.json `exports`.
    const resolved = run(process.execPath, ["-p", `require.resolve(${JSON.stringify(manifest.name)})`], 5_000).trim();
    expect(path.relative(ROOT, resolved)).toBe(path.posix.normalize((manifest.exports!["."] as Record<string, string>).default!));
  });
});
