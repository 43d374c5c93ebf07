import * as fs from "node:fs";
import * as bridge from "../../provider/resources/bridge";
import * as port from "../../provider/resources/port";
import * as vxlan from "../../provider/resources/vxlan";
import * as gre from "../../provider/resources/gre";
import * as netns from "../../provider/resources/netns";
import * as veth from "../../provider/resources/veth";
import * as flow from "../../provider/resources/flow";
import * as container from "../../provider/resources/container";
import { parseConnection } from "../../provider/schema/connection";
import { closeAllHosts, hostFor } from "../../provider/transport/pool";
import { Managed, type ProviderModule } from "../helpers/provider";
import { inventory, labConnection, onHost, uniq } from "../helpers/lab";

/**
 * Issue 7, part 2 — belt and braces on a real host (lab h1). Every hostile value carries a command that would
 * create a canary file under /tmp if any shell ever ran it: `$(touch ...)`, `;touch ...`, backticks, `&&`,
 * `|`, a newline. (The lab hosts share this machine's /tmp: the canary is checked on the host and locally.)
 *   belt:   create/read/update/delete called directly (bypassing check) refuse identifier values: they
 *           re-parse their inputs before any command is built.
 *   braces: free-text values (owner, external_ids, container env/labels) that check accepts do reach the
 *           host, and arrive there byte for byte, as data.
 *   transport: argv elements, batches and stdin pass such strings through literally.
 */

jest.setTimeout(120_000);
const H = 0;
const s = uniq();
const CANARY = `povs-canary-${s}`;
let n = 0;
/** Fresh payloads: each would create its own canary file /tmp/povs-canary-<s>-<k>. */
function payloads(): string[] {
  const f = () => `/tmp/${CANARY}-${n++}`;
  return [`$(touch ${f()})`, `;touch ${f()}`, `\`touch ${f()}\``, `&&touch ${f()}`, `|touch ${f()}`, `\ntouch ${f()}`, `'$(touch ${f()})'`, `";touch ${f()};"`];
}
/** Payloads a free-text input accepts (no control characters: those are refused, see the unit corpus). */
const printable = () => payloads().filter((p) => !p.includes("\n"));

const conn = labConnection(H);
const created: Managed[] = [];
const counts = { beltTried: 0, beltRefused: 0, bracesStoredLiterally: 0, transportLiteral: 0 };

async function canariesOnHost(): Promise<string[]> {
  const r = await onHost(H, ["find", "/tmp", "-maxdepth", "1", "-name", `${CANARY}*`]);
  return r.stdout.split("\n").filter(Boolean);
}
const canariesLocally = () => fs.readdirSync("/tmp").filter((f) => f.startsWith(CANARY));

afterAll(async () => {
  for (const m of created.reverse()) await m.delete().catch(() => undefined);
  await onHost(H, ["docker", "rm", "-f", `cc${s}`], { reject: false });
  for (const b of [`cb${s}`, `cq${s}`]) await onHost(H, ["ovs-vsctl", "--if-exists", "del-br", b], { reject: false });
  closeAllHosts();
  console.log(
    `canary: ${counts.beltRefused}/${counts.beltTried} hostile create/read/update/delete calls refused before any command; ` +
      `${counts.bracesStoredLiterally} free-text payloads stored literally on the host; ${counts.transportLiteral} transport payloads echoed literally; ` +
      `canary files found: ${(await canariesOnHost()).length + canariesLocally().length}`,
  );
});

it("the canary sees a real injection (control: the same payload handed to a shell)", async () => {
  const p = payloads()[0];
  await onHost(H, ["sh", "-c", `true ${p}`]);
  const found = await canariesOnHost();
  expect(found).toHaveLength(1);
  expect(canariesLocally()).toHaveLength(1);
  await onHost(H, ["rm", "-f", "--", ...found]);
  expect(await canariesOnHost()).toEqual([]);
});

