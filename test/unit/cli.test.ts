import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { driftFromPreview, formatDrift, parsePreviewJson, typeAndName } from "../../cli/drift";
import { run, type Io } from "../../cli/program";
import type { PulumiResult } from "../../cli/pulumi";

/**
 * The `pulumi-ovs` command without a real Pulumi CLI: turning `pulumi preview --refresh --json` into the drift
 * list, and the command line itself (--help of each subcommand, usage errors, exit codes) with a fake `pulumi`.
 */

const T = "pulumi-nodejs:dynamic/ovs:";
const urn = (kind: string, name: string, parent = "") => `urn:pulumi:prod::net::${parent ? `${parent}$` : ""}${T}${kind}::${name}`;
const PROVIDER = "exports.handler = __f0; /* serialized provider */";
const conn = { host: "198.18.0.11", user: "root" };

/** A refresh-preview document as `pulumi preview --refresh --diff --json` prints it (fields this command reads). */
const preview = {
  config: { "net:hosts": "[...]" },
  steps: [
    { op: "same", urn: "urn:pulumi:prod::net::pulumi:pulumi:Stack::net-prod", newState: { type: "pulumi:pulumi:Stack", inputs: {} } },
    { op: "refresh", urn: urn("NetNamespace", "ns1") },
    { op: "same", urn: urn("NetNamespace", "ns1"), oldState: { type: T + "NetNamespace", inputs: { name: "a-ns1" } }, newState: { type: T + "NetNamespace", inputs: { name: "a-ns1" } } },
    // Changed on the host: refresh read mtu 9000, the program says 1500 (no detailed diff from a dynamic provider).
    {
      op: "update",
      urn: urn("VethPair", "ns1-ns2"),
      oldState: { type: T + "VethPair", inputs: { __provider: PROVIDER, connection: conn, name: "veth-a", mtu: 9000, addresses: ["198.18.12.1/24"] } },
      newState: { type: T + "VethPair", inputs: { __provider: PROVIDER + " ", connection: { ...conn, port: 22 }, name: "veth-a", mtu: 1500, addresses: ["198.18.12.1/24"] } },
      diffReasons: ["mtu"],
      detailedDiff: null,
    },
    // Deleted on the host: refresh dropped it from the state, the program creates it again.
    { op: "create", urn: urn("NetNamespace", "ns2"), newState: { type: T + "NetNamespace", inputs: { __provider: PROVIDER, name: "a-ns2" } }, detailedDiff: null },
    // A replacement is three steps of one resource.
    { op: "create-replacement", urn: urn("VxlanTunnel", "h1-vx1", `${T}Overlay`), oldState: { type: T + "VxlanTunnel", inputs: { remoteIp: "198.19.1.99" } }, newState: { type: T + "VxlanTunnel", inputs: { remoteIp: "198.19.1.12" } }, replaceReasons: ["remoteIp"] },
    { op: "replace", urn: urn("VxlanTunnel", "h1-vx1", `${T}Overlay`), oldState: { type: T + "VxlanTunnel", inputs: { remoteIp: "198.19.1.99" } }, newState: { type: T + "VxlanTunnel", inputs: { remoteIp: "198.19.1.12" } }, replaceReasons: ["remoteIp"] },
    { op: "delete-replacement", urn: urn("VxlanTunnel", "h1-vx1", `${T}Overlay`), oldState: { type: T + "VxlanTunnel", inputs: { remoteIp: "198.19.1.99" } } },
    // Same inputs but the engine still names fields: those names are shown.
    { op: "update", urn: urn("OvsPort", "gw"), oldState: { type: T + "OvsPort", inputs: { tag: 100 } }, newState: { type: T + "OvsPort", inputs: { tag: 100 } }, diffReasons: ["tag"] },
  ],
  changeSummary: { create: 1, update: 2, replace: 1, same: 2 },
};

