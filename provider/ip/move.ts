import * as net from "node:net";
import { shellJoin } from "../transport/quote";
import { ipArgv } from "./ip";

/**
 * The management move (docs/safe-apply.md): a NIC's addresses and the routes through it move to another link
 * (the internal port of the bridge the NIC joins), and back at destroy. One host-side script does it, so the
 * host is without its address and default route only for the instant it runs: addresses are added to the new
 * link first, each route is replaced onto it (`ip route replace` swaps it in one step), and only then are the
 * addresses taken off the old link. Building it is pure; what it reads from the host is validated first.
 */

export interface MovedRoute {
  family: "4" | "6";
  /** "default" or a CIDR. */
  destination: string;
  via?: string;
  metric?: number;
  src?: string;
  /** Numeric rtnetlink protocol and scope (`ip -N`), kept as they were. */
  protocol?: string;
  scope?: string;
}

/** What moves: the NIC's global addresses (kernel order) and its routes other than the kernel's own. */
export interface MoveSet {
  addresses: string[];
  routes: MovedRoute[];
}

/** The routes of one family through `dev` in the main table, numeric protocol and scope. */
export function routesThroughArgv(family: "4" | "6", dev: string): string[] {
  return ipArgv(undefined, "-N", `-${family}`, "-j", "route", "show", "table", "main", "dev", dev);
}

const isCidr = (s: string) => {
  const [a, len, extra] = s.split("/");
  const bits = net.isIP(a) === 4 ? 32 : net.isIP(a) === 6 ? 128 : 0;
  return bits > 0 && extra === undefined && (len === undefined || (/^\d{1,3}$/.test(len) && Number(len) <= bits));
};
const isNumber = (s: string) => /^\d{1,10}$/.test(s);

/** Routes that move with the NIC, from `ip -N -j route show dev NIC` (kernel routes follow their address). */
export function parseRoutesThrough(family: "4" | "6", stdout: string): MovedRoute[] {
  const raw = (stdout.trim() ? JSON.parse(stdout) : []) as { dst?: string; gateway?: string; metric?: number; prefsrc?: string; protocol?: string; scope?: string; nexthops?: unknown }[];
  const out: MovedRoute[] = [];
  for (const r of raw) {
    if (r.protocol === "2" || r.nexthops !== undefined) continue;
    const route: MovedRoute = { family, destination: String(r.dst) };
    if (r.gateway !== undefined) route.via = String(r.gateway);
    if (r.metric !== undefined) route.metric = Number(r.metric);
    if (r.prefsrc !== undefined) route.src = String(r.prefsrc);
    if (r.protocol !== undefined) route.protocol = String(r.protocol);
    if (r.scope !== undefined) route.scope = String(r.scope);
    assertRoute(route);
    out.push(route);
  }
  return out;
}

/** Refuse a route (read from a host or from state) that is not plainly addresses and numbers. */
export function assertRoute(r: MovedRoute): void {
  const ok =
    (r.family === "4" || r.family === "6") &&
    (r.destination === "default" || isCidr(r.destination)) &&
    (r.via === undefined || net.isIP(r.via) !== 0) &&
    (r.src === undefined || net.isIP(r.src) !== 0) &&
    (r.metric === undefined || (Number.isInteger(r.metric) && r.metric >= 0 && r.metric < 2 ** 32)) &&
    (r.protocol === undefined || isNumber(r.protocol)) &&
    (r.scope === undefined || isNumber(r.scope));
  if (!ok) throw new Error(`management move: a route it cannot move: ${JSON.stringify(r)}`);
}

function assertAddress(a: string): void {
  if (!isCidr(a) || !a.includes("/")) throw new Error(`management move: an address it cannot move: ${JSON.stringify(a)}`);
}

function routeReplaceArgv(r: MovedRoute, dev: string): string[] {
  return ipArgv(
    undefined,
    `-${r.family}`,
    "route",
    "replace",
    r.destination,
    ...(r.via ? ["via", r.via] : []),
    "dev",
    dev,
    ...(r.metric !== undefined ? ["metric", String(r.metric)] : []),
    ...(r.src ? ["src", r.src] : []),
    ...(r.protocol ? ["proto", r.protocol] : []),
    ...(r.scope ? ["scope", r.scope] : []),
  );
}

/**
 * The steps that move `set` from link `from` to link `to`: `to` up, the addresses added to it, the routes replaced
 * onto it, then each address deleted from `from` unless it is not there (the check the restore runs: at boot the
 * NIC has what its own configuration gave it, the internal port nothing). Each step can run twice.
 */
export function moveAgainSteps(from: string, to: string, set: MoveSet): { argv: string[]; unless?: string[] }[] {
  set.addresses.forEach(assertAddress);
  set.routes.forEach(assertRoute);
  const absent = (a: string) => ["sh", "-c", '! ip -o addr show dev "$1" | grep -qF " $2 "', "sh", from, a];
  return [
    { argv: ipArgv(undefined, "link", "set", "dev", to, "up") },
    ...set.addresses.map((a) => ({ argv: ipArgv(undefined, "addr", "replace", a, "dev", to) })),
    ...set.routes.map((r) => ({ argv: routeReplaceArgv(r, to) })),
    // Deleting a primary IPv4 address also deletes its secondaries: the last first.
    ...[...set.addresses].reverse().map((a) => ({ argv: ipArgv(undefined, "addr", "del", a, "dev", from), unless: absent(a) })),
  ];
}

/**
 * The commands that move `set` from link `from` to link `to` now (moveAgainSteps without their checks), with
 * `before` and `after` around them (the ovs-vsctl that adds or removes the NIC's port).
 */
export function moveCommands(from: string, to: string, set: MoveSet, before: string[][] = [], after: string[][] = []): string[][] {
  return [...before, ...moveAgainSteps(from, to, set).map((step) => step.argv), ...after];
}

/** The move as one host-side command: `sh -c` running the commands in order, stopping at the first failure. */
export function moveScriptArgv(commands: readonly string[][]): string[] {
  return ["sh", "-c", ["set -e", ...commands.map((c) => shellJoin(c))].join("\n")];
}
