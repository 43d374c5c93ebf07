import type { RemoteCommand } from "../transport/command";
import { addressChanges, ipArgv, isUp, parseIpJson, type IpLink } from "./ip";
import { canonicalIp, ipFamily } from "./addr";
import { missingTool, ok, type Outcome } from "./batch";

/**
 * Veth pairs: argv builders (each end in the host or in a named namespace) and parsers of `ip -j -d addr`,
 * `ip -j route` and `ethtool -k`. Everything here is pure.
 */

/** One end of a pair as declared (after schema defaults). */
export interface VethEnd {
  name: string;
  namespace?: string;
  mtu?: number;
  mac?: string;
  addresses?: string[];
  up: boolean;
  gateway?: string;
  txChecksumOffload?: boolean;
}

/** One end as found on the host. */
export interface EndLive {
  link: IpLink;
  /** Global addresses, canonical, in kernel order (primaries before secondaries). */
  addresses: string[];
  /** Gateways of default routes through this end, per family (only the families asked for). */
  gateways: { 4?: string; 6?: string };
  /** tx-checksumming (only when asked for). */
  txChecksumOffload?: boolean;
}

/** Linux default MTU of a new veth: what a dropped `mtu` goes back to. */
export const DEFAULT_MTU = 1500;

/**
 * Create the pair with each end directly in its namespace (`netns` per end): no move-and-rename dance, and
 * names only need to be unique per namespace ("eth1" inside a container is just peerName=eth1 there).
 * `name` is spelled out: `ip link add a ...` would read "a" as an abbreviation of "address".
 */
export function vethAddArgv(a: VethEnd, b: VethEnd): string[] {
  const endArgs = (e: VethEnd) => [
    ...(e.namespace ? ["netns", e.namespace] : []),
    ...(e.mtu !== undefined ? ["mtu", String(e.mtu)] : []),
    ...(e.mac ? ["address", e.mac] : []),
  ];
  return ["ip", "link", "add", "name", a.name, ...endArgs(a), "type", "veth", "peer", "name", b.name, ...endArgs(b)];
}

export function linkDelArgv(e: Pick<VethEnd, "name" | "namespace">): string[] {
  return ipArgv(e.namespace, "link", "del", "dev", e.name);
}

/** Exit 0 when the end exists. */
export function linkShowArgv(e: Pick<VethEnd, "name" | "namespace">): string[] {
  return ipArgv(e.namespace, "link", "show", "dev", e.name);
}

export function linkSetArgv(e: Pick<VethEnd, "name" | "namespace">, ...settings: string[]): string[] {
  return ipArgv(e.namespace, "link", "set", "dev", e.name, ...settings);
}

/** ethtool has no namespace option: enter the namespace with `ip netns exec`. */
export function ethtoolArgv(namespace: string | undefined, ...args: string[]): string[] {
  return namespace ? ["ip", "netns", "exec", namespace, "ethtool", ...args] : ["ethtool", ...args];
}

export function txOffloadArgv(e: Pick<VethEnd, "name" | "namespace">, on: boolean): string[] {
  return ethtoolArgv(e.namespace, "-K", e.name, "tx", on ? "on" : "off");
}

function familyFlag(gateway: string): string {
  return ipFamily(gateway) === 6 ? "-6" : "-4";
}

/** Default route through this end (`replace`: there is at most one default per family). */
export function gatewayReplaceArgv(e: Pick<VethEnd, "name" | "namespace">, gateway: string): string[] {
  return ipArgv(e.namespace, familyFlag(gateway), "route", "replace", "default", "via", gateway, "dev", e.name);
}

export function gatewayDelArgv(e: Pick<VethEnd, "name" | "namespace">, gateway: string): string[] {
  return ipArgv(e.namespace, familyFlag(gateway), "route", "del", "default", "via", gateway, "dev", e.name);
}

/** What to ask the host about one end: routes and offloads only when a value is declared (or was). */
export interface EndQuery {
  end: Pick<VethEnd, "name" | "namespace">;
  gatewayFamilies: (4 | 6)[];
  offload: boolean;
}

