import * as fs from "node:fs";
import * as path from "node:path";
import { BACKEND, programModule, stackFor, type StackHandle } from "./harness";
import { labStackConfig } from "./config";
import { inventory, labHost, labPassword, onHost, uniq } from "../helpers/lab";

/**
 * Issue 7, part 3, through the real engine: host key verification is on by default and a mismatch names both
 * fingerprints; the loudly named opt-out works; and after deployments with a private key and with a password,
 * nothing a user or an operator could see — the CLI's output with debug logging at verbosity 9 (stdout,
 * stderr, engine events), previews, errors of operations that failed on purpose, `stack export`, the state
 * backend's files — contains key or password material.
 *
 * One exception is the Pulumi CLI's own: at -v=9 the engine (3.248, pinned here) logs every resource's and the
 * provider config's property values, secrets included (its "Marshaling property for RPC" records). That is no
 * output of pulumi-ovs, affects every provider, and is fixed upstream (newer CLIs redact secret property values
 * in logs: pulumi/pulumi#23931, `--logsecrets` to opt back in). Those records are counted apart; the last test
 * shows the configuration that keeps even them clean on this CLI: the key in an ssh-agent (agentSocketPath).
 */

jest.setTimeout(600_000);
const s = uniq();
type Program = { program: () => Promise<Record<string, unknown>> };

/** Everything the tests saw, by where it came from (streamed chunks of one source are joined before scanning). */
const seen = new Map<string, string[]>();
const record = (source: string, text: unknown) => {
  if (!seen.has(source)) seen.set(source, []);
  seen.get(source)!.push(typeof text === "string" ? text : JSON.stringify(text));
};

/** A record of the engine's own verbose log (--logtostderr): {"time":...,"level":...,"msg":...}. */
const isEngineLog = (line: string) => /^\s*\{"time":"[^"]*","level":"[A-Z]+","msg":/.test(line);

interface Scan {
  bytes: number;
  sources: number;
  /** Hits outside the engine's verbose log records: output, errors, events, exports, state files. */
  found: string[];
  /** Hits inside the engine's verbose log records (property dumps at -v=9). */
  engineLog: string[];
}

/** Look for every secret in every line of what was recorded under sources starting with `prefix`. */
function scan(prefix = ""): Scan {
  const secrets = secretMaterial();
  const out: Scan = { bytes: 0, sources: 0, found: [], engineLog: [] };
  for (const [source, chunks] of seen) {
    if (!source.startsWith(prefix)) continue;
    out.sources++;
    const text = chunks.join("");
    out.bytes += text.length;
    for (const line of text.split("\n")) {
      // Never print the material itself: which secret (by index) and where.
      secrets.forEach((sec, k) => {
        if (!line.includes(sec)) return;
        const what = `${source}: ${k === secrets.length - 1 ? "password" : `private key line ${k + 1}`}`;
        (isEngineLog(line) ? out.engineLog : out.found).push(what);
      });
    }
  }
  return out;
}
const handles: StackHandle[] = [];
let agent: { pid: number; socket: string } | undefined;

/** Key and password material: every private key line longer than 16 characters, and the password. */
function secretMaterial(): string[] {
  const key = fs.readFileSync(inventory().privateKeyPath, "utf8");
  return [...key.split("\n").map((l) => l.trim()).filter((l) => l.length > 16), labPassword()];
}

/** Debug-level options for an operation, collecting everything it prints and every engine event. */
function loud(source: string) {
  return {
    debug: true,
    logVerbosity: 9,
    logToStdErr: true,
    onOutput: (o: string) => record(`${source}: stdout`, o),
    onError: (e: string) => record(`${source}: stderr`, e),
    onEvent: (ev: unknown) => record(`${source}: event`, ev),
  };
}

async function expectFailure(source: string, op: () => Promise<unknown>): Promise<string> {
  try {
    await op();
  } catch (e) {
    const text = String((e as Error).message ?? e);
    record(`${source}: error`, text);
    return text;
  }
  throw new Error(`${source} was expected to fail`);
}

