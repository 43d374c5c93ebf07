import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO_ROOT, inventory, uniq } from "../helpers/lab";
import { lab, run } from "../helpers/spare";
import { CliStack, installProject } from "./cli";
import { streams, type Stream } from "./discover-streams";

/**
 * Issue 24: hosts built by hand, with the seeds' commands (test/fixtures/discover/brownfield.sh: VXLAN and GRE
 * overlays with internal port + route + MASQUERADE, containers on a VLAN plugged by ovs-docker and pipework-style,
 * a virtual gateway in OpenFlow, br-int/br-tun), on two spare hosts (h42, h43: nobody else's objects). `pulumi-ovs discover`
 * (the installed package's bin) writes the program; through the CLI its preview only adopts, its `up` loses no
 * packet and keeps TCP connections, and afterwards the stack owns the hosts like any other.
 */

jest.setTimeout(900_000);
const S = uniq().slice(0, 2);
const SPARES = ["h42", "h43"];
const NO_OVS = "h44";
const STACK = `disc-${S}`;
const PROJECT = "discovered";
const EXCLUDE = "^(br-ul|ul0|eth1)$"; // the lab's own underlay bridge and NICs
const figures: Record<string, unknown> = {};
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "povs-discover-"));
let bin = "";
let inv = "";
let dir = "";
let stack: CliStack;

const sh = run;
const onSpare = (h: string, ...argv: string[]) => lab("exec", h, "--", ...argv);
const fixture = (name: string) => fs.readFileSync(path.join(REPO_ROOT, "test/fixtures/discover", name), "utf8");
const discover = (...args: string[]) => sh(bin, ["discover", "--project", PROJECT, "--stack", STACK, "--exclude", EXCLUDE, ...args]);
const readDir = (d: string) => Object.fromEntries(fs.readdirSync(d).sort().map((f) => [f, fs.readFileSync(path.join(d, f), "utf8")]));

beforeAll(async () => {
  const hosts = [];
  for (const [i, h] of SPARES.entries()) {
    const up = await lab("spare-up", h);
    if (up.exitCode !== 0) throw new Error(`lab.sh spare-up ${h}: ${up.stderr}`);
    hosts.push(JSON.parse(up.stdout) as { underlayIp: string });
    await onSpare(h, "sh", "-c", fixture("cleanup.sh"), "sh", String(i + 1), S);
  }
  for (const [i, h] of SPARES.entries()) {
    const r = await onSpare(h, "sh", "-c", fixture("brownfield.sh"), "sh", String(i + 1), hosts[1 - i].underlayIp, S);
    if (r.exitCode !== 0) throw new Error(`brownfield.sh on ${h}: ${r.stderr}`);
  }
  inv = path.join(tmp, "inventory.json");
  fs.writeFileSync(inv, JSON.stringify({ hosts: hosts.map((h) => ({ ...h, privateKeyPath: inventory().privateKeyPath })) }));
  // The package as users install it: its bin from a project's node_modules.
  // Project directories of this file's own (the shared povs-e2e-projects directory goes when any e2e run ends).
  const tool = path.join(tmp, "tool");
  await installProject(path.join(REPO_ROOT, "examples/netns-veth"), tool);
  bin = path.join(tool, "node_modules/.bin/pulumi-ovs");
});

afterAll(async () => {
  await stack?.pulumi(["stack", "rm", "--yes", "--force"], { reject: false }).catch(() => undefined);
  for (const [i, h] of SPARES.entries()) {
    await onSpare(h, "sh", "-c", fixture("cleanup.sh"), "sh", String(i + 1), S);
    await lab("spare-down", h);
  }
  await lab("spare-down", NO_OVS);
  fs.rmSync(tmp, { recursive: true, force: true });
  console.log(`discover: ${JSON.stringify(figures)}`);
});

