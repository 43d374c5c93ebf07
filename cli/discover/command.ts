import * as crypto from "node:crypto";
import * as dns from "node:dns/promises";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { parseConnection } from "../../provider/schema/connection";
import { closeAllHosts, hostFor } from "../../provider/transport/pool";
import { buildHost } from "./build";
import { parseSnapshot } from "./facts";
import { projectFiles } from "./generate";
import type { DiscoverOptions, HostModel } from "./model";
import { snapshotScript, splitSections } from "./snapshot";

/** `pulumi-ovs discover`: read hosts over SSH (one round trip each) and write a Pulumi project that adopts them. */

export interface TargetHost {
  name: string;
  host: string;
  port: number;
  user: string;
  hostKey: string;
  privateKeyPath: string;
}

export interface DiscoverRun extends DiscoverOptions {
  hosts: TargetHost[];
  out: string;
  force?: boolean;
  version: string;
  /** Seconds per SSH connection attempt. */
  dialTimeout?: number;
}

/** Hosts of a lab-style inventory file: { user?, privateKeyPath?, hosts: [{ name, address, port?, user?, privateKeyPath?, hostKey }] }. */
export function hostsFromInventory(file: string): TargetHost[] {
  const inv = JSON.parse(fs.readFileSync(file, "utf8")) as {
    user?: string;
    privateKeyPath?: string;
    hosts?: { name?: string; address?: string; host?: string; port?: number; user?: string; privateKeyPath?: string; hostKey?: string }[];
  };
  if (!Array.isArray(inv.hosts) || inv.hosts.length === 0) throw new Error(`--inventory ${file}: no hosts`);
  return inv.hosts.map((h, i) => {
    const host = h.address ?? h.host;
    const user = h.user ?? inv.user;
    const key = h.privateKeyPath ?? inv.privateKeyPath;
    if (!host || !user || !key || !h.hostKey) throw new Error(`--inventory ${file}: host #${i + 1} needs address, user, privateKeyPath and hostKey`);
    return { name: h.name ?? host, host, port: h.port ?? 22, user, hostKey: h.hostKey, privateKeyPath: key };
  });
}

async function managementAddress(host: string): Promise<string> {
  return net.isIP(host) ? host : (await dns.lookup(host)).address;
}

/** Read one host: a single command, its output parsed into the model. Errors name the host. */
async function discoverHost(t: TargetHost, opts: DiscoverRun): Promise<HostModel> {
  const label = `host ${t.name} (${t.user}@${t.host}:${t.port})`;
  try {
    const conn = parseConnection({
      host: t.host, port: t.port, user: t.user, hostKey: t.hostKey, privateKey: fs.readFileSync(t.privateKeyPath, "utf8"),
      perDialTimeout: opts.dialTimeout ?? 10, dialErrorLimit: 2, commandTimeout: 300,
    });
    const nonce = crypto.randomBytes(8).toString("hex");
    const r = await hostFor(conn).run({ argv: ["sh", "-s"], stdin: snapshotScript(nonce), read: true });
    const facts = parseSnapshot(splitSections(r.stdout, nonce), t.name);
    return buildHost({ name: t.name, address: await managementAddress(t.host), facts }, opts);
  } catch (e) {
    throw new Error(`${label}: ${(e as Error).message}`);
  }
}

/**
 * Discover every host, then write the project: into a fresh directory beside `out`, renamed into place at the
 * end, so an error leaves no partial directory (and an existing one is replaced only with --force).
 */
export async function discover(opts: DiscoverRun): Promise<{ models: HostModel[]; files: string[] }> {
  const out = path.resolve(opts.out);
  if (fs.existsSync(out) && !opts.force) throw new Error(`--out ${out} exists: remove it or pass --force to replace it`);
  const names = new Set<string>();
  for (const h of opts.hosts) {
    if (names.has(h.name)) throw new Error(`host name ${JSON.stringify(h.name)} is given twice`);
    names.add(h.name);
  }
  let models: HostModel[];
  try {
    models = await Promise.all(opts.hosts.map((h) => discoverHost(h, opts)));
  } finally {
    closeAllHosts();
  }
  const files = projectFiles(models, {
    project: opts.project, stack: opts.stack, version: opts.version,
    hosts: opts.hosts.map((h) => ({ name: h.name, host: h.host, port: h.port, user: h.user, hostKey: h.hostKey })),
  });
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const tmp = fs.mkdtempSync(path.join(path.dirname(out), `.${path.basename(out)}.tmp-`));
  try {
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(tmp, name), text);
    if (fs.existsSync(out)) {
      const old = `${tmp}.old`;
      fs.renameSync(out, old);
      fs.renameSync(tmp, out);
      fs.rmSync(old, { recursive: true, force: true });
    } else fs.renameSync(tmp, out);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  return { models, files: Object.keys(files).sort() };
}
