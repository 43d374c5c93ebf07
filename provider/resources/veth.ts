import type { RemoteCommand } from "../transport/command";
import type { SshHost } from "../transport/pool";
import { RemoteCommandError } from "../transport/errors";
import { vethSchema, type VethInputs } from "../schema/veth";
import {
  arePeers,
  describeEnd,
  endConvergeCmds,
  endQuery,
  endQueryCmds,
  isGone,
  linkDelArgv,
  linkShowArgv,
  parseEndQuery,
  vethAddArgv,
  type EndLive,
  type EndQuery,
  type VethEnd,
} from "../ip/veth";
import { isUp } from "../ip/ip";
import { ipFamily } from "../ip/addr";
import { isNoNamespace } from "../ip/batch";
import { query, writeThenRead, type Outcome } from "../host/facts";
import { isOurs, markedOwner, ownerMarker } from "../ip/owner";
import { assertOwnable, compact, containsUnknown, kindModule, readResult, UNKNOWN } from "./framework";
import { PHASE, type RestoreStep } from "../host/restore-file";

/**
 * VethPair: a veth pair, each end in the host or in a named namespace, with MTU, MAC, addresses, link state,
 * a default gateway and TX checksum offload per end. Both ends carry our marker in their alias; the first
 * end's is the one that counts. This module's exports are the dynamic provider.
 */

const KIND = "VethPair";
const rules = { replaceKeys: ["name", "namespace", "peerName", "peerNamespace"], identityKeys: [] };

export interface VethOutputs extends VethInputs {
  ifindex: number;
  peerIfindex: number;
  macAddress?: string;
  peerMacAddress?: string;
}

export interface PairLive {
  a?: EndLive;
  b?: EndLive;
  /** Namespaces of the ends that could not be entered. */
  missingNamespaces?: string[];
}

export function ends(v: VethInputs): [VethEnd, VethEnd] {
  return [
    { name: v.name, namespace: v.namespace, mtu: v.mtu, mac: v.mac, addresses: v.addresses, up: v.up, gateway: v.gateway, txChecksumOffload: v.txChecksumOffload },
    { name: v.peerName, namespace: v.peerNamespace, mtu: v.mtu, mac: v.peerMac, addresses: v.peerAddresses, up: v.peerUp, gateway: v.peerGateway, txChecksumOffload: v.peerTxChecksumOffload },
  ];
}

/** Both ends' queries as one batch, and how to split its results. */
export function pairQuery(want: VethInputs, old?: VethInputs): { cmds: RemoteCommand[]; parse: (r: readonly Outcome[]) => PairLive } {
  const [wa, wb] = ends(want);
  const [oa, ob] = old ? ends(old) : [undefined, undefined];
  const qa = endQuery(wa, oa);
  const qb = endQuery(wb, ob);
  const ca = endQueryCmds(qa);
  const cb = endQueryCmds(qb);
  const noNs = (q: EndQuery, r: Outcome) => (q.end.namespace && r && r.code !== 0 && isNoNamespace(r.stderr) ? [q.end.namespace] : []);
  return {
    cmds: [...ca, ...cb],
    parse: (r) => {
      const live: PairLive = { a: parseEndQuery(qa, r.slice(0, ca.length)), b: parseEndQuery(qb, r.slice(ca.length)) };
      const missing = [...new Set([...noNs(qa, r[0]), ...noNs(qb, r[ca.length])])];
      return missing.length ? { ...live, missingNamespaces: missing } : live;
    },
  };
}

/** Both ends found. */
export type WholePair = PairLive & { a: EndLive; b: EndLive };

/** The pair is there, whole, and ours. */
export function present(live: PairLive, owner: string): live is WholePair {
  return !!live.a && !!live.b && arePeers(live.a.link, live.b.link) && isOurs(live.a.link.ifalias, owner);
}

/** What the host says about the declared fields, in input form (undeclared fields stay undeclared). */
export function liveInputs(d: VethInputs, a: EndLive, b: EndLive): VethInputs {
  const gw = (e: EndLive, g: string | undefined) => (g === undefined ? undefined : e.gateways[ipFamily(g) ?? 4]);
  return {
    ...d,
    // One MTU for both ends: report the end that drifted, if any.
    mtu: d.mtu === undefined ? undefined : a.link.mtu !== d.mtu ? a.link.mtu : b.link.mtu,
    mac: d.mac === undefined ? undefined : a.link.address,
    peerMac: d.peerMac === undefined ? undefined : b.link.address,
    addresses: d.addresses === undefined ? undefined : [...a.addresses].sort(),
    peerAddresses: d.peerAddresses === undefined ? undefined : [...b.addresses].sort(),
    up: isUp(a.link),
    peerUp: isUp(b.link),
    gateway: gw(a, d.gateway),
    peerGateway: gw(b, d.peerGateway),
    txChecksumOffload: d.txChecksumOffload === undefined ? undefined : a.txChecksumOffload,
    peerTxChecksumOffload: d.peerTxChecksumOffload === undefined ? undefined : b.txChecksumOffload,
  };
}

export function outputs(inputs: VethInputs, live: WholePair): VethOutputs {
  return compact({
    ...inputs,
    ifindex: live.a.link.ifindex,
    peerIfindex: live.b.link.ifindex,
    macAddress: live.a.link.address,
    peerMacAddress: live.b.link.address,
  });
}

