import * as fs from "node:fs";
import { programModule, stackFor, type StackHandle, stepTimer } from "./harness";
import { labStackConfig } from "./config";
import { inventory, labPassword, onHost, uniq } from "../helpers/lab";
import { eventually, pings, tcpWorks } from "../helpers/packets";

/**
 * The real engine end to end on two lab hosts: preview, up, packets, no-change preview, in-place update and
 * replacement shown as a reviewer reads them, drift made by hand -> refresh -> up repairs, a drift check,
 * destroy to a clean host, and a state file without secrets.
 */
jest.setTimeout(600_000);

const s = uniq();
const { timings, timed } = stepTimer();
let handle: StackHandle;
const before: string[] = [];

async function hostFingerprint(i: number): Promise<string> {
  const br = (await onHost(i, ["ovs-vsctl", "list-br"])).stdout.trim();
  const ns = (await onHost(i, ["ip", "netns", "list"])).stdout.replace(/ \(id: \d+\)/g, "").trim();
  const links = (await onHost(i, ["ip", "-o", "link", "show"])).stdout.split("\n").map((l) => l.split(":")[1]?.trim().split("@")[0]).sort().join(" ");
  return `bridges: ${br}\nnetns: ${ns}\nlinks: ${links}`;
}

const config = () => labStackConfig({ suffix: s, tagB: 100, internalPort: `ip1${s}` });
const quiet = { onOutput: () => undefined };

beforeAll(async () => {
  before[0] = await hostFingerprint(0);
  before[1] = await hostFingerprint(1);
  const program = (await programModule<{ program: () => Promise<Record<string, unknown>> }>("programs/all-seven.js")).program;
  handle = await stackFor(`all7-${s}`, program, config());
});

afterAll(async () => {
  await handle?.stack.destroy(quiet).catch(() => undefined);
  await handle?.stack.workspace.removeStack(handle.stack.name).catch(() => undefined);
  console.log(`e2e step timings (ms): ${JSON.stringify(timings)}`);
});

test("1. a preview of the empty stack lists every resource to create", async () => {
  const pv = await timed("preview-empty", () => handle.stack.preview({ diff: true }));
  for (const t of ["OvsBridge", "OvsPort", "VxlanTunnel", "NetNamespace", "VethPair", "FlowEntry", "DockerContainer", "ContainerAttachment"]) {
    expect(pv.stdout).toMatch(new RegExp(`\\+ .*(dynamic/ovs|pulumi-ovs:index):${t}`));
  }
  expect(pv.changeSummary.create).toBeGreaterThanOrEqual(20);
});

test("2. up creates everything; packets prove it (VLANs, VXLAN, flows, TCP and ICMP)", async () => {
  const up = await timed("up", () => handle.stack.up(quiet));
  expect(up.summary.result).toBe("succeeded");
  const ns = (k: string) => `ns${k}${s}`;
  expect(await pings(0, ns("a"), "198.18.140.2")).toBe(true); // same VLAN, same host
  expect(await tcpWorks({ listenHost: 0, listenIn: ns("b"), from: 0, fromIn: ns("a"), to: "198.18.140.2" })).toBe(true);
  expect(await pings(0, ns("a"), "198.18.140.3", 3)).toBe(true); // same VLAN over VXLAN to h2
  expect(await tcpWorks({ listenHost: 1, listenIn: ns("c"), from: 0, fromIn: ns("a"), to: "198.18.140.3" })).toBe(true);
  expect(await pings(0, ns("a"), "198.18.140.4", 1)).toBe(false); // the container is on VLAN 200
  expect(await tcpWorks({ listenHost: 0, listenIn: ns("b"), from: 0, fromIn: ns("a"), to: "198.18.140.2", port: 7777 })).toBe(false); // dropped by the flow
});

test("3. a second preview shows no changes", async () => {
  const pv = await timed("preview-nochange", () => handle.stack.preview({ diff: true }));
  expect(pv.changeSummary).toEqual({ same: pv.changeSummary.same });
});

