import type { SshHost } from "../transport/pool";
import { describeCommand, type RemoteCommand, type CommandResult } from "../transport/command";
import type { Outcome } from "../transport/coalesce";
import { commandError } from "../ip/batch";
import { listAllArgv, parseOvsState, withoutPorts, type OvsState } from "../ovs/ovsdb";
import type { Flow } from "../ovs/flow-model";
import { parseDumpFlows } from "../ovs/flow-parse";
import { dumpFlowsArgv } from "../ovs/flow-ofctl";
import { type FlowLinePayload, flowFileRule, isFlowTableWrite, isPortOnlyVsctl, vsctlArgvOf, vsctlRule } from "../ovs/merge";
import { ipArgv, parseIpJson, type IpLink } from "../ip/ip";

/**
 * Reads of host state, shared: the engine calls read() for many resources at once during refresh, and all of
 * them on one host get their answer from the same read (a "section" of the host's snapshot: its OVS tables,
 * the links of one namespace, the flows of one bridge). Sections asked for at about the same time leave in
 * one round trip (the transport coalesces them), so a refresh costs a round trip or two per host, whatever
 * the number of resources.
 *
 * A write forgets every section of its host, and reads back in the same round trip what it changed (the OVS
 * tables after an ovs-vsctl write, the bridge's flows after a flow change). That read runs after every write of
 * its round trip, and only one round trip per host is out at a time, so it is the host's state after them: it
 * becomes the section the next reads use, and a create needs one round trip, not two.
 *
 * A section stays valid while it keeps being used (IDLE_MS between uses, MAX_AGE_MS at most) and until this
 * process writes to the host. Writes made by others are seen once the section is re-read; within one engine
 * operation that is at most MAX_AGE_MS late.
 */
const IDLE_MS = Number(process.env.PULUMI_OVS_FACTS_TTL_MS ?? 3000);
const MAX_AGE_MS = Number(process.env.PULUMI_OVS_FACTS_MAX_AGE_MS ?? 10_000);

interface Entry {
  at: number;
  used: number;
  value: Promise<unknown>;
}

/**
 * The OVS tables held, with the ports our writes removed since taken out. The removals are applied once, by the
 * first reader, in one copy of the tables: a copy per removed port costs a large destroy its provider CPU
 * (docs/benchmarks.md).
 */
class WithoutPorts implements Entry {
  private applied?: Promise<unknown>;
  constructor(
    public at: number,
    public used: number,
    readonly base: Promise<unknown>,
    readonly removed: readonly string[],
  ) {}

  get value(): Promise<unknown> {
    return (this.applied ??= this.base.then((s) => withoutPorts(s as OvsState, this.removed)));
  }

  /** The same tables with one more port removed: shares the base, not yet applied. */
  andWithout(port: string): WithoutPorts {
    return new WithoutPorts(this.at, this.used, this.base, [...this.removed, port]);
  }
}
const facts = new Map<SshHost, Map<string, Entry>>();

/** What facts are kept under: the host itself, never a change's view of it (SshHost.riding). A test's stand-in has no origin. */
function keyOf(host: SshHost): SshHost {
  return host.origin ?? host;
}

/** The sections known about a host (made on first use). */
function sectionsOf(host: SshHost): Map<string, Entry> {
  let m = facts.get(keyOf(host));
  if (!m) facts.set(keyOf(host), (m = new Map()));
  return m;
}

/**
 * Whether this host's reads may be shared: its executor says so (transport/executor.ts). A host object without
 * the property (a test's stand-in) shares them.
 */
function sharesReads(host: SshHost): boolean {
  return host.sharesReads !== false;
}

export function cachedFact<T>(host: SshHost, key: string, fetch: () => Promise<T>): Promise<T> {
  if (!sharesReads(host)) return fetch();
  const m = sectionsOf(host);
  const now = Date.now();
  const e = m.get(key);
  if (e && now - e.used < IDLE_MS && now - e.at < MAX_AGE_MS) {
    e.used = now;
    return e.value as Promise<T>;
  }
  const value = fetch();
  const entry = { at: now, used: now, value };
  m.set(key, entry);
  // Not idle while the read is out: the idle time counts from its answer (a slow read of a large host must
  // not leave readers arriving just after it to read again).
  value.then(
    () => (entry.used = Math.max(entry.used, Date.now())),
    // A failed read must not be served to the next caller.
    () => m.get(key) === entry && m.delete(key),
  );
  return value;
}

