import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/**
 * Every Pulumi project in the repo runs a program that declares resources, by the rules the Node language
 * host and @pulumi/pulumi's cmd/run apply: Pulumi.yaml's `main` (absent or a directory: the entry point "."),
 * then for "." the nearest package.json above the program directory: `exports` (a string, or `exports["."]`
 * default/require/import), else `main`, else the directory itself. The repo's own package.json exports the
 * library, which registers nothing: a project that falls through to it deploys only the Stack.
 */
const ROOT = path.resolve(__dirname, "../..");

function pulumiProjects(dir = ROOT): string[] {
  const found: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory() && !["node_modules", ".git", ".cache", "dist"].includes(e.name)) found.push(...pulumiProjects(path.join(dir, e.name)));
    else if (e.name === "Pulumi.yaml") found.push(path.join(dir, e.name));
  }
  return found;
}

/** Top-level scalar keys of a Pulumi.yaml (ours hold no nesting that matters here). */
function topLevel(yamlText: string): Record<string, string> {
  return Object.fromEntries([...yamlText.matchAll(/^([A-Za-z]+):[ \t]*(\S.*)?$/gm)].map((m) => [m[1], (m[2] ?? "").replace(/^["']|["']$/g, "")]));
}

interface Manifest { exports?: string | Record<string, string | Record<string, string>>; main?: string }

function nearestPackageJson(from: string): string {
  for (let d = from; ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, "package.json"))) return path.join(d, "package.json");
    if (d === path.dirname(d)) throw new Error(`no package.json above ${from}`);
  }
}

/** The file the runtime loads for a project (mirrors run.ts in @pulumi/pulumi 3.248.0). */
export function programFile(pulumiYaml: string): string {
  const projectDir = path.dirname(pulumiYaml);
  const main = topLevel(fs.readFileSync(pulumiYaml, "utf8")).main;
  const programPath = main ? path.join(projectDir, main) : projectDir;
  if (fs.existsSync(programPath) && fs.statSync(programPath).isFile()) return programPath;
  const pkgPath = nearestPackageJson(programPath);
  const pkg = JSON.parse(fs.readFileSync(pkgPath, "utf8")) as Manifest;
  const root = path.dirname(pkgPath);
  let entry: string | undefined;
  if (typeof pkg.exports === "string") entry = pkg.exports;
  else if (pkg.exports && typeof pkg.exports === "object") {
    const dot = pkg.exports["."];
    entry = typeof dot === "string" ? dot : dot && (dot.default ?? dot.require ?? dot.import);
  } else entry = pkg.main;
  const chosen = entry && fs.existsSync(path.join(root, entry)) ? path.join(root, entry) : programPath;
  if (fs.existsSync(chosen) && fs.statSync(chosen).isDirectory()) {
    const index = ["index.ts", "index.js"].map((f) => path.join(chosen, f)).find((f) => fs.existsSync(f));
    if (!index) throw new Error(`${pulumiYaml}: the program directory ${chosen} has no index.ts or index.js`);
    return index;
  }
  return chosen;
}

const RESOURCE = /\bnew (OvsBridge|OvsPort|VxlanTunnel|GreTunnel|NetNamespace|VethPair|FlowEntry|Route|NatRule|DockerContainer|ContainerAttachment|TunnelMesh)\(/;

const projects = pulumiProjects();

test("the repo has the root project and one per example", () => {
  const rel = projects.map((p) => path.relative(ROOT, p)).sort();
  expect(rel).toContain("Pulumi.yaml");
  const examples = fs.readdirSync(path.join(ROOT, "examples"), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => `examples/${e.name}/Pulumi.yaml`);
  expect(examples.length).toBeGreaterThanOrEqual(11);
  for (const e of examples) expect(rel).toContain(e);
});

test.each(projects.map((p) => [path.relative(ROOT, p), p]))("%s runs a program that declares resources, not the library", (_rel, yaml) => {
  // A plain value holding ": " is not YAML (the CLI refuses the file); ours are single-line scalars.
  for (const line of fs.readFileSync(yaml, "utf8").split("\n").filter((l) => /^[A-Za-z]+:/.test(l))) expect(line).not.toMatch(/^[A-Za-z]+: [^"'].*: /);
  const file = programFile(yaml);
  expect(path.relative(ROOT, file)).toMatch(/^examples\/[^/]+\/index\.ts$/);
  const text = fs.readFileSync(file, "utf8");
  expect(text).toMatch(RESOURCE);
  expect(text).toMatch(/^export (=|default) /m); // the runtime calls an exported function; its result is the stack outputs
});

test.each(projects.filter((p) => path.dirname(p) !== ROOT).map((p) => [path.relative(ROOT, path.dirname(p)), path.dirname(p)]))(
  "%s is a project of its own: package.json (pulumi-ovs installed as a copy), tsconfig.json, README",
  (_rel, dir) => {
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as Manifest & { dependencies: Record<string, string> };
    expect(pkg.exports).toBeUndefined();
    expect(pkg.main).toBe("index.ts");
    expect(Object.keys(pkg.dependencies).sort()).toEqual(["@pulumi/pulumi", "pulumi-ovs"]);
    if (pkg.dependencies["pulumi-ovs"].startsWith("file:")) expect(fs.readFileSync(path.join(dir, ".npmrc"), "utf8")).toMatch(/^install-links=true$/m);
    for (const f of ["tsconfig.json", "README.md", "index.ts"]) expect(fs.existsSync(path.join(dir, f))).toBe(true);
  },
);

test("the rules themselves: a directory main falls through to the nearest package.json's exports, then its main", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "povs-projects-"));
  try {
    fs.writeFileSync(path.join(tmp, "Pulumi.yaml"), "name: x\nruntime: nodejs\nmain: sub/\n");
    fs.mkdirSync(path.join(tmp, "sub"));
    fs.writeFileSync(path.join(tmp, "sub", "index.ts"), "");
    // Like this repo before its examples had a package.json each: the library's exports win over the directory.
    fs.writeFileSync(path.join(tmp, "package.json"), JSON.stringify({ exports: { ".": { types: "./lib.d.ts", default: "./lib.js" } } }));
    fs.writeFileSync(path.join(tmp, "lib.js"), "");
    expect(programFile(path.join(tmp, "Pulumi.yaml"))).toBe(path.join(tmp, "lib.js"));
    fs.writeFileSync(path.join(tmp, "sub", "package.json"), JSON.stringify({ main: "index.ts" }));
    expect(programFile(path.join(tmp, "Pulumi.yaml"))).toBe(path.join(tmp, "sub", "index.ts"));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
