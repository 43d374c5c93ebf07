import * as path from "node:path";
import { labStackConfig } from "../config";
import { CliStack, installProject, projectDir, type Runtime } from "../cli";
import { REPO_ROOT, inventory, onHost } from "../../helpers/lab";
import { lab } from "../../helpers/spare";

/** An example's stack, driven through the Pulumi CLI in the example's own project directory. */
export interface ExampleHandle {
  stack: CliStack;
}

/**
 * One example as a user runs it: its directory copied and `npm install`ed (pulumi-ovs from the packed
 * tarball), `pulumi stack init`, config set, `pulumi preview` (it must create exactly `creates` resources,
 * the Stack included: never the Stack alone), `pulumi up`. The test then runs the example's packet proofs,
 * a no-change preview and a destroy that leaves nothing carrying its unique prefix on any lab host.
 */
export async function deployExample(
  name: string,
  stackName: string,
  config: Record<string, string | number>,
  opts: { creates: number; runtime?: Runtime },
): Promise<{ handle: ExampleHandle; outputs: Record<string, unknown> }> {
  const dir = projectDir(name);
  await installProject(path.join(REPO_ROOT, "examples", name), dir, opts.runtime);
  const stack = await CliStack.init(dir, stackName, labStackConfig(config), { runtime: opts.runtime });
  expect((await stack.preview()).changeSummary).toEqual({ create: opts.creates });
  const up = await stack.up();
  const outputs = Object.fromEntries(Object.entries(up.outputs).map(([k, v]) => [k, v.value]));
  return { handle: { stack }, outputs };
}

/**
 * `pulumi preview --expect-no-changes` (with `refresh`: `--refresh` too, so what the hosts hold is compared with
 * the stack): exits non-zero on any change; the summary says every resource is unchanged.
 */
export async function expectNoChanges(handle: ExampleHandle, opts: { refresh?: boolean } = {}): Promise<void> {
  const pv = await handle.stack.preview({ expectNoChanges: true, refresh: opts.refresh });
  expect(Object.keys(pv.changeSummary)).toEqual(["same"]);
}

/**
 * A reboot of the example's hosts and the restore bringing its network back without any `pulumi up`
 * (docs/reboot.md): `lab.sh reboot` of each host (namespaces, links, flows, iptables rules, added routes and
 * addresses gone; OVSDB and the host's boot configuration kept), the example's containers restarted (as docker
 * restarts those with a restart policy at boot), then the restore unit's ExecStart run inside each host, side by
 * side as hosts booting together would. The caller then proves its packets again, and `expectNoChanges(handle, { refresh: true })`.
 * The hosts are the shared lab's (--force): the e2e files run one at a time, and this one's stack is all there is.
 */
export async function rebootAndRestore(hostIdxs: readonly number[], prefix: string): Promise<{ restoreMs: number }> {
  const names = hostIdxs.map((i) => inventory().hosts[i].name);
  for (const h of names) expect((await lab("reboot", h, "--force")).exitCode).toBe(0);
  const ctrs = (await onHost(0, ["docker", "ps", "-aq", "--filter", `name=${prefix}`])).stdout.split("\n").filter(Boolean);
  if (ctrs.length > 0) await onHost(0, ["docker", "restart", "-t", "0", ...ctrs]);
  const t0 = Date.now();
  const runs = await Promise.all(names.map((h) => lab("exec", h, "--", "/bin/sh", "/var/lib/pulumi-ovs/restore.sh")));
  const restoreMs = Date.now() - t0;
  runs.forEach((r, k) => expect({ host: names[k], code: r.exitCode, last: r.stdout.trim().split("\n").pop() }).toEqual({ host: names[k], code: 0, last: expect.stringMatching(/pulumi-ovs-restore: done$/) }));
  return { restoreMs };
}

