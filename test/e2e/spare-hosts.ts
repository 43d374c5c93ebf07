import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { installProject, projectDir } from "./cli";
import { REPO_ROOT, inventory } from "../helpers/lab";
import { lab, run } from "../helpers/spare";
import { eventually as pollUntil } from "../helpers/packets";

/**
 * What test/e2e/safe-apply.test.ts does beside the engine on spare lab hosts: commands as root on a host, SSH as
 * an operator, the host's state in a comparable form, revert processes left, packets between containers, and
 * the provider process to kill.
 */

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export { lab, run };
/** Run a shell command as root on a spare host (beside the code under test). */
export const on = async (host: string, script: string) => (await lab("exec", host, "--", "sh", "-c", script)).stdout;

/** A command over SSH from this machine, as an operator would: a fresh connection each time. */
export async function ssh(addr: string, command = "true"): Promise<{ ok: boolean; out: string }> {
  const key = inventory().privateKeyPath;
  const opts = ["-i", key, "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=1"];
  const r = await run("ssh", [...opts, `povs@${addr}`, command], { timeout: 5000 });
  return { ok: r.exitCode === 0, out: r.stdout };
}

/** Everything a revert restores, in a comparable form (OVS config, root-namespace links, addresses, routes, flows). */
export const hostView = (host: string) =>
  on(
    host,
    [
      `for b in $(ovs-vsctl list-br); do echo "bridge $b $(ovs-vsctl get Bridge "$b" datapath_type) ports: $(ovs-vsctl list-ports "$b" | sort | tr '\\n' ' ')"; done`,
      "ovs-vsctl --format=csv --no-headings --columns=name,tag,trunks,vlan_mode,external_ids list Port | sort",
      "ovs-vsctl --format=csv --no-headings --columns=name,type,options,mac,mtu_request,external_ids list Interface | sort",
      "ip -br addr | sort; ip route",
      `for b in $(ovs-vsctl list-br); do echo "flows $b"; ovs-ofctl --no-names dump-flows --no-stats "$b" | grep -v reply | sort; done`,
    ].join("; "),
  );

/** Revert processes (armed or running) in the host's own network namespace, and changes still armed. */
export const leftovers = (host: string) =>
  on(host, `for p in $(pgrep -f 'povs-rever[t]'); do [ "$(readlink /proc/$p/ns/net)" = "$(readlink /proc/self/ns/net)" ] && echo "process $p"; done; ls /run/openvswitch/pulumi-ovs-safe-apply/*/armed 2>/dev/null; true`);

/** ICMP from a container. */
export const pings = async (host: string, ctr: string, to: string) => (await lab("exec", host, "--", "docker", "exec", ctr, "ping", "-c", "2", "-W", "1", "-i", "0.2", to)).exitCode === 0;
/** A TCP message from container `from` to `to:5001`, where container `listen` listens. */
export async function tcp(host: string, listen: string, from: string, to: string): Promise<boolean> {
  const token = `povs-${Math.random().toString(36).slice(2, 10)}`;
  const listener = lab("exec", host, "--", "docker", "exec", listen, "timeout", "8", "nc", "-l", "-p", "5001");
  await sleep(500);
  await lab("exec", host, "--", "docker", "exec", from, "sh", "-c", `for i in 1 2 3 4 5; do echo ${token} | timeout 3 nc -w 2 ${to} 5001 && exit 0; sleep 0.5; done; exit 1`);
  return (await listener).stdout.includes(token);
}

/** Poll every 0.3 s: the revert's timing is measured to within that. */
export const eventually = (probe: () => Promise<boolean>, seconds: number) => pollUntil(probe, seconds, 300);

/** One SSH attempt of a watch: when it started and ended, and whether it got in. */
export interface SshSample {
  start: number;
  end: number;
  ok: boolean;
}

/** Try SSH to `addr` again and again while `fn` runs, and after it until SSH answers (60 s at most). */
export async function watchSsh<T>(addr: string, fn: () => Promise<T>): Promise<{ result: T; samples: SshSample[] }> {
  let done = false;
  const samples: SshSample[] = [];
  const watcher = (async () => {
    const until = () => (done ? Date.now() - (samples.find((x) => !x.ok)?.start ?? 0) < 60_000 : true);
    while (!done || (samples.length > 0 && !samples[samples.length - 1].ok && until())) {
      const start = Date.now();
      const { ok } = await ssh(addr);
      samples.push({ start, end: Date.now(), ok });
      await sleep(200);
    }
  })();
  const result = await fn();
  done = true;
  await watcher;
  return { result, samples };
}