test("discover writes the same project on every run: adopting resources, escaped names, host keys but no secrets, strict types", async () => {
  const t0 = Date.now();
  const r = await discover("--inventory", inv, "--out", path.join(tmp, "out1"));
  figures.discoverSeconds = (Date.now() - t0) / 1000;
  expect(r.exitCode).toBe(0);
  expect((await discover("--inventory", inv, "--out", path.join(tmp, "out2"))).exitCode).toBe(0);
  const files = readDir(path.join(tmp, "out1"));
  expect(readDir(path.join(tmp, "out2"))).toEqual(files);
  expect(Object.keys(files)).toEqual(["DISCOVERED.md", `Pulumi.${STACK}.yaml`, "Pulumi.yaml", "index.ts", "package.json", "tsconfig.json"]);
  const all = Object.values(files).join("\n");
  expect(all).not.toMatch(/PRIVATE KEY|privateKey:/);
  expect(files[`Pulumi.${STACK}.yaml`]).toMatch(/"hostKey":"ssh-ed25519 AAAA[^"]+"/);
  const index = files["index.ts"];
  const count = (kind: string) => (index.match(new RegExp(`= new ${kind}\\(`, "g")) ?? []).length;
  figures.perHost = Object.fromEntries(["OvsBridge", "OvsPort", "VxlanTunnel", "GreTunnel", "FlowEntry", "NetNamespace", "VethPair", "Route", "NatRule", "ContainerAttachment"].map((k) => [k, count(k) / 2]));
  expect(figures.perHost).toEqual({ OvsBridge: 6, OvsPort: 6, VxlanTunnel: 2, GreTunnel: 1, FlowEntry: 8, NetNamespace: 2, VethPair: 2, Route: 2, NatRule: 1, ContainerAttachment: 2 });
  expect((index.match(/^  adopt: true,$/gm) ?? []).length).toBe(2 * Object.values(figures.perHost as Record<string, number>).reduce((a, b) => a + b, 0));
  // The bridge named with quotes and a non-ASCII letter: listed as skipped, escaped, never code.
  expect(index).toContain(`(name "q'\\"ö1")`);
  expect(files["DISCOVERED.md"]).toMatch(/Found and declared: 32; skipped: 2/);
  dir = path.join(tmp, "project");
  await installProject(path.join(tmp, "out1"), dir);
  const tsc = await sh(path.join(dir, "node_modules/.bin/tsc"), ["--noEmit", "--strict", "-p", dir]);
  expect(tsc.stdout + tsc.stderr).toBe("");
});

test("preview only adopts; up loses no packet and keeps TCP connections; refresh-preview is clean; discover --stack gives the same program", async () => {
  expect(dir).not.toBe(""); // the project of the first test
  stack = await CliStack.init(dir, STACK, { privateKey: { value: fs.readFileSync(inventory().privateKeyPath, "utf8"), secret: true } });
  const pv = await stack.preview();
  const creates = pv.changeSummary.create;
  expect(Object.keys(pv.changeSummary).sort()).toEqual(["create"]);
  figures.previewCreates = creates;
  const running: Stream[] = await streams(S, onSpare);
  const icmpFlow = async () => {
    const dump = (await onSpare("h42", "ovs-ofctl", "dump-flows", "sw", "icmp,in_port=1")).stdout;
    return { cookie: /cookie=(0x[0-9a-f]+)/.exec(dump)?.[1], packets: Number(/n_packets=(\d+)/.exec(dump)?.[1] ?? -1) };
  };
  const before = await icmpFlow();
  const t0 = Date.now();
  const up = await stack.up();
  figures.upSeconds = (Date.now() - t0) / 1000;
  expect(up.summary.result).toBe("succeeded");
  expect(Object.keys(up.summary.resourceChanges ?? {}).sort()).toEqual(["create"]);
  const results = [];
  for (const s of running) results.push(await s.stop());
  figures.streams = results;
  // The gateway's ICMP flow was adopted in place: it carries our cookie now, and its counter holds every echo
  // request of the stream that ran through the up (a flow deleted and re-added would have started again at 0).
  const after = await icmpFlow();
  figures.adoptedFlow = { before, after };
  expect(before.cookie).toBe("0x0");
  expect(after.cookie).not.toBe("0x0");
  expect(after.packets).toBeGreaterThanOrEqual(results.find((r) => r.name.startsWith("namespace vm1"))!.received);
  for (const r of results) {
    expect(r).toMatchObject({ lost: 0 });
    expect(r.received).toBeGreaterThan(20);
  }
  expect((await stack.preview({ refresh: true, expectNoChanges: true })).changeSummary).not.toHaveProperty("update");
  const again = path.join(tmp, "after-up");
  expect((await discover("--inventory", inv, "--out", again)).exitCode).toBe(0);
  expect(readDir(again)).toEqual(readDir(path.join(tmp, "out1")));
});

