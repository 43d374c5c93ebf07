import * as path from "node:path";
import { REPO_ROOT, inventory, onHost, uniq } from "../helpers/lab";
import { eventually, pings, tcpWorks } from "../helpers/packets";
import { CliStack, installProject, projectDir } from "./cli";
import { labStackConfig } from "./config";

/**
 * Two workflows users run through the CLI, each on an example project: a reviewed plan applied exactly
 * (`preview --save-plan` + `up --plan`), and state in PostgreSQL (Debian's server, started here on
 * 127.0.0.1 and stopped after), whose lock refuses a second `pulumi up` while one runs.
 */
jest.setTimeout(900_000);

const stacks: CliStack[] = [];
const hi = inventory().hosts.length - 1;
let postgresStarted = false;

afterAll(async () => {
  for (const s of stacks) {
    await s.destroy().catch(() => undefined);
    await s.workspace.removeStack(s.name).catch(() => undefined);
  }
  if (postgresStarted) {
    const { execa } = await import("execa");
    await execa("bash", [path.join(REPO_ROOT, "scripts/postgres.sh"), "stop"]);
  }
});

async function example(name: string, stackName: string, config: Record<string, string | number>, backend?: string): Promise<CliStack> {
  const dir = projectDir(name);
  await installProject(path.join(REPO_ROOT, "examples", name), dir);
  const stack = await CliStack.init(dir, stackName, labStackConfig(config), { backend });
  stacks.push(stack);
  return stack;
}

test("preview --save-plan, then PULUMI_EXPERIMENTAL=true up --plan applies exactly the plan (netns-veth)", async () => {
  const p = `pl${uniq()}`;
  const stack = await example("netns-veth", `plan-${p}`, { prefix: p, host: inventory().hosts[hi].name, pairNet: "198.18.16.0/24", hostNet: "198.18.17.0/24" });
  const plan = path.join(stack.dir, "plan.json");
  const pv = await stack.pulumi(["preview", "--save-plan", plan]);
  expect(pv.stdout).toMatch(/\+ 6 to create/);
  const { execa } = await import("execa");
  const up = await execa("pulumi", ["up", "--plan", plan, "--yes", "--stack", stack.name, "--non-interactive"], { cwd: stack.dir, env: { ...stack.env, PULUMI_EXPERIMENTAL: "true" } });
  expect(up.stdout).toMatch(/\+ 6 created/);
  const ns = (n: string) => `${p}${n}`;
  expect((await onHost(hi, ["ip", "netns", "exec", ns("ns1"), "ping", "-c", "1", "-W", "2", "198.18.16.2"], { reject: false })).exitCode).toBe(0);
  const listener = onHost(hi, ["ip", "netns", "exec", ns("ns2"), "timeout", "6", "nc", "-l", "-p", "5002"], { reject: false });
  await new Promise((r) => setTimeout(r, 400));
  await onHost(hi, ["ip", "netns", "exec", ns("ns1"), "sh", "-c", "echo povs-plan | timeout 4 nc -N -w 2 198.18.16.2 5002"], { reject: false });
  expect((await listener).stdout).toContain("povs-plan");
  expect((await stack.preview({ expectNoChanges: true })).changeSummary).toEqual({ same: 6 });
  expect((await stack.destroy()).summary.result).toBe("succeeded");
  expect((await onHost(hi, ["ip", "netns", "list"])).stdout).not.toContain(p);
});

test("PostgreSQL state backend: up, packets, no drift, destroy; a second concurrent up is refused by the lock", async () => {
  const { execa } = await import("execa");
  const url = (await execa("bash", [path.join(REPO_ROOT, "scripts/postgres.sh"), "start"])).stdout.trim();
  postgresStarted = true;
  expect(url).toMatch(/^postgres:\/\/[^@]+@127\.0\.0\.1:\d+\//);
  const p = `pg${uniq()}`;
  const stack = await example("vlan-single-host", `pg-${p}`, { prefix: p, host: inventory().hosts[hi].name, subnet: "198.18.18.0/24", vlans: "[1500,1600]" }, url);
  expect((await stack.preview()).changeSummary).toEqual({ create: 22 });

  // The first up holds the stack's lock (a row in the backend's table) from before its first step to its end.
  const first = execa("pulumi", ["up", "--yes", "--skip-preview", "--stack", stack.name, "--non-interactive"], { cwd: stack.dir, env: stack.env, reject: false, all: true });
  let seen = "";
  first.all!.on("data", (d: Buffer) => (seen += d.toString()));
  expect(await eventually(async () => /creating/.test(seen), 60)).toBe(true);
  const second = await stack.pulumi(["up", "--yes", "--skip-preview"], { reject: false });
  expect(second.exitCode).not.toBe(0);
  expect(`${second.stdout}${second.stderr}`).toMatch(/the stack is currently locked by 1 lock\(s\)/);
  expect(`${second.stdout}${second.stderr}`).not.toContain(new URL(url).password); // the URL's password is masked in the message
  const done = await first;
  expect(done.exitCode).toBe(0);
  expect(done.all).toMatch(/\+ 22 created/);

  const outputs = await stack.outputs();
  const ctrs = outputs.containers.value as Record<string, { ip: string }>;
  const c = (n: number) => `${p}con${n}`;
  expect(await eventually(() => pings(hi, `docker:${c(1)}`, ctrs[c(2)].ip, 1))).toBe(true);
  expect(await tcpWorks({ listenHost: hi, listenIn: `docker:${c(2)}`, from: hi, fromIn: `docker:${c(1)}`, to: ctrs[c(2)].ip })).toBe(true);
  expect(await pings(hi, `docker:${c(1)}`, ctrs[c(3)].ip, 1)).toBe(false);
  expect((await stack.preview({ refresh: true, expectNoChanges: true })).changeSummary).toEqual({ same: 22 });
  expect((await stack.destroy()).summary.result).toBe("succeeded");
  expect((await onHost(hi, ["ovs-vsctl", "list-br"])).stdout).not.toContain(p);
});