/** The outage that began after `since`: its first failed attempt, and when SSH answered again after it. */
export function outageAfter(samples: readonly SshSample[], since: number): { cutAt?: number; backAt?: number } {
  const cut = samples.find((x) => !x.ok && x.start >= since);
  const back = cut && samples.find((x) => x.ok && x.start > cut.start);
  return { cutAt: cut?.start, backAt: back?.end };
}

/** A project directory running test/e2e/programs/safe-apply.ts through the CLI, installed as users install. */
export async function cliProject(): Promise<string> {
  const src = fs.mkdtempSync(path.join(os.tmpdir(), "povs-sa-src-"));
  const demo = path.join(REPO_ROOT, "examples", "demo-004");
  fs.writeFileSync(path.join(src, "Pulumi.yaml"), "name: pulumi-ovs-e2e-safe-apply\nruntime: nodejs\n");
  fs.copyFileSync(path.join(demo, "package.json"), path.join(src, "package.json"));
  const tsconfig = JSON.parse(fs.readFileSync(path.join(demo, "tsconfig.json"), "utf8")) as { files: string[] };
  fs.writeFileSync(path.join(src, "tsconfig.json"), JSON.stringify({ ...tsconfig, files: ["index.ts", "safe-apply.ts"] }));
  fs.copyFileSync(path.join(REPO_ROOT, "test/e2e/programs/safe-apply.ts"), path.join(src, "safe-apply.ts"));
  fs.writeFileSync(path.join(src, "index.ts"), 'import { program } from "./safe-apply";\nexport = program;\n');
  const dir = projectDir("safe-apply");
  await installProject(src, dir);
  fs.rmSync(src, { recursive: true, force: true });
  return dir;
}

/** The pids of processes started (transitively) by this test process. */
export function descendants(): { pid: number; cmd: string }[] {
  const parent = new Map<number, number>();
  for (const d of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, "utf8");
      parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      /* gone */
    }
  }
  const mine = (p: number): boolean => p === process.pid || (p > 1 && parent.has(p) && mine(parent.get(p)!));
  return [...parent.keys()]
    .filter((p) => p !== process.pid && mine(p))
    .map((pid) => {
      try {
        return { pid, cmd: fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ") };
      } catch {
        return { pid, cmd: "" };
      }
    });
}

/**
 * SIGKILL the provider of the `pulumi up` of `stackName` the moment a change is armed on `host`: the provider is
 * found while the engine starts it, and a loop on the host reports the armed change within milliseconds (a change
 * of one round trip is confirmed a few hundred ms after it is armed).
 */
export async function killWhenArmed(stackName: string, host: string, up: () => Promise<unknown>): Promise<{ killed: number[]; upResult: unknown }> {
  const { execa } = await import("execa");
  const watcher = execa("bash", [path.join(REPO_ROOT, "scripts/lab/lab.sh"), "exec", host, "--", "sh", "-c", 'for i in $(seq 30000); do for f in /run/openvswitch/pulumi-ovs-safe-apply/*/armed; do [ -e "$f" ] && { echo armed; exit 0; }; done; sleep 0.002; done; exit 1'], { reject: false });
  await sleep(300); // the watcher is running on the host
  let providers: number[] = [];
  let killed: number[] = [];
  const armed = new Promise<void>((resolve) => {
    watcher.stdout?.on("data", (d: Buffer) => {
      if (!d.toString().includes("armed")) return;
      for (const pid of providers) process.kill(pid, "SIGKILL");
      killed = providers;
      resolve();
    });
    void watcher.then(() => resolve());
  });
  const upRun = up().then(
    () => "succeeded",
    (e: unknown) => String((e as Error).message),
  );
  for (const until = Date.now() + 60_000; providers.length === 0 && killed.length === 0 && Date.now() < until; ) {
    providers = findProviders(stackName);
    await sleep(50);
  }
  await armed;
  watcher.kill();
  return { killed, upResult: await upRun };
}

/** The dynamic provider processes of the `pulumi up` for `stackName` (descendants of this test process). */
export function findProviders(stackName: string): number[] {
  const procs = descendants();
  const cli = procs.filter((p) => / up /.test(p.cmd) && p.cmd.includes(stackName)).map((p) => p.pid);
  const parents = (pid: number): number[] => {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const pp = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    return pp > 1 ? [pp, ...parents(pp)] : [];
  };
  return procs.filter((p) => /dynamic-provider|pulumi-resource-pulumi-nodejs/.test(p.cmd) && parents(p.pid).some((pp) => cli.includes(pp))).map((p) => p.pid);
}

/** When the latest change on `host` was armed (ms since the epoch; the host shares this machine's clock). */
export async function armedAt(host: string): Promise<number> {
  return Math.round(Number(await on(host, 'd=$(ls -td /run/openvswitch/pulumi-ovs-safe-apply/*/ | head -1); stat -c %.3Y "$d/save.log"')) * 1000);
}
