import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO_ROOT, inventory, onHost } from "../helpers/lab";
import { eventually, pings, tcpWorks } from "../helpers/packets";
import { NODE24, nodeBin } from "./cli";

/**
 * The README's CLI section, pasted command by command into a fresh clone of this repository (the tracked and
 * untracked files of the working tree, nothing built), as a new user on Node 24 runs it. The only changes
 * are the lab's addresses, user and host keys for the placeholders; the key file is put where the README
 * reads it (~/.ssh/id_ed25519 of a scratch HOME), and ~/.pulumi (the local backend) is a scratch directory.
 * After `pulumi up`, packets prove the demo.
 */
jest.setTimeout(1_200_000);

const README = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");

/** The fenced block after the `cli-section` marker, one command a line. */
function cliSection(): string[] {
  const at = README.indexOf("<!-- cli-section");
  const block = /```sh\n([\s\S]*?)```/.exec(README.slice(at));
  if (at < 0 || !block) throw new Error("README.md has no <!-- cli-section --> block");
  return block[1].split("\n").filter((l) => l.trim() !== "");
}

function substitute(lines: string[]): string[] {
  const hosts = inventory().hosts;
  const subs: [string, string][] = [
    ["'hosts[0].host' 198.18.0.11", `'hosts[0].host' ${hosts[0].address}`],
    ["'hosts[1].host' 198.18.0.12", `'hosts[1].host' ${hosts[1].address}`],
    ["'hosts[0].user' ops", `'hosts[0].user' ${hosts[0].user}`],
    ["'hosts[1].user' ops", `'hosts[1].user' ${hosts[1].user}`],
    ['"ssh-ed25519 AAAA...host-1"', `"${hosts[0].hostKey}"`],
    ['"ssh-ed25519 AAAA...host-2"', `"${hosts[1].hostKey}"`],
  ];
  let text = lines.join("\n");
  for (const [from, to] of subs) {
    expect(text).toContain(from);
    text = text.split(from).join(to);
  }
  return text.split("\n");
}

/**
 * One bash, fed a command at a time; each command's exit status comes back after a marker line. It runs in a
 * mount namespace of its own where `pulumiDir` is bind-mounted over the user's ~/.pulumi: `pulumi login
 * --local` means the passwd home's ~/.pulumi (not $HOME's), and this run's state must stay apart from the
 * machine's.
 */
function shell(cwd: string, env: Record<string, string>, pulumiDir: string) {
  const real = path.join(os.userInfo().homedir, ".pulumi");
  fs.mkdirSync(real, { recursive: true });
  const isolate = `mount --bind "$1" "$2" && exec bash --noprofile --norc`;
  const sh = spawn("unshare", ["--mount", "--propagation", "private", "bash", "-c", isolate, "isolate", pulumiDir, real], { cwd, env, stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  let waiting: ((rc: number) => void) | undefined;
  const onData = (d: Buffer) => {
    out += d.toString();
    const m = /__povs_done (\d+)\n/.exec(out);
    if (m && waiting) {
      const w = waiting;
      waiting = undefined;
      w(Number(m[1]));
    }
  };
  sh.stdout.on("data", onData);
  sh.stderr.on("data", (d: Buffer) => (out += d.toString()));
  return {
    async run(line: string): Promise<{ rc: number; output: string }> {
      out = "";
      const rc = await new Promise<number>((resolve) => {
        waiting = resolve;
        sh.stdin.write(`${line}\necho "__povs_done $?"\n`);
      });
      return { rc, output: out.replace(/__povs_done \d+\n/, "") };
    },
    close: () => sh.stdin.end(),
  };
}

let clone = "";
afterAll(() => {
  if (clone) fs.rmSync(clone, { recursive: true, force: true });
});

test("README: the CLI section, pasted into a fresh clone on Node 24, deploys the demo (33 resources), which passes packets, shows no drift and destroys", async () => {
  clone = fs.mkdtempSync(path.join(os.tmpdir(), "povs-readme-"));
  const repo = path.join(clone, "pulumi-ovs");
  const files = execFileSync("git", ["ls-files", "-co", "--exclude-standard", "-z"], { cwd: REPO_ROOT }).toString().split("\0").filter(Boolean);
  for (const f of files) {
    if (!fs.existsSync(path.join(REPO_ROOT, f))) continue; // deleted in the working tree
    fs.mkdirSync(path.dirname(path.join(repo, f)), { recursive: true });
    fs.copyFileSync(path.join(REPO_ROOT, f), path.join(repo, f));
  }
  const home = path.join(clone, "home");
  fs.mkdirSync(path.join(home, ".ssh"), { recursive: true, mode: 0o700 });
  fs.copyFileSync(inventory().privateKeyPath, path.join(home, ".ssh", "id_ed25519"));

  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^(PULUMI_|npm_|NODE_OPTIONS|JEST)/.test(k)) env[k] = v;
  Object.assign(env, {
    HOME: home,
    PATH: `${await nodeBin("node24")}:${process.env.PATH}`,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    npm_config_cache: path.join(os.homedir(), ".npm"), // the machine's npm cache: the same packages, fetched once
    npm_config_update_notifier: "false",
  });
  expect(execFileSync("node", ["--version"], { env }).toString().trim()).toBe(`v${NODE24}`);

  const pulumiDir = path.join(clone, "dot-pulumi");
  fs.mkdirSync(pulumiDir);
  const sh = shell(repo, env, pulumiDir);
  const log: string[] = [];
  try {
    for (const line of substitute(cliSection())) {
      const { rc, output } = await sh.run(line);
      log.push(`$ ${line}\n${output}`);
      if (rc !== 0) throw new Error(`README command failed (exit ${rc}): ${line}\n${log.join("\n").slice(-8000)}`);
      if (/^pulumi preview --diff/.test(line)) expect(output).toMatch(/\+ 33 to create/);
      if (/^pulumi up/.test(line)) await demoPasses();
      if (/^pulumi preview --refresh --expect-no-changes/.test(line)) expect(output).toMatch(/33 unchanged/);
    }
  } finally {
    await sh.run("pulumi destroy --yes --non-interactive >/dev/null 2>&1 || true").catch(() => undefined);
    sh.close();
  }
  // Destroyed: neither bridge nor container of the demo is left.
  for (const i of [0, 1]) expect((await onHost(i, ["ovs-vsctl", "list-br"])).stdout.split("\n")).not.toContain("ovs2");
  expect((await onHost(0, ["docker", "ps", "-a", "--filter", "label=pulumi-ovs.demo=004", "--format", "{{.Names}}"])).stdout.trim()).toBe("");
});

/** The demo's containers (default names a1, a2 on h1; b1, b2 on h2) reach each other across the tunnel. */
async function demoPasses(): Promise<void> {
  const ip = { a1: "198.18.160.5", a2: "198.18.160.6", b1: "198.18.160.8", b2: "198.18.160.9" };
  expect(await eventually(() => pings(0, "docker:a1", ip.b1, 1))).toBe(true);
  expect(await pings(1, "docker:b2", ip.a2, 1)).toBe(true);
  expect(await tcpWorks({ listenHost: 1, listenIn: "docker:b2", from: 0, fromIn: "docker:a1", to: ip.b2 })).toBe(true);
}