/** The query for an end declared as `want` (and before as `old`). */
export function endQuery(want: VethEnd, old?: VethEnd): EndQuery {
  const fams = [want.gateway, old?.gateway].map((g) => (g ? ipFamily(g) : undefined)).filter((f): f is 4 | 6 => f !== undefined);
  return {
    end: { name: want.name, namespace: want.namespace },
    gatewayFamilies: [...new Set(fams)].sort(),
    offload: want.txChecksumOffload !== undefined,
  };
}

export function endQueryCmds(q: EndQuery): RemoteCommand[] {
  const { end } = q;
  return [
    { argv: ipArgv(end.namespace, "-j", "-d", "addr", "show", "dev", end.name) },
    ...q.gatewayFamilies.map((f) => ({ argv: ipArgv(end.namespace, "-j", `-${f}`, "route", "show", "default") })),
    ...(q.offload ? [{ argv: ethtoolArgv(end.namespace, "-k", end.name) }] : []),
  ];
}

/** The link or its namespace does not exist (any more): an answer, not an error. */
export function isGone(stderr: string): boolean {
  return /does not exist|Cannot find device|Cannot open network namespace|No such device/i.test(stderr);
}

/**
 * Parse endQueryCmds' results (in that order). undefined: the end is gone. Throws for failures that say
 * nothing about the link (a tool missing, permission denied, unparsable output).
 */
export function parseEndQuery(q: EndQuery, results: readonly Outcome[]): EndLive | undefined {
  const [addrR, ...rest] = results;
  if (!ok(addrR)) {
    if (addrR && !missingTool(addrR) && isGone(addrR.stderr)) return undefined;
    throw new Error(`cannot read ${describeEnd(q.end)}${addrR ? `: ${addrR.stderr.trim() || `exit code ${addrR.code}`}` : ""}`);
  }
  const link = parseIpJson(addrR.stdout)[0];
  if (!link) return undefined;
  const live: EndLive = { link, addresses: kernelOrder(link), gateways: {} };
  let i = 0;
  for (const f of q.gatewayFamilies) {
    const r = rest[i++];
    if (!ok(r)) throw new Error(`cannot read the default route of ${describeEnd(q.end)}${r ? `: ${r.stderr.trim()}` : ""}`);
    live.gateways[f] = parseDefaultGateway(r.stdout, q.end.name);
  }
  if (q.offload) {
    const r = rest[i++];
    if (!ok(r)) throw new Error(`cannot read offloads of ${describeEnd(q.end)} (is ethtool installed?)${r ? `: ${r.stderr.trim()}` : ""}`);
    live.txChecksumOffload = parseTxChecksumming(r.stdout);
  }
  return live;
}

function canonicalAddr(cidr: string): string {
  const [a, len] = cidr.split("/");
  return `${canonicalIp(a)}/${len}`;
}

export function describeEnd(e: Pick<VethEnd, "name" | "namespace">): string {
  return e.namespace ? `${e.name} in namespace ${e.namespace}` : `${e.name} in the host namespace`;
}

interface RawRoute {
  dst?: string;
  gateway?: string;
  dev?: string;
}

/** Gateway of the default route through `dev` in `ip -j route show default` output, if any. */
export function parseDefaultGateway(stdout: string, dev: string): string | undefined {
  const text = stdout.trim();
  if (!text) return undefined;
  const routes = JSON.parse(text) as RawRoute[];
  const r = routes.find((x) => x.dst === "default" && x.dev === dev && x.gateway);
  return r?.gateway ? canonicalIp(r.gateway) : undefined;
}

/** `tx-checksumming: on|off` from `ethtool -k` (a "[fixed]" suffix does not matter for the state). */
export function parseTxChecksumming(stdout: string): boolean {
  const m = /^tx-checksumming:\s*(on|off)\b/m.exec(stdout);
  if (!m) throw new Error("ethtool -k output has no tx-checksumming line");
  return m[1] === "on";
}

/**
 * The two ends are each other's peers. Across namespaces ip gives the peer's ifindex (link_index); within one
 * namespace it gives the peer's name (link) instead.
 */