/** Keep a value read in the final wave of a round trip (transport/coalesce-plan.ts) as the section `key`. */
function seedFact(host: SshHost, key: string, value: unknown): void {
  if (!sharesReads(host)) return;
  const now = Date.now();
  sectionsOf(host).set(key, { at: now, used: now, value: Promise.resolve(value) });
}

/**
 * Forget what we knew about a host. Any write forgets everything: even a flow change may be the first sign
 * that the bridge is gone, and the next read is shared by every resource waiting anyway.
 */
export function forgetFacts(host: SshHost): void {
  facts.get(keyOf(host))?.clear();
}

/**
 * Forget what a write may have changed. A flow-table write changes only flows; an ovs-vsctl transaction of
 * port and interface commands changes no flow (OVS keeps a flow whose in_port is gone); anything else may
 * change anything. Sections kept stay bound by IDLE_MS and MAX_AGE_MS like every other.
 */
export function forgetAfterWrite(host: SshHost, cmd: RemoteCommand): void {
  const m = facts.get(keyOf(host));
  if (!m) return;
  const argv = cmd.merge?.rule === vsctlRule ? vsctlArgvOf(cmd) : cmd.argv;
  const changed = isFlowTableWrite(argv) ? (k: string) => k.startsWith("flows:") : isPortOnlyVsctl(argv) ? (k: string) => !k.startsWith("flows:") : () => true;
  for (const k of [...m.keys()]) if (changed(k)) m.delete(k);
}

/** Forget one section (a write that changed only what it holds). */
export function forgetFact(host: SshHost, key: string): void {
  facts.get(keyOf(host))?.delete(key);
}

/** Forget everything (a new engine operation starts with a new provider process; tests emulate that). */
export function forgetAllFacts(): void {
  facts.clear();
}

interface ReadBack {
  key: string;
  cmd: RemoteCommand;
  parse(stdout: string): unknown;
}

/** What a write changes and how to read it back: the OVS tables for ovs-vsctl, a bridge's flows for a flow change. */
export function readBackFor(cmd: RemoteCommand): ReadBack | undefined {
  if (cmd.merge?.rule === vsctlRule) return { key: "ovs", cmd: { argv: listAllArgv(), read: true, afterAll: true }, parse: parseOvsState };
  if (cmd.merge?.rule === flowFileRule) {
    const { bridge, versions } = cmd.merge.payload as FlowLinePayload;
    return { key: flowsKey(bridge, versions), cmd: { argv: dumpFlowsArgv(bridge, versions), read: true, afterAll: true }, parse: parseDumpFlows };
  }
  return undefined;
}

/**
 * Run a write on a host and forget what we knew about it; OVS writes read back what they changed in the same
 * round trip (kept as that section) unless `readBack` is false (a flow delete: nobody reads the flows after)
 * or `removesPort` says the tables are derived from the snapshot held. A failed write throws RemoteCommandError naming its own command.
 */
export async function mutate(host: SshHost, cmd: RemoteCommand, opts: MutateOptions = {}): Promise<CommandResult> {
  const { removesPort } = opts;
  const back = opts.readBack === false || removesPort !== undefined ? undefined : readBackFor(cmd);
  // A failed write may be the first sign that something is gone (a bridge, a namespace): forget everything then.
  const forget = (ok: boolean) => (ok ? forgetAfterWrite(host, cmd) : forgetFacts(host));
  if (!back) {
    try {
      const w = await host.run(cmd);
      const held = removesPort !== undefined && w.code === 0 ? sectionsOf(host).get("ovs") : undefined;
      forget(w.code === 0);
      // The snapshot we held, with what this write did applied: kept only if it was read after every other
      // write we made (a write of ours forgets it), and bound by the age limits of the read it comes from.
      if (held && removesPort !== undefined && sharesReads(host)) {
        const next = held instanceof WithoutPorts ? held.andWithout(removesPort) : new WithoutPorts(held.at, held.used, held.value, [removesPort]);
        sectionsOf(host).set("ovs", next);
      }
      return w;
    } catch (e) {
      forget(false);
      throw e;
    }
  }
  let results: Outcome[];
  try {
    results = await host.runBatch([cmd, back.cmd], { stopOnError: true });
  } catch (e) {
    forget(false);
    throw e;
  }
  const [w, r] = results;
  forget(w?.code === 0);
  if (!w) throw new Error(`on ${host.label}: command did not run: ${describeCommand(cmd)}`);
  if (w.code !== 0 && !(cmd.okCodes ?? []).includes(w.code)) throw commandError(host, cmd, w);
  if (r?.code === 0) {
    try {
      seedFact(host, back.key, parseShared(r, back.parse));
    } catch {
      /* unparsable: the next reader reads it afresh and says why */
    }
  }
  return w;
}

