import * as fs from "node:fs";
import * as path from "node:path";

/**
 * Dependencies inside provider/ point one way, down:
 *
 *   resources (4) -> schema (3) -> tool layers ovs, ip, iptables, docker, host (2) -> transport (1) -> shared (0)
 *
 * shared/ holds the rules every layer needs (ownership keys, interface-name rules, the connection type) and
 * imports nothing above it. A file may import its own layer or any lower one; importing a higher layer fails
 * this test, naming the file and what it imports. Tool layers may use each other, but only along the pairs
 * listed in KNOWN_TOOL_EDGES (so a new one is a decision, not an accident). sdk/ sits on top of all of this and
 * is not checked here; provider/ must not import sdk/, test/ or anything else outside provider/.
 */
const ROOT = path.resolve(__dirname, "../..");
const PROVIDER = path.join(ROOT, "provider");

const LAYERS: Record<string, number> = {
  shared: 0,
  transport: 1,
  ovs: 2,
  ip: 2,
  iptables: 2,
  docker: 2,
  host: 2,
  schema: 3,
  resources: 4,
};

/** Tool-layer folders that use another tool layer today (host/facts.ts caches what ovs and ip report). */
const KNOWN_TOOL_EDGES = new Set(["host -> ovs", "host -> ip", "ip -> docker"]); // ip/netns.ts links a container's namespace

/** A broken walk must not pass vacuously: provider/ has about 50 files. */
const MIN_FILES = 40;

function tsFilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...tsFilesUnder(p));
    else if (e.isFile() && e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

/** Source without comments (so documentation that shows an import is not taken for one). */
function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, " ").replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
}

/** Every module specifier the file imports or re-exports: static, side-effect, dynamic and require. */
function specifiers(src: string): string[] {
  const code = stripComments(src);
  const patterns = [
    /\b(?:import|export)\b[^;"'`]*?\bfrom\s*["']([^"']+)["']/g, // import x from "m"; export { y } from "m"; multi-line too
    /\bimport\s*["']([^"']+)["']/g, // import "m";
    /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g, // import("m"), import type("m") in type positions
    /\brequire\s*\(\s*["']([^"']+)["']\s*\)/g, // require("m")
  ];
  const found = new Set<string>();
  for (const re of patterns) for (const m of code.matchAll(re)) found.add(m[1]!);
  return [...found];
}

/** The .ts file a relative specifier names, or undefined if there is none. */
function resolveRelative(fromFile: string, spec: string): string | undefined {
  const base = path.resolve(path.dirname(fromFile), spec);
  const stem = base.replace(/\.(js|ts)$/, "");
  for (const candidate of [base, `${stem}.ts`, path.join(base, "index.ts")]) {
    if (candidate.endsWith(".ts") && fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

const rel = (f: string) => path.relative(ROOT, f).split(path.sep).join("/");
/** The top folder under provider/, or undefined for a file outside provider/ (or directly in it). */
function topFolder(file: string): string | undefined {
  const parts = path.relative(PROVIDER, file).split(path.sep);
  return parts.length >= 2 && parts[0] !== ".." ? parts[0] : undefined;
}

interface Edge {
  from: string;
  to: string;
}

const files = tsFilesUnder(PROVIDER).sort();
const edges: Edge[] = [];
const unresolved: string[] = [];
for (const file of files) {
  for (const spec of specifiers(fs.readFileSync(file, "utf8"))) {
    if (!spec.startsWith(".")) continue; // packages and node: builtins
    const target = resolveRelative(file, spec);
    if (target) edges.push({ from: file, to: target });
    else unresolved.push(`${rel(file)} -> "${spec}"`);
  }
}

describe("import direction in provider/", () => {
  test(`sees the whole provider (at least ${MIN_FILES} files, and imports between them)`, () => {
    expect(files.length).toBeGreaterThanOrEqual(MIN_FILES);
    expect(edges.length).toBeGreaterThanOrEqual(files.length);
    // Spot checks that the parser reads multi-line, type-only and re-export forms.
    const has = (from: string, to: string) => edges.some((e) => rel(e.from) === from && rel(e.to) === to);
    expect(has("provider/transport/pool.ts", "provider/transport/command.ts")).toBe(true); // multi-line import { ... } from
    expect(has("provider/transport/broker-client.ts", "provider/shared/connection.ts")).toBe(true); // import type
    expect(has("provider/schema/base.ts", "provider/shared/ownership.ts")).toBe(true); // export { ... } from
  });

  test("every relative import resolves to a file", () => {
    expect(unresolved).toEqual([]);
  });

  test("every file under provider/ belongs to a known layer", () => {
    const unassigned = files.filter((f) => {
      const top = topFolder(f);
      return top === undefined || !(top in LAYERS);
    });
    expect(unassigned.map(rel)).toEqual([]);
  });

  test("provider/ imports nothing outside provider/ (sdk/ is on top of it)", () => {
    const outside = edges.filter((e) => topFolder(e.to) === undefined || !rel(e.to).startsWith("provider/"));
    expect(outside.map((e) => `${rel(e.from)} -> ${rel(e.to)}`)).toEqual([]);
  });

  test("no file imports a higher layer", () => {
    const upward = edges
      .filter((e) => {
        const a = LAYERS[topFolder(e.from) ?? ""];
        const b = LAYERS[topFolder(e.to) ?? ""];
        return a !== undefined && b !== undefined && b > a;
      })
      .map((e) => `${rel(e.from)} (${topFolder(e.from)}, layer ${LAYERS[topFolder(e.from)!]}) -> ${rel(e.to)} (${topFolder(e.to)}, layer ${LAYERS[topFolder(e.to)!]})`);
    expect(upward).toEqual([]);
  });

  test("shared/ imports nothing but shared/", () => {
    const bad = edges.filter((e) => topFolder(e.from) === "shared" && topFolder(e.to) !== "shared");
    expect(bad.map((e) => `${rel(e.from)} -> ${rel(e.to)}`)).toEqual([]);
  });

  test("tool layers use each other only along the known pairs", () => {
    const toolPairs = new Map<string, string[]>();
    for (const e of edges) {
      const a = topFolder(e.from)!;
      const b = topFolder(e.to)!;
      if (a === b || LAYERS[a] !== 2 || LAYERS[b] !== 2) continue;
      const pair = `${a} -> ${b}`;
      toolPairs.set(pair, [...(toolPairs.get(pair) ?? []), `${rel(e.from)} -> ${rel(e.to)}`]);
    }
    const unknown = [...toolPairs].filter(([pair]) => !KNOWN_TOOL_EDGES.has(pair)).flatMap(([, list]) => list);
    expect(unknown).toEqual([]);
    // A pair that is gone should leave the list too, so the list stays a true picture.
    expect([...KNOWN_TOOL_EDGES].filter((p) => !toolPairs.has(p))).toEqual([]);
  });
});