async function newStack(name: string, config: Record<string, { value: string; secret?: boolean }>): Promise<StackHandle> {
  const { program } = await programModule<Program>("programs/secrets.js");
  const h = await stackFor(`${name}-${s}`, program, config);
  handles.push(h);
  return h;
}

/** The state backend's files of our stacks (checkpoints, history, backups). */
function backendFiles(): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.existsSync(d) ? fs.readdirSync(d, { withFileTypes: true }) : []) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.includes(`-${s}`)) out.push(p);
    }
  };
  walk(BACKEND);
  return out;
}

afterAll(async () => {
  if (agent) {
    process.kill(agent.pid);
    fs.rmSync(path.dirname(agent.socket), { recursive: true, force: true });
  }
  for (const h of handles) {
    await h.stack.destroy({ onOutput: () => undefined }).catch(() => undefined);
    await h.stack.workspace.removeStack(h.stack.name).catch(() => undefined);
  }
});

test("host key verification is on by default: a mismatch fails `up` naming expected and offered fingerprints", async () => {
  const [h1, h2] = [labHost(0), labHost(1)];
  const h = await newStack("hk", labStackConfig({ suffix: s, hostKeyMode: "wrong", wrongHostKey: h2.hostKey }));
  const msg = await expectFailure("up with a wrong host key", () => h.stack.up(loud("up-wrong-key")));
  expect(msg).toContain("host key mismatch");
  expect(msg).toContain(`expected ${h2.hostKeySha256}`);
  expect(msg).toContain(`offered ssh-ed25519 ${h1.hostKeySha256}`);
  expect(msg).toContain(`${h1.user}@${h1.address}:22`);

  // No key pinned and the host in no known_hosts file: refused too, with what the server offered.
  const empty = path.join(fs.mkdtempSync("/tmp/povs-kh-"), "known_hosts");
  fs.writeFileSync(empty, "");
  await h.stack.setAllConfig(labStackConfig({ suffix: s, hostKeyMode: "unset", knownHostsPath: empty }));
  const msg2 = await expectFailure("up with no known host key", () => h.stack.up({ onOutput: (o) => record("up-unknown-host: stdout", o) }));
  expect(msg2).toContain(`not in ${empty}`);
  expect(msg2).toContain(`offered ssh-ed25519 ${h1.hostKeySha256}`);
  fs.rmSync(path.dirname(empty), { recursive: true, force: true });

  expect((await onHost(0, ["ovs-vsctl", "list-br"])).stdout).not.toContain(`sb${s}`);
});

test("private key: up at debug verbosity, a failing flow, preview, export, destroy", async () => {
  const h = await newStack("key", labStackConfig({ suffix: s }));
  const up = await h.stack.up(loud("up-key"));
  expect(up.summary.result).toBe("succeeded");
  record("up-key: result stdout", up.stdout);
  record("up-key: result stderr", up.stderr);
  expect((await onHost(0, ["ovs-vsctl", "br-exists", `sb${s}`], { reject: false })).exitCode).toBe(0);

  // An operation the host refuses: its error carries host, command and stderr, but no credentials.
  await h.stack.setConfig("actions", { value: "mod_vlan_vid:5000" });
  const msg = await expectFailure("up with a rejected flow", () => h.stack.up(loud("up-key-bad-flow")));
  expect(msg).toMatch(/actions "mod_vlan_vid:5000" is not accepted by ovs-ofctl on the host: .*not a valid VLAN VID/);
  await h.stack.setConfig("actions", { value: "NORMAL" });

  const pv = await h.stack.preview({ diff: true, ...loud("preview-key") });
  record("preview-key: result stdout", pv.stdout);
  record("preview-key: result stderr", pv.stderr);
  record("export-key", (await h.cli(["stack", "export"])).stdout);
  record("export-key --show-secrets=false", (await h.cli(["stack", "export", "--show-secrets=false"])).stdout);
  const d = await h.stack.destroy(loud("destroy-key"));
  expect(d.summary.result).toBe("succeeded");
});