describe("belt: provider functions called without check() refuse hostile identifiers", () => {
  const base = (kind: string) => ({ connection: conn, owner: `labtest/canary/${kind}` });
  const targets: [string, ProviderModule, Record<string, unknown>, string[]][] = [
    ["OvsBridge", bridge, { ...base("OvsBridge"), name: `cb${s}`, datapathType: "netdev" }, ["name", "datapathType", "controllers", "externalIds"]],
    ["OvsPort", port, { ...base("OvsPort"), bridge: `cb${s}`, name: `cp${s}`, type: "internal" }, ["bridge", "name", "netns", "addresses", "mac", "options"]],
    ["VxlanTunnel", vxlan, { ...base("VxlanTunnel"), bridge: `cb${s}`, name: `cv${s}`, remoteIp: "198.19.0.12" }, ["bridge", "name", "remoteIp", "localIp"]],
    ["GreTunnel", gre, { ...base("GreTunnel"), bridge: `cb${s}`, name: `cg${s}`, remoteIp: "198.19.0.12" }, ["name", "remoteIp"]],
    ["NetNamespace", netns, { ...base("NetNamespace"), name: `cn${s}` }, ["name", "container"]],
    ["VethPair", veth, { ...base("VethPair"), name: `ce${s}`, peerName: `cf${s}` }, ["name", "peerName", "namespace", "peerNamespace", "addresses", "peerMac"]],
    ["FlowEntry", flow, { ...base("FlowEntry"), bridge: `cb${s}`, match: "ip", actions: "drop" }, ["bridge", "match", "actions"]],
    ["DockerContainer", container, { ...base("DockerContainer"), name: `cc${s}`, image: "pulumi-ovs/busybox:latest" }, ["name", "image", "hostname", "networkMode", "restartPolicy", "capAdd", "env", "labels"]],
  ];
  /** A hostile value in the shape the property takes (list, map key, or plain string). */
  const shaped = (prop: string, p: string): unknown =>
    ["controllers", "addresses", "capAdd"].includes(prop) ? [p] : ["externalIds", "options", "env", "labels"].includes(prop) ? { [p]: "x" } : p;

  for (const [kind, mod, valid, props] of targets) {
    it(`${kind}: ${props.join(", ")}`, async () => {
      for (const prop of props) {
        for (const p of payloads()) {
          const bad = { ...valid, [prop]: shaped(prop, `x${p}`) };
          const calls = [() => mod.create(bad), () => mod.read(`id-${s}`, bad), () => mod.update(`id-${s}`, valid, bad), () => mod.delete(`id-${s}`, bad)];
          for (const call of calls) {
            counts.beltTried++;
            await expect(call()).rejects.toThrow(new RegExp(`invalid inputs: (.*; )?${prop}\\b`));
            counts.beltRefused++;
          }
        }
      }
    });
  }

  it("left no canary on the host or locally", async () => {
    expect(await canariesOnHost()).toEqual([]);
    expect(canariesLocally()).toEqual([]);
  });
});