export function arePeers(a: IpLink, b: IpLink): boolean {
  const pointsAt = (x: IpLink, y: IpLink) => (x.linkIndex !== undefined ? x.linkIndex === y.ifindex : x.link === y.ifname);
  return a.linkKind === "veth" && b.linkKind === "veth" && pointsAt(a, b) && pointsAt(b, a);
}

/**
 * Address commands for one end: exactly `want` afterwards. Deletions go in reverse kernel order (secondaries
 * before their primary); deleting a primary still takes its remaining secondaries with it (promote_secondaries
 * is off by default), so after any deletion every wanted address is (re)applied with the idempotent
 * `addr replace`. `have` is in kernel order.
 */
export function addressCmds(e: Pick<VethEnd, "name" | "namespace">, have: readonly string[], want: readonly string[]): string[][] {
  return addressChanges(e.namespace, e.name, have, want);
}

/** Global addresses of a link in kernel order (the order deletions must respect). */
function kernelOrder(link: IpLink): string[] {
  return link.addrs.filter((a) => a.scope === undefined || a.scope === "global").map((a) => canonicalAddr(`${a.local}/${a.prefixlen}`));
}

/**
 * Commands that make one end look like `want`, given what it is now ("fresh": just created with its MTU and
 * MAC). `old` is what was declared before: fields dropped since then go back to defaults (MTU 1500, addresses
 * and gateway removed); a dropped MAC or offload setting is left as it is (there is no default to go back to).
 * Order matters: a dropped gateway goes first (later steps may flush it); the wanted gateway goes last and is
 * re-applied whenever addresses or the link state changed (removing the last IPv4 address or taking the link
 * down flushes every route through it).
 */
export function endConvergeCmds(want: VethEnd, live: EndLive | "fresh", old?: VethEnd, alias?: string): RemoteCommand[] {
  const cur: { mtu: number; mac?: string; addresses: string[]; up: boolean; alias?: string; gateways: EndLive["gateways"]; tx?: boolean } =
    live === "fresh"
      ? { mtu: want.mtu ?? DEFAULT_MTU, mac: want.mac, addresses: [], up: false, gateways: {} }
      : { mtu: live.link.mtu, mac: live.link.address, addresses: live.addresses, up: isUp(live.link), alias: live.link.ifalias, gateways: live.gateways, tx: live.txChecksumOffload };
  const gw = (g: string | undefined) => (g ? cur.gateways[ipFamily(g) ?? 4] : undefined);
  const cmds: string[][] = [];

  const oldGw = old?.gateway;
  if (oldGw && (!want.gateway || ipFamily(oldGw) !== ipFamily(want.gateway)) && gw(oldGw) === oldGw) cmds.push(gatewayDelArgv(want, oldGw));

  const settings: string[] = [];
  const mtu = want.mtu ?? (old?.mtu !== undefined ? DEFAULT_MTU : undefined);
  if (mtu !== undefined && cur.mtu !== mtu) settings.push("mtu", String(mtu));
  if (want.mac && cur.mac !== want.mac) settings.push("address", want.mac);
  if (alias !== undefined && cur.alias !== alias) settings.push("alias", alias);
  if (settings.length) cmds.push(linkSetArgv(want, ...settings));

  let addrCmds: string[][] = [];
  if (want.addresses) addrCmds = addressCmds(want, cur.addresses, want.addresses);
  else if (old?.addresses) addrCmds = addressCmds(want, cur.addresses, cur.addresses.filter((a) => !old.addresses!.includes(a))); // only what we declared goes
  cmds.push(...addrCmds);

  const upChanged = cur.up !== want.up;
  if (upChanged) cmds.push(linkSetArgv(want, want.up ? "up" : "down"));
  if (want.txChecksumOffload !== undefined && cur.tx !== want.txChecksumOffload) cmds.push(txOffloadArgv(want, want.txChecksumOffload));
  if (want.gateway && (gw(want.gateway) !== want.gateway || addrCmds.length > 0 || upChanged)) cmds.push(gatewayReplaceArgv(want, want.gateway));
  return cmds.map((argv) => ({ argv }));
}
