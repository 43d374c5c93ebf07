import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";
import { snapshotScript, splitSections } from "../../cli/discover/snapshot";
import { parseSnapshot, type HostFacts } from "../../cli/discover/facts";
import { buildHost } from "../../cli/discover/build";
import { indexTs, projectFiles } from "../../cli/discover/generate";
import type { DiscoverOptions, HostModel } from "../../cli/discover/model";
import { cookieFor } from "../../provider/ovs/flow-cookies";

/**
 * `pulumi-ovs discover` without a host: the snapshot of lab host h42 built by test/fixtures/discover/brownfield.sh (suffix x2)
 * (captured with the snapshot script, nonce "fixture1"; the docker daemon is shared with h43, whose containers
 * are in it too) parsed, turned into resources and written as a project.
 */

const TEXT = fs.readFileSync(path.join(__dirname, "../fixtures/discover/h42-brownfield.txt"), "utf8");
const OPTS: DiscoverOptions = { project: "discovered", stack: "dev", exclude: /^(br-ul|ul0|eth1)$/ };
const facts = (): HostFacts => parseSnapshot(splitSections(TEXT, "fixture1"), "h42");
const model = (f: HostFacts = facts(), opts: Partial<DiscoverOptions> = {}) => buildHost({ name: "h42", address: "198.18.0.52", facts: f }, { ...OPTS, ...opts });
const kinds = (m: HostModel) => m.resources.reduce<Record<string, number>>((acc, r) => ({ ...acc, [r.kind]: (acc[r.kind] ?? 0) + 1 }), {});
const project = { project: "discovered", stack: "dev", version: "0.1.0", hosts: [{ name: "h42", host: "198.18.0.52", port: 22, user: "povs", hostKey: "ssh-ed25519 AAAAkey" }] };

/** Syntax errors of a TypeScript text (no type checking). */
function syntaxErrors(code: string): string[] {
  const out = ts.transpileModule(code, { reportDiagnostics: true, compilerOptions: { module: ts.ModuleKind.CommonJS } });
  return (out.diagnostics ?? []).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
}

describe("snapshot sections", () => {
  test("the script takes only a plain nonce; its output splits into named sections; a cut output is refused", () => {
    expect(() => snapshotScript("a'b; rm")).toThrow(/nonce/);
    expect(snapshotScript("abcdef12")).toContain("@@povs-abcdef12");
    const sections = splitSections(TEXT, "fixture1");
    expect(sections.map((s) => s.name)).toEqual(expect.arrayContaining(["ovs", "flows", "links", "routes", "nat", "netns", "nsids", "docker", "end"]));
    expect(sections.filter((s) => s.name === "flows").map((s) => s.arg)).toEqual(["br-int", "br-tun", "br-ul", "dbr", "ovs2", "ovs3", "q'\"ö1", "sw"]);
    expect(() => splitSections(TEXT.slice(0, TEXT.indexOf("@@povs-fixture1 end")), "fixture1")).toThrow(/ended early/);
    // Output that imitates a header with another nonce is body text.
    expect(splitSections("@@povs-x a\n@@povs-other b c\n@@povs-x end \n", "x")[0]).toEqual({ name: "a", arg: "", body: "@@povs-other b c" });
  });
});