describe("braces: free-text values reach the host as data, byte for byte", () => {
  const owner = (kind: string) => `labtest/canary-${s}/${kind}/${printable()[0]}${printable()[1]}${printable()[2]}`;
  const note = () => printable().join(" ");

  it("OVS rows, kernel markers, flow cookies and container labels/env carry the payloads literally", async () => {
    const br = new Managed(bridge, { connection: conn, owner: owner("OvsBridge"), name: `cb${s}`, datapathType: "netdev", failMode: "secure", externalIds: { note: note() } });
    created.push(br);
    await br.create();
    const brNote = String(br.inputs.externalIds && (br.inputs.externalIds as Record<string, string>).note);
    const got = (await onHost(H, ["ovs-vsctl", "get", "Bridge", `cb${s}`, "external_ids:note", "external_ids:pulumi-ovs-owner"])).stdout.trim().split("\n");
    expect(got.map((l) => JSON.parse(l))).toEqual([brNote, br.inputs.owner]);
    counts.bracesStoredLiterally += 2;

    const p = new Managed(port, { connection: conn, owner: owner("OvsPort"), bridge: `cb${s}`, name: `cp${s}`, type: "internal", externalIds: { note: note() } });
    created.push(p);
    await p.create();
    const pNote = (p.inputs.externalIds as Record<string, string>).note;
    expect(JSON.parse((await onHost(H, ["ovs-vsctl", "get", "Port", `cp${s}`, "external_ids:note"])).stdout)).toBe(pNote);
    counts.bracesStoredLiterally++;

    for (const [mod, name, kind] of [[vxlan, `cv${s}`, "VxlanTunnel"], [gre, `cg${s}`, "GreTunnel"]] as const) {
      const t = new Managed(mod, { connection: conn, owner: owner(kind), bridge: `cb${s}`, name, remoteIp: "198.19.0.12", key: 77, externalIds: { note: note() } });
      created.push(t);
      await t.create();
      const live = (await onHost(H, ["ovs-vsctl", "get", "Port", name, "external_ids:note", "external_ids:pulumi-ovs-owner"])).stdout.trim().split("\n");
      expect(live.map((l) => JSON.parse(l))).toEqual([(t.inputs.externalIds as Record<string, string>).note, t.inputs.owner]);
      counts.bracesStoredLiterally += 2;
    }

    const ns = new Managed(netns, { connection: conn, owner: owner("NetNamespace"), name: `cn${s}` });
    created.push(ns);
    await ns.create();
    const alias = JSON.parse((await onHost(H, ["ip", "-n", `cn${s}`, "-j", "link", "show", "lo"])).stdout)[0].ifalias;
    expect(alias).toBe(`pulumi-ovs-owner=${ns.inputs.owner}`);
    counts.bracesStoredLiterally++;

    const v = new Managed(veth, { connection: conn, owner: owner("VethPair"), name: `ce${s}`, peerName: "eth0", peerNamespace: `cn${s}`, txChecksumOffload: false });
    created.push(v);
    await v.create();
    const vAlias = JSON.parse((await onHost(H, ["ip", "-j", "link", "show", `ce${s}`])).stdout)[0].ifalias;
    expect(vAlias).toBe(`pulumi-ovs-owner=${v.inputs.owner}`);
    counts.bracesStoredLiterally++;

    const f = new Managed(flow, { connection: conn, owner: owner("FlowEntry"), bridge: `cb${s}`, priority: 7, match: "ip,nw_dst=198.18.77.1", actions: "drop" });
    created.push(f);
    await f.create();
    expect((await onHost(H, ["ovs-ofctl", "dump-flows", `cb${s}`])).stdout).toContain(`cookie=${f.outs.cookie}`);

    const env = printable().join("");
    const cmdArg = printable().join(" "); // $0 of `sh -c`: data, never evaluated
    const label = printable().join("|");
    const c = new Managed(container, {
      connection: conn, owner: owner("DockerContainer"), name: `cc${s}`, image: inventory().dockerImage, command: ["sh", "-c", "sleep 3600", cmdArg],
      env: { PAYLOAD: env }, labels: { "pulumi-ovs.lab": "canary", "com.example.note": label },
    });
    created.push(c);
    await c.create();
    const insp = JSON.parse((await onHost(H, ["docker", "inspect", `cc${s}`])).stdout)[0];
    expect(insp.Config.Env).toContain(`PAYLOAD=${env}`);
    expect(insp.Config.Labels["com.example.note"]).toBe(label);
    expect(insp.Config.Labels["pulumi-ovs-owner"]).toBe(c.inputs.owner);
    expect(insp.Config.Cmd).toEqual(["sh", "-c", "sleep 3600", cmdArg]);
    // Inside the container too, the variable is a string, not something a shell expanded.
    // (Expanding a variable never evaluates its content: "$PAYLOAD" stays the bytes it holds.)
    expect((await onHost(H, ["docker", "exec", `cc${s}`, "sh", "-c", 'printf %s "$PAYLOAD"'])).stdout).toBe(env);
    counts.bracesStoredLiterally += 5;

    // Deleting through the same hostile owners works (ownership compares them literally) and leaves nothing.
    for (const m of created.splice(0).reverse()) await m.delete();
    expect((await onHost(H, ["ovs-vsctl", "list-br"])).stdout).not.toContain(`cb${s}`);
    expect((await onHost(H, ["ip", "netns", "list"])).stdout).not.toContain(`cn${s}`);
    expect((await onHost(H, ["docker", "ps", "-a", "--filter", `name=cc${s}`, "--format", "{{.Names}}"])).stdout.trim()).toBe("");

    expect(await canariesOnHost()).toEqual([]);
    expect(canariesLocally()).toEqual([]);
  });
});

