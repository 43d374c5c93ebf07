import type { RemoteCommand } from "../transport/command";
import type { SshHost } from "../transport/pool";
import { netnsSchema, type NetnsInputs } from "../schema/netns";
import {
  clearLoopbackAliasArgv,
  linkNetnsCmds,
  linkedTo,
  loopbackArgv,
  loopbackUp,
  netnsAddArgv,
  netnsDelArgv,
  netnsPath,
  netnsProbeCmds,
  parseNetnsProbe,
  unlinkNetnsArgv,
  type NetnsLive,
} from "../ip/netns";
import { ipArgv, parseIpJson } from "../ip/ip";
import { ok } from "../ip/batch";
import { query, writeThenRead } from "../host/facts";
import { isOurs, markedOwner, ownerMarker } from "../ip/owner";
import { assertOwnable, compact, containsUnknown, kindModule } from "./framework";
import { PHASE, type RestoreStep } from "../host/restore-file";

/**
 * NetNamespace: a named network namespace, or a docker container's namespace linked as /run/netns/NAME.
 * Ownership is marked from the inside (the alias of `lo`): a namespace has no metadata of its own.
 * This module's exports are the dynamic provider.
 */

const KIND = "NetNamespace";
const rules = { replaceKeys: ["name", "container"], identityKeys: ["name"] };

export interface NetnsOutputs extends NetnsInputs {
  /** Inode of the namespace (what `ip netns identify` / /proc/PID/ns/net show as net:[INODE]). */
  inode?: number;
  /** Container namespaces: the container's current PID (0: not running). */
  pid?: number;
  /** Container namespaces: the PID the /run/netns link points at; differs from pid after a restart. */
  linkedPid?: number;
  containerId?: string;
}

export function outputs(inputs: NetnsInputs, live: NetnsLive): NetnsOutputs {
  const c = inputs.container ? live.container : undefined;
  return compact({
    ...inputs,
    inode: live.inode,
    pid: inputs.container ? (c?.pid ?? 0) : undefined,
    linkedPid: inputs.container ? live.linkedPid : undefined,
    containerId: c?.id,
  });
}

/** A container link that no longer reaches the container's namespace (restarted, stopped or gone). */
export function isStale(outs: Record<string, unknown>): boolean {
  if (outs.container === undefined) return false;
  return typeof outs.pid !== "number" || outs.pid === 0 || outs.pid !== outs.linkedPid;
}

/** Whether read() should report the namespace as present (and ours). */
export function present(want: NetnsInputs, live: NetnsLive): boolean {
  if (!live.exists) return false;
  // The marker inside a container's namespace dies with it on restart: the link is what we own there.
  if (want.container) return live.linkedPid !== undefined;
  return live.lo !== undefined && live.linkTarget === undefined && isOurs(live.lo.ifalias, want.owner);
}

/** Commands that make a named namespace exist, with lo up and our marker. */
export function plainWrites(want: NetnsInputs, live: NetnsLive): RemoteCommand[] {
  const path = netnsPath(want.name);
  const lo = { argv: loopbackArgv(want.name, ownerMarker(want.owner)) };
  if (!live.exists) return [{ argv: netnsAddArgv(want.name) }, lo];
  if (live.linkTarget !== undefined) throw new Error(`${path} is a link to ${live.linkTarget} (another process's namespace), not a named namespace; pick another name`);
  if (!live.lo) throw new Error(`${path} exists but does not open as a network namespace; remove it or pick another name`);
  assertOwnable(KIND, want.name, markedOwner(live.lo.ifalias, want.owner), want.owner, want.adopt);
  return isOurs(live.lo.ifalias, want.owner) && loopbackUp(live) ? [] : [lo];
}

/** Commands that link the container's current namespace as /run/netns/NAME, with lo up and our marker. */
export function containerWrites(want: NetnsInputs, live: NetnsLive, checkOwner: boolean): RemoteCommand[] {
  const path = netnsPath(want.name);
  const c = live.container;
  if (!c) throw new Error(`docker container ${want.container} does not exist`);
  if (c.pid === 0) throw new Error(`docker container ${want.container} is not running (its namespace exists only while it runs)`);
  if (live.exists && live.linkTarget === undefined) throw new Error(`${path} is a named namespace, not a link to a container's namespace; pick another name`);
  const current = linkedTo(live, c.pid);
  if (live.exists && checkOwner && !(current && live.lo && isOurs(live.lo.ifalias, want.owner))) {
    // A link we cannot prove is ours (someone else's, or dangling): only with adopt.
    assertOwnable(KIND, want.name, live.lo ? markedOwner(live.lo.ifalias, want.owner) : undefined, want.owner, want.adopt);
  }
  const relink = current ? [] : linkNetnsCmds(want.name, c.pid);
  const markedUp = current && live.lo && isOurs(live.lo.ifalias, want.owner) && loopbackUp(live);
  return [...relink, ...(markedUp ? [] : [{ argv: loopbackArgv(want.name, ownerMarker(want.owner)) }])];
}

