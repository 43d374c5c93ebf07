import * as fs from "node:fs";
import * as path from "node:path";
import { CliStack, installProject, projectDir } from "../cli";
import { labStackConfig } from "../config";
import { REPO_ROOT, onHost, uniq } from "../../helpers/lab";
import { eventually, pings, tcpWorks } from "../../helpers/packets";
import { expectNoChanges, rebootAndRestore } from "./run";

/**
 * The root stack (the repo's Pulumi.yaml, whose `main` is the directory examples/demo-004/) through the Pulumi
 * CLI, on Node 20 with the pinned SDK: unique names and subnets, all four containers reach
 * each other. (The README's CLI section, run literally on Node 24, deploys the same program as its own project.)
 */
jest.setTimeout(600_000);

const p = `d${uniq()}`;
let stack: CliStack | undefined;

afterAll(async () => {
  await stack?.destroy().catch(() => undefined);
  await stack?.workspace.removeStack(stack.name).catch(() => undefined);
});

test("seed 004 from the repo root: two hosts, ovs1 + ovs2, four containers, VXLAN: everyone reaches everyone (ICMP and TCP)", async () => {
  // The repo root as a user's clone has it: Pulumi.yaml and the program directory it names.
  const src = projectDir("root-src");
  fs.mkdirSync(path.join(src, "examples"), { recursive: true });
  fs.copyFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), path.join(src, "Pulumi.yaml"));
  fs.cpSync(path.join(REPO_ROOT, "examples", "demo-004"), path.join(src, "examples", "demo-004"), { recursive: true, filter: (f) => path.basename(f) !== "node_modules" });
  const dir = projectDir("root");
  await installProject(src, dir, "node20", ["examples/demo-004"]);
  fs.rmSync(src, { recursive: true, force: true });

  stack = await CliStack.init(dir, `demo004-${p}`, labStackConfig({ prefix: p, mgmtNet: "198.19.2", dataNet: "198.18.176", vni: 104 }));
  expect((await stack.preview()).changeSummary).toEqual({ create: 33 });
  const up = await stack.up();
  const ctrs = up.outputs.containers.value as Record<string, { host: string; ip: string }>;
  const idx = (host: string) => Number(host.slice(1)) - 1;
  const names = Object.keys(ctrs);
  expect(names).toHaveLength(4);
  const [a1, , b1, b2] = names;
  expect(await eventually(() => pings(idx(ctrs[a1].host), `docker:${a1}`, ctrs[b1].ip, 1))).toBe(true);
  for (const from of names) for (const to of names) if (from !== to) expect(await pings(idx(ctrs[from].host), `docker:${from}`, ctrs[to].ip, 1)).toBe(true);
  expect(await tcpWorks({ listenHost: idx(ctrs[b2].host), listenIn: `docker:${b2}`, from: idx(ctrs[a1].host), fromIn: `docker:${a1}`, to: ctrs[b2].ip })).toBe(true);
  // Containers reach the other host's gateway through the tunnel.
  expect(await pings(0, `docker:${a1}`, "198.18.176.4", 1)).toBe(true);

  await expectNoChanges({ stack });

  // Both hosts rebooted: the restore brings the gateways' addresses and the containers back, no `up`.
  const rebootedAt = Date.now();
  const { restoreMs } = await rebootAndRestore([0, 1], p);
  expect(await eventually(() => pings(idx(ctrs[a1].host), `docker:${a1}`, ctrs[b1].ip, 1), 20)).toBe(true);
  for (const from of names) for (const to of names) if (from !== to) expect(await pings(idx(ctrs[from].host), `docker:${from}`, ctrs[to].ip, 1)).toBe(true);
  expect(await tcpWorks({ listenHost: idx(ctrs[b2].host), listenIn: `docker:${b2}`, from: idx(ctrs[a1].host), fromIn: `docker:${a1}`, to: ctrs[b2].ip })).toBe(true);
  expect(await pings(0, `docker:${a1}`, "198.18.176.4", 1)).toBe(true);
  await expectNoChanges({ stack }, { refresh: true });
  console.log(`demo-004 after a reboot: restore ${restoreMs} ms; reboot, restore and the proofs again ${Date.now() - rebootedAt} ms`);

  await stack.destroy();
  for (const i of [0, 1]) {
    expect((await onHost(i, ["ovs-vsctl", "list-br"])).stdout).not.toContain(p);
  }
  expect((await onHost(0, ["docker", "ps", "-a", "--format", "{{.Names}}"])).stdout).not.toContain(p);
});