/** Everything on every lab host whose name contains `prefix`. */
export async function leftovers(prefix: string): Promise<string[]> {
  const found: string[] = [];
  for (let i = 0; i < inventory().hosts.length; i++) {
    const br = (await onHost(i, ["ovs-vsctl", "list-br"])).stdout;
    const ports = (await onHost(i, ["ovs-vsctl", "--format=csv", "--no-headings", "--columns=name", "list", "Port"])).stdout;
    const ns = (await onHost(i, ["ip", "netns", "list"])).stdout;
    const links = (await onHost(i, ["ip", "-o", "link", "show"])).stdout;
    for (const line of [...br.split("\n"), ...ports.split("\n"), ...ns.split("\n"), ...links.split("\n")]) {
      if (line.includes(prefix)) found.push(`host ${i + 1}: ${line.trim()}`);
    }
  }
  const ctrs = (await onHost(0, ["docker", "ps", "-a", "--format", "{{.Names}}"])).stdout;
  for (const c of ctrs.split("\n")) if (c.includes(prefix)) found.push(`container ${c}`);
  return found;
}

export async function destroyAndCheckClean(handle: ExampleHandle, prefix: string): Promise<void> {
  const d = await handle.stack.destroy({ onOutput: () => undefined });
  expect(d.summary.result).toBe("succeeded");
  expect(await leftovers(prefix)).toEqual([]);
  await handle.stack.workspace.removeStack(handle.stack.name);
}

/** Which of `names` (interfaces or namespaces, e.g. ContainerAttachment's hashed pv…/ctr-… names) exist on host #i. */
export async function present(i: number, names: string[]): Promise<string[]> {
  const text = `${(await onHost(i, ["ip", "-o", "link", "show"])).stdout}\n${(await onHost(i, ["ip", "netns", "list"])).stdout}`;
  return names.filter((n) => new RegExp(`(^|[\\s:])${n}([\\s:@]|$)`, "m").test(text));
}

/** Flows carrying any of `cookies`, on any bridge of host #i (bridges of every OpenFlow version). */
export async function flowsWithCookies(i: number, cookies: string[]): Promise<string[]> {
  const versions = "OpenFlow10,OpenFlow11,OpenFlow12,OpenFlow13,OpenFlow14,OpenFlow15";
  const all = (await onHost(i, ["sh", "-c", `for b in $(ovs-vsctl list-br); do ovs-ofctl -O ${versions} dump-flows "$b" 2>/dev/null; done`])).stdout;
  return all.split("\n").filter((l) => cookies.some((c) => l.includes(`cookie=${c},`)));
}

/** Lab hosts whose trunk NIC is on no bridge now (last host first: the others are busier). */
async function hostsWithFreeTrunk(): Promise<number[]> {
  const hosts = inventory().hosts;
  const free: number[] = [];
  for (let i = hosts.length - 1; i >= 0; i--) {
    const r = await onHost(i, ["ovs-vsctl", "port-to-br", hosts[i].trunkNic], { reject: false });
    if (r.exitCode !== 0) free.push(i);
  }
  return free;
}

/** Two lab hosts (indexes, ascending) whose trunk NIC (eth1, shared lab equipment) no bridge holds. */
export async function waitForTwoFreeTrunks(seconds = 300): Promise<[number, number]> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const free = await hostsWithFreeTrunk();
    if (free.length >= 2) return [Math.min(free[0], free[1]), Math.max(free[0], free[1])];
    if (Date.now() > deadline) throw new Error(`no two lab hosts with a free trunk NIC after ${seconds}s (free: ${free.map((i) => inventory().hosts[i].name).join(", ") || "none"})`);
    await new Promise((r) => setTimeout(r, 5000));
  }
}

/** Packets our MASQUERADE rule for `subnet` on host #i has matched (first packets of connections). */
export async function masqueraded(i: number, subnet: string): Promise<number> {
  const r = await onHost(i, ["iptables", "-w", "5", "-t", "nat", "-L", "POSTROUTING", "-v", "-x", "-n"]);
  const line = r.stdout.split("\n").find((l) => l.includes("MASQUERADE") && l.includes(subnet) && l.includes("pulumi-ovs-owner="));
  if (!line) throw new Error(`no MASQUERADE rule for ${subnet} on host ${i + 1}:\n${r.stdout}`);
  return Number(line.trim().split(/\s+/)[0]);
}

/** TTL of the echo reply `from` (a container on host #i) gets from `to`: 64 minus the routers on the way. */
export async function replyTtl(i: number, from: string, to: string): Promise<number | undefined> {
  const r = await onHost(i, ["docker", "exec", from.slice(7), "ping", "-c", "1", "-W", "2", to], { reject: false });
  const m = /ttl=(\d+)/.exec(r.stdout);
  return m ? Number(m[1]) : undefined;
}
