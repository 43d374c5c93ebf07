import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { ConnectionInput } from "../../provider/schema/connection";

/** The lab inventory written by `npm run lab:up` (scripts/lab). */
export interface LabHost {
  name: string;
  address: string;
  port: number;
  user: string;
  privateKeyPath: string;
  hostKey: string;
  hostKeySha256: string;
  underlayIp: string;
  underlayCidr: string;
  underlayBridge: string;
  trunkNic: string;
  netns: string;
  dir: string;
}
export interface LabInventory {
  user: string;
  privateKeyPath: string;
  passwordPath: string;
  hosts: LabHost[];
  dockerImage: string;
}

export const LAB_DIR = process.env.POVS_LAB_DIR ?? "/var/lib/pulumi-ovs-lab";
/** The checkout's root (found by walking up: this file also runs compiled from .cache/ for the demo). */
export const REPO_ROOT = (() => {
  for (let d = __dirname; d !== path.dirname(d); d = path.dirname(d)) {
    const pkg = path.join(d, "package.json");
    if (fs.existsSync(pkg) && (JSON.parse(fs.readFileSync(pkg, "utf8")) as { name?: string }).name === "pulumi-ovs") return d;
  }
  throw new Error("cannot find the pulumi-ovs checkout above " + __dirname);
})();

export function inventory(): LabInventory {
  const p = path.join(LAB_DIR, "inventory.json");
  if (!fs.existsSync(p)) throw new Error(`lab is not up (${p} missing): run npm run lab:up`);
  return JSON.parse(fs.readFileSync(p, "utf8")) as LabInventory;
}

export function labHost(i: number): LabHost {
  const h = inventory().hosts[i];
  if (!h) throw new Error(`lab has no host #${i + 1}`);
  return h;
}

/** A connection to lab host #i as a user would write it: key auth, pinned host key, non-root user with sudo. */
export function labConnection(i: number, extra: Partial<ConnectionInput> = {}): ConnectionInput {
  const h = labHost(i);
  return {
    host: h.address,
    port: h.port,
    user: h.user,
    privateKey: fs.readFileSync(h.privateKeyPath, "utf8"),
    hostKey: h.hostKey,
    ...extra,
  };
}

export function labPassword(): string {
  return fs.readFileSync(inventory().passwordPath, "utf8").trim();
}

/**
 * Run a command as root on a lab host, beside our transport (nsenter into the host's namespaces), to set up
 * drift or check the host's real state independently of the code under test.
 */
export async function onHost(i: number, argv: string[], opts: { reject?: boolean; input?: string } = {}): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  const { execa } = await import("execa");
  const h = labHost(i);
  const r = await execa("bash", [path.join(REPO_ROOT, "scripts/lab/lab.sh"), "exec", h.name, "--", ...argv], {
    reject: opts.reject ?? true,
    input: opts.input,
  });
  return { stdout: String(r.stdout), stderr: String(r.stderr), exitCode: r.exitCode ?? -1 };
}

/** PIDs of this machine's processes whose command line matches `pattern` (pgrep -f); none: []. */
export function localPids(pattern: string): number[] {
  try {
    return execFileSync("pgrep", ["-f", pattern], { encoding: "utf8" }).split("\n").filter(Boolean).map(Number);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

/** A short unique suffix for names created by one test file (interface names must stay within 15 chars). */
export function uniq(): string {
  return Math.random().toString(36).slice(2, 6);
}
