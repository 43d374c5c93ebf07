import * as fs from "node:fs";
import * as path from "node:path";

/**
 * docs/configuration.md lists every PULUMI_OVS_ environment variable the package reads (provider/, sdk/), each as a
 * table cell in backticks; and lists none that is gone from the code (provider/, sdk/, bench/, scripts/).
 */
const ROOT = path.resolve(__dirname, "../..");
const DOC = path.join(ROOT, "docs/configuration.md");
const NAME = /PULUMI_OVS_[A-Z0-9_]+/g;

function filesUnder(dir: string, keep: (file: string) => boolean): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (!["node_modules", "dist", "results", ".cache"].includes(e.name)) out.push(...filesUnder(p, keep));
    } else if (e.isFile() && keep(p)) out.push(p);
  }
  return out;
}

function namesIn(files: string[]): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const f of files) {
    for (const [name] of fs.readFileSync(f, "utf8").matchAll(NAME)) {
      const where = found.get(name) ?? [];
      const rel = path.relative(ROOT, f);
      if (!where.includes(rel)) where.push(rel);
      found.set(name, where);
    }
  }
  return found;
}

const isTs = (f: string) => f.endsWith(".ts");
const isSource = (f: string) => /\.(ts|js|mjs|cjs|sh|bash)$/.test(f);

/** Names that appear as a table cell in backticks: `| `NAME` |`, also one of several in a cell (`` `A`, `B` ``). */
function documentedNames(doc: string): Set<string> {
  const names = new Set<string>();
  for (const line of doc.split("\n")) {
    if (!line.trimStart().startsWith("|")) continue;
    for (const cell of line.split("|")) {
      const c = cell.trim();
      if (!/^`[^`]+`(\s*,\s*`[^`]+`)*$/.test(c)) continue;
      for (const [, n] of c.matchAll(/`([^`]+)`/g)) names.add(n);
    }
  }
  return names;
}

describe("docs/configuration.md", () => {
  const doc = fs.readFileSync(DOC, "utf8");
  const documented = documentedNames(doc);

  test("lists every PULUMI_OVS_ variable that provider/ and sdk/ read", () => {
    const used = namesIn([...filesUnder(path.join(ROOT, "provider"), isTs), ...filesUnder(path.join(ROOT, "sdk"), isTs)]);
    expect(used.size).toBeGreaterThan(0); // the scan found the code
    const missing = [...used].filter(([name]) => !documented.has(name)).map(([name, where]) => `${name} (in ${where.join(", ")})`);
    expect(missing).toEqual([]);
  });

  test("lists no PULUMI_OVS_ variable that is gone from provider/, sdk/, bench/ and scripts/", () => {
    const code = namesIn(["provider", "sdk", "bench", "scripts"].flatMap((d) => filesUnder(path.join(ROOT, d), isSource)));
    const listed = [...new Set(doc.match(NAME) ?? [])];
    expect(listed.filter((name) => !code.has(name))).toEqual([]);
  });
});