describe("drift from preview JSON", () => {
  test("one entry per changed resource; same/refresh steps and the Stack are not drift", () => {
    const d = driftFromPreview(preview);
    expect(d.map((x) => `${x.op} ${x.type} ${x.name}`)).toEqual(["update VethPair ns1-ns2", "create NetNamespace ns2", "replace VxlanTunnel h1-vx1", "update OvsPort gw"]);
  });

  test("fields compare old (refreshed) and new (program) inputs, without __provider and connection", () => {
    const d = driftFromPreview(preview);
    expect(d[0].fields).toEqual(["mtu: 9000 => 1500"]);
    expect(d[1].fields).toEqual(["missing on the host"]);
    expect(d[2].fields).toEqual(['remoteIp: "198.19.1.99" => "198.19.1.12"']);
    expect(d[3].fields).toEqual(["tag"]); // fallback: the engine's diffReasons
  });

  test("secret values are not shown; a key set only on one side shows (unset)", () => {
    const secret = (v: string) => ({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: v });
    const doc = { steps: [{ op: "update", urn: urn("OvsPort", "p"), oldState: { inputs: { password: secret("a"), tag: 5 } }, newState: { inputs: { password: secret("b") } } }] };
    expect(driftFromPreview(doc)[0].fields).toEqual(["password: [secret] => [secret]", "tag: 5 => (unset)"]);
  });

  test("a preview with no steps or only same steps is no drift", () => {
    expect(driftFromPreview({})).toEqual([]);
    expect(driftFromPreview({ steps: [preview.steps[0], preview.steps[2]] })).toEqual([]);
  });

  test("types lose the dynamic module and parents; names keep their text", () => {
    expect(typeAndName(urn("VxlanTunnel", "h1-vx1", `${T}Overlay`))).toEqual({ type: "VxlanTunnel", name: "h1-vx1" });
    expect(typeAndName("urn:pulumi:s::p::my:module:Thing::a::b")).toEqual({ type: "my:module:Thing", name: "a::b" });
    expect(typeAndName("urn:pulumi:s::p::pulumi-ovs:index:ContainerAttachment::a1-net")).toEqual({ type: "ContainerAttachment", name: "a1-net" });
  });

  test("the readable list", () => {
    expect(formatDrift("prod", driftFromPreview(preview))).toBe(
      [
        "DRIFT: 4 resource(s) of stack prod no longer match their hosts:",
        "  update   VethPair ns1-ns2  (mtu: 9000 => 1500)",
        "  create   NetNamespace ns2  (missing on the host)",
        '  replace  VxlanTunnel h1-vx1  (remoteIp: "198.19.1.99" => "198.19.1.12")',
        "  update   OvsPort gw  (tag)",
        "run `pulumi up --refresh --stack prod` to repair",
        "",
      ].join("\n"),
    );
    expect(formatDrift("prod", [])).toBe("no drift: stack prod matches its hosts\n");
  });

  test("JSON after stray lines is found", () => {
    expect(parsePreviewJson('warning: something\n{"steps":[]}')).toEqual({ steps: [] });
    expect(() => parsePreviewJson("error: no stack")).toThrow(/no JSON/);
  });
});

/** The command with captured output and a fake `pulumi` that answers from a table. */
function harness(answer: (args: string[]) => Partial<PulumiResult> = () => ({})) {
  const out: string[] = [];
  const err: string[] = [];
  const calls: { args: string[]; cwd: string }[] = [];
  const io: Io = {
    out: (s) => void out.push(s),
    err: (s) => void err.push(s),
    stdin: () => JSON.stringify(topoState),
    pulumi: async (args, opts) => {
      calls.push({ args, cwd: opts.cwd });
      return { stdout: "", stderr: "", exitCode: 0, ...answer(args) };
    },
  };
  return { io, calls, out: () => out.join(""), err: () => err.join(""), run: (argv: string[]) => run(argv, io) };
}

const topoState = {
  deployment: {
    resources: [
      { type: "pulumi:pulumi:Stack", urn: "urn:stack" },
      { type: T + "NetNamespace", urn: "urn:x::ns", id: "198.18.0.11/netns/blue", outputs: { name: "blue" } },
      { type: T + "OvsBridge", urn: "urn:x::br", id: "198.18.0.11/br0", outputs: { name: "br0" } },
    ],
  },
};