describe("a hand-built host as resources", () => {
  test("every seed object becomes its resource; the lab's underlay is excluded; h43's containers (same docker daemon) are not taken for h42's", () => {
    const m = model();
    expect(kinds(m)).toEqual({
      NetNamespace: 2, VethPair: 2, OvsBridge: 6, OvsPort: 6, VxlanTunnel: 2, GreTunnel: 1, ContainerAttachment: 2, FlowEntry: 8, Route: 2, NatRule: 1,
    });
    const att = m.resources.filter((r) => r.kind === "ContainerAttachment").map((r) => r.args.container).sort();
    expect(att).toEqual(["a1x2", "b1x2"]);
    expect(m.skipped.map((s) => s.what)).toEqual([`OvsBridge h42-br-q___1-9eaac1cf (name "q'\\"ö1")`, "FlowEntry h42-flow-q___1-9eaac1cf-t0-p0-055539df"]);
    expect(m.filtered).toBe(3);
  });

  test("references order the engine's work: port -> bridge, veth -> namespace, route -> the interface it leaves by", () => {
    const m = model();
    const byName = Object.fromEntries(m.resources.map((r) => [r.name, r]));
    expect(byName["h42-port-sw-v1h"].args).toMatchObject({ bridge: { ref: "h42-br-sw", prop: "name" }, name: { ref: "h42-veth-host-v1h", prop: "name" }, ofportRequest: 1 });
    expect(byName["h42-veth-host-v1h"].args).toMatchObject({ peerNamespace: { ref: "h42-ns-vm1", prop: "name" }, peerAddresses: ["198.18.245.2/24"], mtu: 1400 });
    expect(byName["h42-route-vm1-default-0"].args).toMatchObject({ namespace: { ref: "h42-ns-vm1" }, dev: { ref: "h42-veth-host-v1h", prop: "peerName" }, via: "198.18.245.1" });
    expect(byName["h42-vxlan-vx1"].args).toMatchObject({ remoteIp: "198.19.0.53", key: 100 });
    expect(byName["h42-nat-host-POSTROUTING-fc9b7adb"]?.args).toMatchObject({ source: "198.18.241.0/24", destination: "!198.18.240.0/20", jump: "MASQUERADE" });
  });

  test("filters: --bridge keeps one bridge with its ports and flows; --namespace none keeps no namespace", () => {
    const m = model(facts(), { bridges: ["sw"], namespaces: ["nothing"] });
    expect(m.resources.filter((r) => r.kind === "OvsBridge").map((r) => r.args.name)).toEqual(["sw"]);
    expect(m.resources.some((r) => r.kind === "NetNamespace" || r.kind === "ContainerAttachment")).toBe(false);
  });

  test("objects marked by another stack are skipped unless --include-owned; this stack's own marks are discovered again", () => {
    const f = facts();
    f.ovs!.bridges.get("sw")!.externalIds["pulumi-ovs-owner"] = "other/prod/OvsBridge/sw";
    f.ovs!.bridges.get("dbr")!.externalIds["pulumi-ovs-owner"] = "discovered/dev/OvsBridge/h42-br-dbr";
    const recookie = (br: string, cookie: bigint) => f.flows.set(br, f.flows.get(br)!.map((x) => ({ ...x, cookie })));
    recookie("ovs2", cookieFor("discovered/dev/FlowEntry/h42-flow-ovs2-t0-p0-055539df")); // ours after an up
    recookie("ovs3", 0x1234n); // someone else's
    const m = model(f);
    const names = m.resources.map((r) => r.name);
    expect(names).not.toContain("h42-br-sw");
    expect(names).toContain("h42-br-dbr");
    expect(names).toContain("h42-flow-ovs2-t0-p0-055539df");
    expect(names).not.toContain("h42-flow-ovs3-t0-p0-055539df");
    const why = m.skipped.map((s) => s.why).join("\n");
    expect(why).toContain('owned by "other/prod/OvsBridge/sw"');
    expect(why).toContain("cookie 0x1234");
    expect(model(f, { includeOwned: true }).resources.map((r) => r.name)).toEqual(expect.arrayContaining(["h42-br-sw", "h42-flow-ovs3-t0-p0-055539df"]));
  });

  test("the management path (the interface SSH arrives on, its routes) is left out unless --include-management", () => {
    // As if SSH arrived on the VXLAN overlay's internal port.
    const m = buildHost({ name: "h42", address: "198.18.241.1", facts: facts() }, OPTS);
    const names = m.resources.map((r) => r.name);
    expect(names).not.toContain("h42-port-ovs2-gw0");
    expect(names).not.toContain("h42-route-host-198.18.246.0_24-0");
    expect(m.skipped.filter((s) => /management path/.test(s.why)).map((s) => s.what)).toEqual([
      'port "gw0" on bridge "ovs2"',
      "route 198.18.246.0/24 via 198.18.241.2 dev gw0",
    ]);
    const all = buildHost({ name: "h42", address: "198.18.241.1", facts: facts() }, { ...OPTS, includeManagement: true }).resources.map((r) => r.name);
    expect(all).toEqual(expect.arrayContaining(["h42-port-ovs2-gw0", "h42-route-host-198.18.246.0_24-0"]));
  });

  test("a bridge whose flows could not be read: its flows are listed as unread, not taken for none", () => {
    const text = TEXT.replace(/(@@povs-fixture1 flows sw\n)[^]*?(?=@@povs-fixture1 )/, "$1POVS-DUMP-FAILED\n");
    const m = model(parseSnapshot(splitSections(text, "fixture1"), "h42"));
    expect(m.resources.some((r) => r.kind === "FlowEntry" && r.name.startsWith("h42-flow-sw-"))).toBe(false);
    expect(m.skipped).toContainEqual({ what: 'flows of bridge "sw"', why: expect.stringMatching(/dump-flows failed/) });
  });

  test("iptables tables other than nat that hold rules are listed as skipped", () => {
    const f = facts();
    f.otherTables = ["filter", "mangle"];
    expect(model(f).skipped.map((s) => s.what)).toEqual(expect.arrayContaining(['iptables table "filter" of the host', 'iptables table "mangle" of the host']));
  });

  test("a host without OVS: the rest is discovered and the gap is listed", () => {
    const text = TEXT.replace(/@@povs-fixture1 ovs \n[^]*?(?=@@povs-fixture1 links)/, "@@povs-fixture1 no-ovs \n");
    const m = model(parseSnapshot(splitSections(text, "fixture1"), "h42"));
    expect(kinds(m)).toEqual({ NetNamespace: 2, VethPair: 2, Route: 2, NatRule: 1 });
    expect(m.skipped[0]).toEqual({ what: "Open vSwitch", why: expect.stringMatching(/not installed or not running/) });
  });
});