describe("issue 23: prototype-named keys and the largest accepted values on the host", () => {
  it("external_ids keys named like Object.prototype members are set, read back and removed like any key", async () => {
    const PROTO_KEYS = ["constructor", "toString", "valueOf", "hasOwnProperty"];
    const ids = Object.fromEntries([...PROTO_KEYS.map((k) => [k, `v-${k}`]), ["big", "x".repeat(4096)]]);
    const br = new Managed(bridge, { connection: conn, owner: `labtest/canary-${s}/proto`, name: `cq${s}`, datapathType: "netdev", failMode: "secure", externalIds: ids });
    created.push(br);
    await br.create();
    // ovs-vsctl prints a value quoted only when it needs quotes.
    const atom = (t: string) => (t.startsWith('"') ? JSON.parse(t) : t);
    const live = async (k: string) => atom((await onHost(H, ["ovs-vsctl", "--if-exists", "get", "Bridge", `cq${s}`, `external_ids:${k}`])).stdout.trim());
    for (const k of PROTO_KEYS) expect(await live(k)).toBe(`v-${k}`);
    expect(await live("big")).toHaveLength(4096);
    // Read back: values are strings (never a prototype function), and nothing drifted.
    const r = await br.refresh();
    expect(r.inputsReturned).toBe(false);
    for (const v of Object.values(br.outs.externalIds as Record<string, unknown>)) expect(typeof v).toBe("string");
    // Dropped from the program: removed from the host (a `k in obj` test would have kept "constructor").
    await br.up({ ...br.inputs, externalIds: { valueOf: "v-valueOf" } });
    for (const k of ["constructor", "toString", "hasOwnProperty", "big"]) expect(await live(k)).toBe("");
    expect(await live("valueOf")).toBe("v-valueOf");
    await br.delete();
    created.splice(created.indexOf(br), 1);
    counts.bracesStoredLiterally += PROTO_KEYS.length + 1;
  });
});

describe("transport: hostile strings pass through SSH literally", () => {
  it("as argv elements, in a batch, and on stdin; nothing runs", async () => {
    const h = hostFor(parseConnection(conn));
    for (const p of payloads()) {
      expect((await h.run({ argv: ["printf", "%s", p] })).stdout).toBe(p);
      counts.transportLiteral++;
    }
    const batch = payloads();
    const res = await h.runBatch(batch.map((p) => ({ argv: ["printf", "%s", p] })));
    expect(res.map((r) => r?.stdout)).toEqual(batch);
    counts.transportLiteral += batch.length;
    const stdin = payloads().join("\n");
    expect((await h.run({ argv: ["cat"], stdin })).stdout).toBe(stdin);
    const viaBatch = await h.runBatch([{ argv: ["cat"], stdin }, { argv: ["printf", "%s", stdin] }]);
    expect(viaBatch.map((r) => r?.stdout)).toEqual([stdin, stdin]);
    counts.transportLiteral += 3;
    expect(await canariesOnHost()).toEqual([]);
    expect(canariesLocally()).toEqual([]);
  });
});