export interface MutateOptions {
  /** false: no read-back (a flow delete: nobody reads the flows after). */
  readBack?: boolean;
  /**
   * The write removes this port (and its interfaces): instead of reading the OVS tables back, derive them from
   * the snapshot we hold. Saves a read of every port and interface per round trip while a destroy removes
   * hundreds; without a snapshot held, the next reader reads.
   */
  removesPort?: string;
}

/**
 * Every writer of a round trip gets the same read-back result object (transport/coalesce-plan.ts shares one read):
 * parse it once, not once per writer (a large snapshot parsed by every writer makes a destroy CPU-bound).
 */
const parsedResults = new WeakMap<CommandResult, unknown>();

function parseShared(r: CommandResult, parse: (stdout: string) => unknown): unknown {
  if (!parsedResults.has(r)) parsedResults.set(r, parse(r.stdout));
  return parsedResults.get(r);
}

/** What one command of a batch did; `undefined` (a stop-on-error batch stopped before it) counts as not run. */
export type { Outcome } from "../transport/coalesce";

/** Read-only commands in one round trip (shared with identical reads of other resources); each result is judged by the caller. */
export function query(host: SshHost, cmds: readonly RemoteCommand[]): Promise<Outcome[]> {
  return host.runBatch(cmds.map((c) => ({ ...c, read: true })));
}

/**
 * Writes followed by reads in ONE round trip. The batch stops at the first failing command, so a failed write
 * leaves everything after it undone; that write's error is thrown. Returns the reads' results (a read that
 * failed stops the reads after it: those are undefined). Cached host facts are forgotten either way.
 */
export async function writeThenRead(host: SshHost, writes: readonly RemoteCommand[], reads: readonly RemoteCommand[]): Promise<Outcome[]> {
  let results: Outcome[];
  try {
    results = await host.runBatch([...writes, ...reads.map((c) => ({ ...c, read: true }))], { stopOnError: true });
  } finally {
    forgetFacts(host);
  }
  writes.forEach((cmd, i) => {
    const r = results[i];
    if (r === undefined) throw new Error(`on ${host.label}: command did not run: ${describeCommand(cmd)}`);
    if (r.code !== 0) throw commandError(host, cmd, r);
  });
  return results.slice(writes.length);
}

/** Bridges, ports, interfaces and controllers of the host's OVSDB, in one ovs-vsctl call. */
export function ovsState(host: SshHost): Promise<OvsState> {
  return cachedFact(host, "ovs", async () => parseOvsState((await host.run({ argv: listAllArgv(), read: true })).stdout));
}

export function flowsKey(bridge: string, versions: string): string {
  return `flows:${bridge}:${versions}`;
}

/** Every flow on a bridge (dump-flows with these OpenFlow versions), one read per host and bridge however many ask. */
export function liveFlows(host: SshHost, bridge: string, versions: string): Promise<Flow[]> {
  return cachedFact(host, flowsKey(bridge, versions), async () => parseDumpFlows((await host.run({ argv: dumpFlowsArgv(bridge, versions), read: true })).stdout));
}

/** Links and addresses in the host's root namespace (netns undefined) or in a named namespace. */
export function linksIn(host: SshHost, netns?: string): Promise<IpLink[]> {
  return cachedFact(host, `ip:${netns ?? ""}`, async () => {
    const r = await host.run({ argv: ipArgv(netns, "-j", "-d", "addr", "show"), okCodes: [1, 255], read: true });
    // A namespace that does not exist reads as "no links" (the caller decides what gone means).
    return r.code === 0 ? parseIpJson(r.stdout) : [];
  });
}