/**
 * Commands that make the host match `want`: create the pair if it is not there, else converge both ends
 * (refusing a same-named interface that is not ours unless adopt). `old`: what was declared before.
 */
export function pairWrites(want: VethInputs, live: PairLive, old?: VethInputs): RemoteCommand[] {
  const [wa, wb] = ends(want);
  const [oa, ob] = old ? ends(old) : [undefined, undefined];
  const marker = ownerMarker(want.owner);
  if (live.missingNamespaces?.length) {
    throw new Error(`namespace ${live.missingNamespaces.join(" and ")} does not exist on the host (or links to a process that is gone): create it first, e.g. with a NetNamespace`);
  }
  if (!live.a) {
    if (live.b) throw new Error(`${describeEnd(wb)} already exists without ${describeEnd(wa)} as its peer: remove it or pick another peerName`);
    return [{ argv: vethAddArgv(wa, wb) }, ...endConvergeCmds(wa, "fresh", undefined, marker), ...endConvergeCmds(wb, "fresh", undefined, marker)];
  }
  assertOwnable(KIND, want.name, markedOwner(live.a.link.ifalias, want.owner), want.owner, want.adopt);
  if (!live.b || !arePeers(live.a.link, live.b.link)) {
    throw new Error(`${describeEnd(wa)} exists but is not a veth whose peer is ${describeEnd(wb)}`);
  }
  return [...endConvergeCmds(wa, live.a, oa, marker), ...endConvergeCmds(wb, live.b, ob, marker)];
}

/**
 * Replacing with the same interface name in the same namespace (either end, either role) would collide:
 * the old pair must go first. Names not known yet count as a collision.
 */
export function endsCollide(olds: Record<string, unknown>, news: Record<string, unknown>): boolean {
  const key = (n: unknown, ns: unknown) => (containsUnknown(n) || containsUnknown(ns) ? UNKNOWN : `${ns ?? ""}/${n}`);
  const before = [key(olds.name, olds.namespace), key(olds.peerName, olds.peerNamespace)];
  const after = [key(news.name, news.namespace), key(news.peerName, news.peerNamespace)];
  return after.some((k) => k === UNKNOWN || before.includes(k));
}

/** At boot: the pair added again (unless its first end is there), then both ends set up as after a create. */
export function restoreSteps(want: VethInputs): RestoreStep[] {
  const [a, b] = ends(want);
  const marker = ownerMarker(want.owner);
  return [
    { argv: vethAddArgv(a, b), unless: linkShowArgv(a) },
    ...endConvergeCmds(a, "fresh", undefined, marker),
    ...endConvergeCmds(b, "fresh", undefined, marker),
  ];
}

async function probe(host: SshHost, want: VethInputs, old?: VethInputs): Promise<PairLive> {
  const q = pairQuery(want, old);
  return q.parse(await query(host, q.cmds));
}

/**
 * Create and update share this: probe (1 round trip), then writes + read-back (1 round trip). A pair this call
 * created is removed again if a later step fails (the engine keeps no state for a failed create).
 */
async function converge(host: SshHost, want: VethInputs, old?: VethInputs): Promise<WholePair> {
  const live = await probe(host, want, old);
  const writes = pairWrites(want, live, old);
  const q = pairQuery(want);
  try {
    const after = q.parse(await writeThenRead(host, writes, q.cmds));
    if (!present(after, want.owner)) throw new Error("the veth pair is missing right after it was written");
    return after;
  } catch (e) {
    if (!live.a) await writeThenRead(host, [{ argv: linkDelArgv(ends(want)[0]) }], []).catch(() => undefined);
    throw e;
  }
}

const p = kindModule({
  kind: KIND,
  schema: vethSchema,
  rules,
  parseOld: true,
  restore: (want) => ({ phase: PHASE.veth, steps: restoreSteps(want) }),
  diff: (d, olds, news) => ({ ...d, deleteBeforeReplace: !!d.deleteBeforeReplace && endsCollide(olds, news) }),
  async create({ host, conn, want }) {
    const live = await converge(host, want);
    return { id: `${conn.host}/veth/${want.namespace ?? "-"}/${want.name}`, outs: outputs(want, live) };
  },
  async read({ host, id, declared }) {
    const live = await probe(host, declared);
    if (!present(live, declared.owner)) return {}; // gone (deleting one end deletes both), or no longer ours
    const inputs = compact(liveInputs(declared, live.a, live.b));
    return readResult(id, outputs(inputs, live), inputs, declared);
  },
  async update({ host, want, old }) {
    return { outs: outputs(want, await converge(host, want, old)) };
  },
  async delete({ host, old }) {
    const [oa] = ends(old);
    const q = { end: oa, gatewayFamilies: [], offload: false };
    const a = parseEndQuery(q, await query(host, endQueryCmds(q)));
    if (!a || !isOurs(a.link.ifalias, old.owner)) return; // gone (with its namespace, maybe), or not ours
    try {
      await writeThenRead(host, [{ argv: linkDelArgv(oa) }], []); // takes the peer with it
    } catch (e) {
      if (e instanceof RemoteCommandError && isGone(e.stderr)) return; // went away meanwhile
      throw e;
    }
  },
});
// The dynamic provider: what the engine calls.
export const { check, diff, create, read, update } = p;
const remove = p.delete;
export { remove as delete };
