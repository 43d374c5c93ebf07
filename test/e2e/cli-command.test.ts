import * as fs from "node:fs";
import * as path from "node:path";
import { labStackConfig } from "./config";
import { CliStack, installProject, projectDir } from "./cli";
import { leftovers } from "./examples/run";
import { REPO_ROOT, inventory, onHost, uniq } from "../helpers/lab";

/**
 * The `pulumi-ovs` command ("bin") as a user runs it: the packed package installed in a project of their own
 * (examples/netns-veth), the stack deployed through the Pulumi CLI, then `npx pulumi-ovs ...` in that project
 * directory with the stack's environment: --help, `drift` (0 and "no drift"; drift made by hand on the host:
 * 1 and a list naming the resources; fixed: 0 again), `topology` as Mermaid, and an error (2, naming what failed).
 */
jest.setTimeout(900_000);

const hi = inventory().hosts.length - 1; // the last lab host
let stack: CliStack | undefined;

afterAll(async () => {
  await stack?.destroy().catch(() => undefined);
  await stack?.workspace.removeStack(stack.name).catch(() => undefined);
});

/** `npx pulumi-ovs ARGS` in the project directory with the stack's environment (never fetched: --no-install). */
async function povs(args: string[]): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  const { execa } = await import("execa");
  const env = { ...stack!.env };
  delete env.NODE_OPTIONS; // jest's --experimental-vm-modules is not the user's
  const r = await execa("npx", ["--no-install", "pulumi-ovs", ...args], { cwd: stack!.dir, env, reject: false, extendEnv: false });
  return { stdout: String(r.stdout), stderr: String(r.stderr), exitCode: r.exitCode ?? -1 };
}

test("pulumi-ovs drift and topology from the installed package, in a user's project", async () => {
  const p = `cc${uniq()}`;
  const dir = projectDir("cli-command");
  await installProject(path.join(REPO_ROOT, "examples", "netns-veth"), dir);
  // Installed as a user gets it: node_modules/.bin/pulumi-ovs -> the package's dist/cli/main.js.
  const bin = fs.realpathSync(path.join(dir, "node_modules", ".bin", "pulumi-ovs"));
  expect(path.relative(dir, bin)).toBe(path.join("node_modules", "pulumi-ovs", "dist", "cli", "main.js"));

  const config = { prefix: p, host: inventory().hosts[hi].name, pairNet: "198.18.19.0/24", hostNet: "198.18.20.0/24" };
  stack = await CliStack.init(dir, `cc-${p}`, labStackConfig(config));
  const up = await stack.up();
  expect(up.summary.result).toBe("succeeded");
  const name = stack.name;

  // --help on the command and on each subcommand.
  const help = await povs(["--help"]);
  expect(help.exitCode).toBe(0);
  expect(help.stdout).toMatch(/Usage: pulumi-ovs/);
  expect(help.stdout).toMatch(/drift/);
  expect(help.stdout).toMatch(/topology/);
  const driftHelp = await povs(["drift", "--help"]);
  expect(driftHelp.exitCode).toBe(0);
  expect(driftHelp.stdout).toMatch(/Usage: pulumi-ovs drift/);
  expect(driftHelp.stdout).toContain("--stack <name>");
  const topoHelp = await povs(["topology", "--help"]);
  expect(topoHelp.exitCode).toBe(0);
  expect(topoHelp.stdout).toContain("--format <format>");

  // Freshly deployed: no drift.
  const clean = await povs(["drift", "--stack", name]);
  expect(`${clean.exitCode}\n${clean.stdout}${clean.stderr}`).toBe(`0\nno drift: stack ${name} matches its hosts`); // execa drops the final newline

  // The topology from the stack's state names the namespaces.
  const topo = await povs(["topology", "--stack", name, "--format", "mermaid"]);
  expect(topo.exitCode).toBe(0);
  expect(topo.stdout).toMatch(/^flowchart LR/);
  for (const ns of ["ns1", "ns2", "nstest"]) expect(topo.stdout).toContain(`${p}${ns}`);

  // Drift made by hand: a namespace deleted (its veth pair goes with it), an address removed from a veth end.
  await onHost(hi, ["ip", "netns", "del", `${p}nstest`]);
  await onHost(hi, ["ip", "-n", `${p}ns1`, "addr", "del", "198.18.19.1/24", "dev", "veth-a"]);
  const drift = await povs(["drift", "--stack", name]);
  expect(`${drift.exitCode}\n${drift.stderr}`).toBe("1\n");
  expect(drift.stdout).toMatch(new RegExp(`^DRIFT: \\d+ resource\\(s\\) of stack ${name} no longer match their hosts:`));
  expect(drift.stdout).toMatch(/^ {2}create {3}NetNamespace nstest {2}\(missing on the host\)$/m);
  expect(drift.stdout).toMatch(/^ {2}\S+ +VethPair host-nstest /m);
  expect(drift.stdout).toMatch(/^ {2}update {3}VethPair ns1-ns2 {2}\(.*addresses: .* => \["198\.18\.19\.1\/24"\].*\)$/m);
  expect(drift.stdout).not.toMatch(/NetNamespace ns1|NetNamespace ns2 /);

  // Repaired: no drift again.
  await stack.up({}, ["--refresh"]);
  const repaired = await povs(["drift", "--stack", name]);
  expect(`${repaired.exitCode}\n${repaired.stdout}`).toBe(`0\nno drift: stack ${name} matches its hosts`); // execa drops the final newline

  // An error is exit 2 with what failed and pulumi's own message.
  const missing = await povs(["drift", "--stack", `${name}-nope`]);
  expect(missing.exitCode).toBe(2);
  expect(missing.stdout).toBe("");
  expect(missing.stderr).toContain(`pulumi preview --refresh --diff --json --stack ${name}-nope --non-interactive failed`);
  expect(missing.stderr).toMatch(/no stack named|not found/i);

  const d = await stack.destroy();
  expect(d.summary.result).toBe("succeeded");
  expect(await leftovers(p)).toEqual([]);
  await stack.workspace.removeStack(name);
  stack = undefined;
});