test("password, with host key verification turned off (the opt-out): up works; a failing flow; export; destroy", async () => {
  const cfg = labStackConfig({ suffix: `${s}p`, hostIndex: 1, hostKeyMode: "skip" });
  delete cfg.privateKey;
  cfg.password = { value: labPassword(), secret: true };
  const h = await newStack("pw", cfg);
  const up = await h.stack.up(loud("up-password"));
  expect(up.summary.result).toBe("succeeded");
  record("up-password: result stdout", up.stdout);
  record("up-password: result stderr", up.stderr);
  expect((await onHost(1, ["ovs-vsctl", "br-exists", `sb${s}p`], { reject: false })).exitCode).toBe(0);

  await h.stack.setConfig("actions", { value: "mod_vlan_vid:5000" });
  const msg = await expectFailure("up with a rejected flow (password)", () => h.stack.up(loud("up-password-bad-flow")));
  expect(msg).toMatch(/not a valid VLAN VID/);
  await h.stack.setConfig("actions", { value: "NORMAL" });

  record("export-password", (await h.cli(["stack", "export"])).stdout);
  const d = await h.stack.destroy(loud("destroy-password"));
  expect(d.summary.result).toBe("succeeded");
});

test("secrets found in everything collected: 0 (the engine's own -v=9 property dumps counted apart)", async () => {
  for (const f of backendFiles()) record(`backend file ${path.relative(BACKEND, f)}`, fs.readFileSync(f, "utf8"));
  const r = scan();
  if (process.env.POVS_SECRETS_DUMP) fs.writeFileSync(process.env.POVS_SECRETS_DUMP, JSON.stringify([...seen]), { mode: 0o600 });
  console.log(
    `secrets: scanned ${(r.bytes / 1e6).toFixed(1)} MB from ${r.sources} sources (CLI output at --debug -v=9, errors, engine events, previews, exports, backend files) ` +
      `for ${secretMaterial().length} secret strings; secrets found: ${r.found.length}` +
      ` (Pulumi CLI 3.248's own -v=9 property-dump records containing them: ${r.engineLog.length}, an upstream issue fixed by pulumi/pulumi#23931)`,
  );
  // The scan must have seen the debug logs and the state, or it proves nothing.
  expect(r.bytes).toBeGreaterThan(100_000);
  expect([...seen.keys()].some((k) => k.startsWith("export-key"))).toBe(true);
  expect([...seen.keys()].some((k) => k.startsWith("backend file"))).toBe(true);
  expect(r.found).toEqual([]);
});

test("ssh-agent: with the key outside Pulumi, even the engine's -v=9 logs carry no key material", async () => {
  const { execa } = await import("execa");
  const socket = path.join(fs.mkdtempSync("/tmp/povs-agent-"), "agent.sock");
  const started = await execa("ssh-agent", ["-a", socket, "-s"]);
  agent = { pid: Number(/SSH_AGENT_PID=(\d+)/.exec(String(started.stdout))![1]), socket };
  await execa("ssh-add", ["-q", inventory().privateKeyPath], { env: { SSH_AUTH_SOCK: socket } });
  const cfg = labStackConfig({ suffix: `${s}a`, agentSocketPath: socket });
  delete cfg.privateKey; // nothing secret in the stack at all: the agent holds the key
  const h = await newStack("agent", cfg);
  const up = await h.stack.up(loud("agent: up"));
  expect(up.summary.result).toBe("succeeded");
  record("agent: up result stdout", up.stdout);
  record("agent: up result stderr", up.stderr);
  expect((await onHost(0, ["ovs-vsctl", "br-exists", `sb${s}a`], { reject: false })).exitCode).toBe(0);
  record("agent: export", (await h.cli(["stack", "export"])).stdout);
  expect((await h.stack.destroy(loud("agent: destroy"))).summary.result).toBe("succeeded");
  const r = scan("agent:");
  console.log(`secrets (ssh-agent): scanned ${(r.bytes / 1e6).toFixed(1)} MB incl. the engine's -v=9 records; secrets found: ${r.found.length + r.engineLog.length}`);
  expect(r.bytes).toBeGreaterThan(100_000);
  expect([...r.found, ...r.engineLog]).toEqual([]);
});