test("4. an in-place field and a replace-only field show as a reviewer reads them, and up applies exactly that", async () => {
  await handle.stack.setAllConfig({ ...config(), tagB: { value: "200" }, internalPort: { value: `ip2${s}` } });
  const pv = await timed("preview-diff", () => handle.stack.preview({ diff: true }));
  expect(pv.stdout).toMatch(/~ pulumi-nodejs:dynamic\/ovs:OvsPort: \(update\)[\s\S]*?\[urn=.*port-b\][\s\S]*?~ tag\s*: 100 => 200/);
  expect(pv.stdout).toMatch(/\+-pulumi-nodejs:dynamic\/ovs:OvsPort: \(replace\)[\s\S]*?\[urn=.*internal\][\s\S]*?~ name\s*: "ip1\w+" => "ip2\w+"/);
  expect(pv.changeSummary).toMatchObject({ update: 1, replace: 1 });
  const up = await timed("up-update", () => handle.stack.up(quiet));
  expect(up.summary.resourceChanges).toMatchObject({ update: 1, replace: 1 });
  expect((await onHost(0, ["ovs-vsctl", "get", "Port", `vb${s}`, "tag"])).stdout.trim()).toBe("200");
  expect((await onHost(0, ["ovs-vsctl", "list-ports", `e1${s}`])).stdout).toContain(`ip2${s}`);
  expect((await onHost(0, ["ovs-vsctl", "list-ports", `e1${s}`])).stdout).not.toContain(`ip1${s}`);
  expect(await pings(0, `nsa${s}`, "198.18.140.2", 1)).toBe(false); // nsb is on VLAN 200 now
  await handle.stack.setAllConfig(config());
  await handle.stack.up(quiet);
  expect(await pings(0, `nsa${s}`, "198.18.140.2")).toBe(true);
});

test("5. drift made by hand: refresh reports it, a drift check fails, up repairs it", async () => {
  // A flow deleted, a tag changed, a veth deleted.
  const flowCookie = (await handle.stack.outputs()).flowCookie.value as string;
  await onHost(0, ["ovs-ofctl", "del-flows", `e1${s}`, `cookie=${flowCookie}/-1`]);
  await onHost(0, ["ovs-vsctl", "set", "Port", `va${s}`, "tag=999"]);
  await onHost(1, ["ip", "link", "del", `vc${s}`]);

  // The drift check a scheduled CI job runs: `pulumi preview --refresh --expect-no-changes`.
  await expect(handle.stack.preview({ refresh: true, expectNoChanges: true })).rejects.toThrow();

  const rf = await timed("refresh", () => handle.stack.refresh({ onOutput: () => undefined }));
  // The flow and the veth are gone; the OVS port on the deleted veth is reported gone too (its binding is stale).
  expect(rf.summary.resourceChanges).toMatchObject({ update: 1, delete: 3 });
  const pv = await handle.stack.preview({ diff: true });
  expect(pv.stdout).toMatch(/~ tag\s*: 999 => 100/);
  expect(pv.changeSummary).toMatchObject({ create: 3, update: 1 });

  await timed("up-repair", () => handle.stack.up(quiet));
  expect(await pings(0, `nsa${s}`, "198.18.140.2")).toBe(true);
  expect(await eventually(() => pings(0, `nsa${s}`, "198.18.140.3", 1))).toBe(true);
  expect(await tcpWorks({ listenHost: 1, listenIn: `nsc${s}`, from: 0, fromIn: `nsa${s}`, to: "198.18.140.3" })).toBe(true);
  expect(await tcpWorks({ listenHost: 0, listenIn: `nsb${s}`, from: 0, fromIn: `nsa${s}`, to: "198.18.140.2", port: 7777 })).toBe(false);
  // And the drift check passes again.
  await handle.stack.preview({ refresh: true, expectNoChanges: true });
});

test("7. the exported state has short __provider stubs and no key or password in plaintext", async () => {
  const exported = (await handle.cli(["stack", "export", "--show-secrets=false"])).stdout;
  const state = JSON.parse(exported) as { deployment: { resources: { type: string; outputs?: Record<string, unknown> }[] } };
  const dynamicRes = state.deployment.resources.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/ovs:"));
  expect(dynamicRes.length).toBeGreaterThanOrEqual(15);
  for (const r of dynamicRes) {
    const stub = String(r.outputs?.__provider ?? "");
    expect(stub).toMatch(/require\("pulumi-ovs\/provider\/resources\/\w+"\)/);
    expect(stub.length).toBeLessThan(1024);
  }
  const key = fs.readFileSync(inventory().privateKeyPath, "utf8");
  for (const line of key.split("\n").filter((l) => l.length > 20 && !l.startsWith("-----"))) expect(exported).not.toContain(line);
  expect(exported).not.toContain(labPassword());
});

test("6. destroy leaves both hosts as they were before the stack", async () => {
  const d = await timed("destroy", () => handle.stack.destroy(quiet));
  expect(d.summary.result).toBe("succeeded");
  expect(await hostFingerprint(0)).toEqual(before[0]);
  expect(await hostFingerprint(1)).toEqual(before[1]);
  const containers = (await onHost(0, ["docker", "ps", "-a", "--filter", `name=ct${s}`, "--format", "{{.Names}}"])).stdout.trim();
  expect(containers).toBe("");
});
