import * as fs from "node:fs";
import * as path from "node:path";
import { Command } from "commander";
import type { Io } from "../program";
import { discover, hostsFromInventory, type TargetHost } from "./command";

const collect = (v: string, prev: string[]) => [...prev, v];

interface Flags {
  host: string[];
  hostKey: string[];
  name: string[];
  user?: string;
  key?: string;
  port: string;
  inventory?: string;
  out: string;
  project: string;
  stack: string;
  bridge: string[];
  namespace: string[];
  exclude?: string;
  includeManagement?: boolean;
  includeOwned?: boolean;
  force?: boolean;
  dialTimeout?: string;
}

/** The version of this package (the generated project depends on it). */
function packageVersion(): string {
  for (let d = __dirname; d !== path.dirname(d); d = path.dirname(d)) {
    const p = path.join(d, "package.json");
    if (fs.existsSync(p)) {
      const pkg = JSON.parse(fs.readFileSync(p, "utf8")) as { name?: string; version?: string };
      if (pkg.name === "pulumi-ovs" && pkg.version) return pkg.version;
    }
  }
  return "*";
}

function targets(f: Flags): TargetHost[] {
  if (f.inventory) {
    if (f.host.length) throw new Error("give hosts with --inventory FILE or with --host flags, not both");
    return hostsFromInventory(f.inventory);
  }
  if (f.host.length === 0) throw new Error("no hosts: give --host ADDR --host-key KEY (repeatable) or --inventory FILE");
  if (f.hostKey.length !== f.host.length) throw new Error(`every --host needs its --host-key (got ${f.host.length} hosts and ${f.hostKey.length} host keys)`);
  if (f.name.length && f.name.length !== f.host.length) throw new Error(`--name: give one per --host or none (got ${f.name.length} for ${f.host.length})`);
  if (!f.user || !f.key) throw new Error("--user and --key are required with --host");
  const port = Number(f.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`--port ${f.port}: must be 1..65535`);
  return f.host.map((host, i) => ({ name: f.name[i] ?? host, host, port, user: f.user!, hostKey: f.hostKey[i], privateKeyPath: f.key! }));
}

export function discoverCommand(io: Io, setExit: (code: number) => void): Command {
  return new Command("discover")
    .description(
      "Read hosts built by hand (OVS bridges, ports, tunnels, flows; namespaces, veths, routes, nat rules; container attachments) over SSH and write a Pulumi TypeScript project that adopts them as they are. See docs/discover.md.",
    )
    .option("--host <address>", "a host to read (repeatable; pair each with --host-key)", collect, [])
    .option("--host-key <key>", 'its pinned host key, "ssh-ed25519 AAAA..." (repeatable, in --host order)', collect, [])
    .option("--name <name>", "its name in the stack config (repeatable, in --host order; default: the address)", collect, [])
    .option("--user <user>", "SSH user (non-root users run commands through sudo -n)")
    .option("--key <path>", "SSH private key file (read, never written anywhere)")
    .option("--port <port>", "sshd port", "22")
    .option("--inventory <file>", "hosts from a JSON inventory (the lab's inventory.json shape) instead of --host")
    .requiredOption("-o, --out <dir>", "the project directory to write (must not exist unless --force)")
    .option("--project <name>", "Pulumi project name", "discovered")
    .option("--stack <name>", "the stack that will adopt the hosts: its config file is written, and objects it already owns are discovered again", "dev")
    .option("--bridge <name>", "only this bridge (repeatable)", collect, [])
    .option("--namespace <name>", "only this network namespace (repeatable)", collect, [])
    .option("--exclude <regex>", "leave out objects whose name matches")
    .option("--include-management", "also adopt the management path (the SSH interface and its routes, docker0)")
    .option("--include-owned", "also adopt objects another pulumi-ovs stack marked as its own")
    .option("--force", "replace --out if it exists")
    .option("--dial-timeout <seconds>", "seconds per SSH connection attempt", "10")
    .action(async (f: Flags) => {
      if (!/^[A-Za-z0-9_.-]{1,100}$/.test(f.project)) throw new Error(`--project ${JSON.stringify(f.project)}: letters, digits, _ . - only`);
      if (!/^[A-Za-z0-9_.-]{1,100}$/.test(f.stack)) throw new Error(`--stack ${JSON.stringify(f.stack)}: letters, digits, _ . - only`);
      let exclude: RegExp | undefined;
      try {
        exclude = f.exclude === undefined ? undefined : new RegExp(f.exclude);
      } catch (e) {
        throw new Error(`--exclude: ${(e as Error).message}`);
      }
      const started = Date.now();
      const { models, files } = await discover({
        hosts: targets(f), out: f.out, force: f.force, version: packageVersion(), project: f.project, stack: f.stack,
        bridges: f.bridge, namespaces: f.namespace, exclude, includeManagement: f.includeManagement, includeOwned: f.includeOwned,
        dialTimeout: Number(f.dialTimeout) || 10,
      });
      for (const m of models) io.err(`${m.host}: ${m.resources.length} resources, ${m.skipped.length} skipped, ${m.filtered} filtered out\n`);
      io.err(`wrote ${files.join(", ")} into ${path.resolve(f.out)} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
      setExit(0);
    });
}