/**
 * At boot: a named namespace is added again; a container's is linked again once the container runs (the restore
 * script's povs_link_netns waits for it, then links its PID as linkNetnsCmds does). Then lo up with our marker.
 */
export function restoreSteps(want: NetnsInputs): RestoreStep[] {
  const lo = { argv: loopbackArgv(want.name, ownerMarker(want.owner)) };
  if (want.container) return [{ argv: ["povs_link_netns", want.name, want.container] }, lo];
  return [{ argv: netnsAddArgv(want.name), unless: ["test", "-e", netnsPath(want.name)] }, lo];
}

async function probe(host: SshHost, want: NetnsInputs): Promise<NetnsLive> {
  return parseNetnsProbe(await query(host, netnsProbeCmds(want.name, want.container)), !!want.container);
}

/** Create and update share this: probe (1 round trip), then writes + read-back (1 round trip). */
async function converge(host: SshHost, want: NetnsInputs, checkOwner: boolean): Promise<NetnsLive> {
  const live = await probe(host, want);
  const writes = want.container ? containerWrites(want, live, checkOwner) : plainWrites(want, live);
  const after = parseNetnsProbe(await writeThenRead(host, writes, netnsProbeCmds(want.name, want.container)), !!want.container);
  if (!present(want, after)) throw new Error(`${netnsPath(want.name)} is missing right after it was written`);
  return after;
}

const p = kindModule({
  kind: KIND,
  schema: netnsSchema,
  rules,
  restore: (want) => ({ phase: PHASE.netns, steps: restoreSteps(want) }),
  diff(d, olds, news) {
    // A refresh that found the container restarted leaves inputs equal: the stale link alone asks for an update.
    if (!d.changes && !containsUnknown(news.container) && isStale(olds)) return { ...d, changes: true };
    return d;
  },
  async create({ host, conn, want }) {
    const live = await converge(host, want, true);
    return { id: `${conn.host}/netns/${want.name}`, outs: outputs(want, live) };
  },
  async read({ host, id, declared }) {
    const live = await probe(host, declared);
    if (!present(declared, live)) return {}; // gone (or no longer ours): the engine drops it from state
    // A namespace has no input that can drift, only presence: the state's inputs stay (none sent back).
    return { id, props: outputs(declared, live) };
  },
  async update({ host, want }) {
    // Re-links a restarted container; re-adds a named namespace deleted behind our back.
    return { outs: outputs(want, await converge(host, want, false)) };
  },
  async delete({ host, old, props }) {
    const lastLinkedPid = typeof props.linkedPid === "number" ? props.linkedPid : undefined;
    // No docker here: removing a link must work with the container (or docker) gone.
    const results = await query(host, [...netnsProbeCmds(old.name), { argv: ipArgv(old.name, "-j", "link", "show") }]);
    const live = parseNetnsProbe(results.slice(0, 3), false);
    if (!old.container) {
      if (!live.lo || live.linkTarget !== undefined || !isOurs(live.lo.ifalias, old.owner)) return; // gone, or not ours
      const inside = ok(results[3]) ? parseIpJson(results[3].stdout).map((l) => l.ifname).filter((n) => n !== "lo") : [];
      if (inside.length > 0) {
        throw new Error(`refusing to delete namespace ${old.name}: it still holds interfaces (${inside.join(", ")}); remove them first`);
      }
      await writeThenRead(host, [{ argv: netnsDelArgv(old.name) }], []);
      return;
    }
    // Only the link is ours, never the container. A link proves itself ours by our marker inside, or by
    // pointing where we last linked it (a stale link after a restart carries no marker).
    if (live.linkTarget === undefined) return;
    const marked = live.lo !== undefined && isOurs(live.lo.ifalias, old.owner);
    if (!marked && (lastLinkedPid === undefined || live.linkedPid !== lastLinkedPid)) return;
    await writeThenRead(host, [...(marked ? [{ argv: clearLoopbackAliasArgv(old.name) }] : []), { argv: unlinkNetnsArgv(old.name) }], []);
  },
});
// The dynamic provider: what the engine calls.
export const { check, diff, create, read, update } = p;
const remove = p.delete;
export { remove as delete };