test("a changed tag and a new attachment apply; ovs-docker finds adopted and stack-made attachments; del-port shows on refresh", async () => {
  expect(stack).toBeDefined();
  // The pipework-style attachment never had ovs-docker's marks: the adoption wrote them.
  const setVlan = await onSpare("h43", "ovs-docker", "set-vlan", "dbr", "eth1", `b2${S}`, "10");
  expect(setVlan.stderr).toBe("");
  expect(setVlan.exitCode).toBe(0);
  // The generated program is edited like any other: one VLAN changed, one container plugged in by the stack.
  expect((await onSpare("h42", "docker", "run", "-d", "--net=none", "--name", `c1${S}`, "pulumi-ovs/busybox:latest", "sleep", "3600")).exitCode).toBe(0);
  const index = path.join(dir, "index.ts");
  const text = fs.readFileSync(index, "utf8");
  const changed = text.replace(/(new ContainerAttachment\("h43-att-a2[^]*?vlan: )10,/, "$120,");
  expect(changed).not.toBe(text);
  fs.writeFileSync(index, `${changed}new ContainerAttachment("h42-new", { connection: host1, container: "c1${S}", bridge: r_h42_br_dbr.name, address: "198.18.244.13/24", vlan: 10 });\n`);
  const pv = (await stack.preview()).changeSummary;
  expect(pv).toMatchObject({ update: 1, create: 4 });
  expect(Object.keys(pv).sort()).toEqual(["create", "same", "update"]);
  expect((await stack.up()).summary.result).toBe("succeeded");
  const port = (await onSpare("h43", "ovs-vsctl", "--data=bare", "--no-heading", "--columns=name", "find", "Interface", `external_ids:container_id=a2${S}`)).stdout.trim();
  expect((await onSpare("h43", "ovs-vsctl", "get", "Port", port, "tag")).stdout.trim()).toBe("20");
  expect((await onSpare("h42", "docker", "exec", `a1${S}`, "ping", "-c", "2", "-W", "2", "198.18.244.13")).exitCode).toBe(0);
  // ovs-docker removes the attachment the stack made; refresh sees the port and the veth gone, up plugs it in again.
  const del = await onSpare("h42", "ovs-docker", "del-port", "dbr", "eth1", `c1${S}`);
  expect(del.stderr).toBe("");
  expect(del.exitCode).toBe(0);
  await stack.refresh();
  expect((await stack.preview()).changeSummary).toMatchObject({ create: 2 });
});

test("bad input: an unreachable host is named and no directory is left; a host without OVS gives its other objects", async () => {
  const out = path.join(tmp, "unreachable");
  const h = JSON.parse(fs.readFileSync(inv, "utf8")).hosts[0];
  const r = await sh(bin, ["discover", "--host", "198.18.0.59", "--host-key", h.hostKey, "--user", h.user, "--key", h.privateKeyPath, "--name", "gone", "--dial-timeout", "2", "--out", out]);
  expect(r.exitCode).toBe(2);
  expect(r.stderr).toMatch(/host gone \(povs@198\.18\.0\.59:22\)/);
  expect(fs.existsSync(out)).toBe(false);
  expect(fs.readdirSync(tmp).filter((f) => f.includes(".tmp-"))).toEqual([]);

  const spare = await lab("spare-up", NO_OVS);
  const noOvs = JSON.parse(spare.stdout) as { address: string; user: string; hostKey: string; privateKeyPath: string; dir: string };
  await onSpare(NO_OVS, "sh", "-c", "ip netns add lone && ip link add lone0 type veth peer name eth0 netns lone && ip -n lone addr add 198.18.247.2/24 dev eth0");
  // OVSDB stopped (this spare host's own, by its pidfile; spare-down removes the host afterwards).
  await onSpare(NO_OVS, "sh", "-c", `kill $(cat ${noOvs.dir}/run/ovsdb-server.pid)`);
  const out2 = path.join(tmp, "no-ovs");
  const r2 = await sh(bin, ["discover", "--host", noOvs.address, "--host-key", noOvs.hostKey, "--user", noOvs.user, "--key", noOvs.privateKeyPath, "--name", NO_OVS, "--exclude", EXCLUDE, "--out", out2]);
  expect(r2.stderr).toContain(`${NO_OVS}: 2 resources`);
  const md = fs.readFileSync(path.join(out2, "DISCOVERED.md"), "utf8");
  expect(md).toContain("Open vSwitch: not installed or not running on this host");
  expect(md).toMatch(/\| NetNamespace \| 1 \|[^]*\| VethPair \| 1 \|/);
});