describe("the generated project", () => {
  test("the same bytes for the same host; hosts and host keys in stack config, no secret anywhere", () => {
    const a = projectFiles([model()], project);
    expect(projectFiles([model()], project)).toEqual(a);
    expect(Object.keys(a).sort()).toEqual(["DISCOVERED.md", "Pulumi.dev.yaml", "Pulumi.yaml", "index.ts", "package.json", "tsconfig.json"]);
    expect(a["Pulumi.dev.yaml"]).toBe(`config:\n  discovered:hosts: [{"name":"h42","host":"198.18.0.52","port":22,"user":"povs","hostKey":"ssh-ed25519 AAAAkey"}]\n`);
    expect(a["index.ts"]).toContain('const r_h42_port_sw_v1h = new OvsPort("h42-port-sw-v1h", {\n  connection: host1,\n  bridge: r_h42_br_sw.name,\n  name: r_h42_veth_host_v1h.name,');
    expect(syntaxErrors(a["index.ts"])).toEqual([]);
    expect(a["DISCOVERED.md"]).toContain("Found and declared: 32; skipped: 2; left out by filters: 3.");
  });

  test("hostile names from a host stay inside string literals and escaped comments", () => {
    const hostile = `x"); require("child_process").exec("touch /tmp/pwned"); //\u2028 */ ö 'q' \${1}`;
    const m: HostModel = {
      host: hostile, address: "198.18.0.52", hostname: hostile,
      resources: [{ kind: "OvsBridge", name: `h-br-${hostile}`, args: { name: hostile, externalIds: { [hostile]: hostile }, adopt: true }, notes: [hostile] }],
      skipped: [{ what: hostile, why: hostile }], filtered: 0,
    };
    const code = indexTs([m], project);
    expect(syntaxErrors(code)).toEqual([]);
    // Remove the string literals and comments: what is left is code, and none of it comes from the host.
    const sf = ts.createSourceFile("index.ts", code, ts.ScriptTarget.ES2022);
    const strings: string[] = [];
    const walk = (n: ts.Node) => {
      if (ts.isStringLiteral(n)) strings.push(n.text);
      n.forEachChild(walk);
    };
    walk(sf);
    expect(strings).toEqual(expect.arrayContaining([hostile, `h-br-${hostile}`]));
    const calls: string[] = [];
    const findCalls = (n: ts.Node) => {
      if (ts.isCallExpression(n) || ts.isNewExpression(n)) calls.push(n.expression.getText(sf));
      n.forEachChild(findCalls);
    };
    findCalls(sf);
    expect([...new Set(calls)].sort()).toEqual(["JSON.stringify", "Error", "OvsBridge", "connectionOf", "hosts.find", "hostsFromConfig"].sort());
  });
});