describe("pulumi-ovs command line", () => {
  test.each([
    [[], ["drift", "topology", "discover"]],
    [["discover"], ["--host <address>", "--host-key <key>", "--inventory <file>", "--out <dir>", "--stack <name>", "--bridge <name>", "--namespace <name>", "--exclude <regex>", "--include-management", "--include-owned"]],
    [["drift"], ["--stack <name>", "--cwd <dir>", "Exits 0 when nothing drifted, 1 on drift, 2 on error"]],
    [["topology"], ["--stack <name>", "--cwd <dir>", "--state <file>", "--format <format>", '"mermaid", "svg"', "--out <file>"]],
  ])("%j --help: exit 0 and usage", async (sub, words) => {
    const h = harness();
    expect(await h.run([...sub, "--help"])).toBe(0);
    expect(h.out()).toContain(`Usage: pulumi-ovs${sub.length ? ` ${sub[0]}` : ""} [options]`);
    for (const w of words) expect(h.out().replace(/\s+/g, " ")).toContain(w); // help text wraps at 80 columns
    expect(h.calls).toEqual([]);
  });

  test("usage mistakes exit 2 and say what is wrong", async () => {
    let h = harness();
    expect(await h.run(["drift"])).toBe(2);
    expect(h.err()).toMatch(/required option '-s, --stack <name>' not specified/);
    h = harness();
    expect(await h.run(["topology", "--state", "x.json", "--format", "png"])).toBe(2);
    expect(h.err()).toMatch(/Allowed choices are mermaid, svg/);
    h = harness();
    expect(await h.run(["topology", "--stack", "a", "--state", "x.json"])).toBe(2);
    expect(h.err()).toMatch(/exactly one of --stack NAME or --state FILE/);
    h = harness();
    expect(await h.run(["discover", "--out", "x"])).toBe(2);
    expect(h.err()).toMatch(/no hosts: give --host ADDR --host-key KEY/);
    h = harness();
    expect(await h.run(["discover", "--out", "x", "--host", "198.18.0.11", "--user", "ops", "--key", "k"])).toBe(2);
    expect(h.err()).toMatch(/every --host needs its --host-key \(got 1 hosts and 0 host keys\)/);
    h = harness();
    expect(await h.run(["discover", "--out", "x", "--inventory", "i.json", "--exclude", "("])).toBe(2);
    expect(h.err()).toMatch(/--exclude: Invalid regular expression/);
    h = harness();
    expect(await h.run(["nonsense"])).toBe(2);
    h = harness();
    expect(await h.run(["drift", "--stack", "a", "--cwd", "/nonexistent-povs-dir"])).toBe(2);
    expect(h.err()).toMatch(/--cwd \/nonexistent-povs-dir: no such directory/);
  });

  test("drift runs a refresh-preview in the project directory: 1 and the list on drift", async () => {
    const h = harness(() => ({ stdout: JSON.stringify(preview) }));
    expect(await h.run(["drift", "--stack", "prod", "--cwd", os.tmpdir()])).toBe(1);
    expect(h.calls).toEqual([{ args: ["preview", "--refresh", "--diff", "--json", "--stack", "prod", "--non-interactive"], cwd: path.resolve(os.tmpdir()) }]);
    expect(h.out()).toMatch(/^DRIFT: 4 resource\(s\) of stack prod no longer match their hosts:\n {2}update {3}VethPair ns1-ns2 {2}\(mtu: 9000 => 1500\)/);
  });

  test("drift: 0 and 'no drift' when nothing changed; the current directory by default", async () => {
    const h = harness(() => ({ stdout: JSON.stringify({ steps: [preview.steps[0]], changeSummary: { same: 1 } }) }));
    expect(await h.run(["drift", "-s", "prod"])).toBe(0);
    expect(h.calls[0].cwd).toBe(process.cwd());
    expect(h.out()).toBe("no drift: stack prod matches its hosts\n");
  });

  test("drift: 2 when pulumi fails, naming the command and with pulumi's stderr and error diagnostics", async () => {
    const h = harness(() => ({ exitCode: 255, stdout: JSON.stringify({ diagnostics: [{ severity: "error", message: "ssh: connect to 198.18.0.11 refused" }] }), stderr: "error: preview failed" }));
    expect(await h.run(["drift", "--stack", "prod"])).toBe(2);
    expect(h.out()).toBe("");
    expect(h.err()).toMatch(/pulumi preview --refresh --diff --json --stack prod --non-interactive failed \(exit 255\)/);
    expect(h.err()).toContain("ssh: connect to 198.18.0.11 refused");
    expect(h.err()).toContain("error: preview failed");
    const h2 = harness(() => ({ exitCode: 255, stderr: "error: no stack named 'prod' found" }));
    expect(await h2.run(["drift", "--stack", "prod"])).toBe(2);
    expect(h2.err()).toContain("no stack named 'prod' found");
  });

  test("topology --stack exports the state in the project directory and prints Mermaid", async () => {
    const h = harness(() => ({ stdout: JSON.stringify(topoState) }));
    expect(await h.run(["topology", "--stack", "prod", "--cwd", os.tmpdir()])).toBe(0);
    expect(h.calls[0].args).toEqual(["stack", "export", "--stack", "prod", "--non-interactive"]);
    expect(h.out()).toMatch(/^flowchart LR/);
    expect(h.out()).toContain('{{"netns blue"}}'); // a namespace on no bridge port is drawn too
  });

  test("topology --state FILE --format svg --out FILE; --state - reads stdin", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "povs-cli-"));
    try {
      fs.writeFileSync(path.join(dir, "state.json"), JSON.stringify(topoState));
      const h = harness();
      expect(await h.run(["topology", "--state", path.join(dir, "state.json"), "--format", "svg", "--out", path.join(dir, "t.svg")])).toBe(0);
      expect(fs.readFileSync(path.join(dir, "t.svg"), "utf8")).toMatch(/^<svg /);
      expect(h.calls).toEqual([]);
      const h2 = harness();
      expect(await h2.run(["topology", "--state", "-"])).toBe(0);
      expect(h2.out()).toContain("br0");
      const h3 = harness(() => ({ exitCode: 255, stderr: "error: no stack named 'x'" }));
      expect(await h3.run(["topology", "--stack", "x"])).toBe(2);
      expect(h3.err()).toMatch(/pulumi stack export --stack x --non-interactive failed \(exit 255\)[\s\S]*no stack named 'x'/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
