import type { RemoteCommand } from "../transport/command";
import { ipArgv } from "./ip";

/**
 * IPv4 routes in the main table of the host or of a named namespace: argv builders and the parser of
 * `ip -N -j route show`. Routes carry no metadata, so ours are told apart by their protocol number
 * (RTPROT): iproute2 accepts a numeric `proto`, the kernel keeps it, `ip route del ... proto N` only ever
 * matches routes with it, and no routing daemon uses 198.
 */

/** The rtnetlink protocol number that marks routes pulumi-ovs made. */
export const ROUTE_PROTO = 198;

export interface RouteSpec {
  namespace?: string;
  /** "default" or a network in CIDR form (host bits clear), e.g. 198.18.42.0/24 or 198.18.42.7/32. */
  destination: string;
  via?: string;
  dev?: string;
  /** Kernel priority; 0 when unset (as `ip route add` without metric). */
  metric?: number;
  /** Preferred source address. */
  src?: string;
}

export interface LiveRoute {
  destination: string;
  via?: string;
  dev?: string;
  metric: number;
  src?: string;
  /** Protocol as a number string ("2" kernel, "3" boot, "198" ours) thanks to `ip -N`. */
  protocol: string;
  /** A multipath route (nexthop list instead of one gateway/dev). */
  multipath: boolean;
}

function routeParams(r: RouteSpec): string[] {
  return [
    r.destination,
    ...(r.via ? ["via", r.via] : []),
    ...(r.dev ? ["dev", r.dev] : []),
    ...(r.src ? ["src", r.src] : []),
    "metric",
    String(r.metric ?? 0),
    "proto",
    String(ROUTE_PROTO),
  ];
}

/** `ip route add`: fails with "File exists" when a route with this destination and metric is there already. */
export function routeAddArgv(r: RouteSpec): string[] {
  return ipArgv(r.namespace, "-4", "route", "add", ...routeParams(r));
}

/** `ip route replace`: the route with this destination and metric becomes exactly ours (proto 198 included). */
export function routeReplaceArgv(r: RouteSpec): string[] {
  return ipArgv(r.namespace, "-4", "route", "replace", ...routeParams(r));
}

/** Deletes only a route of ours: the kernel matches destination, metric AND protocol. */
export function routeDelArgv(r: Pick<RouteSpec, "namespace" | "destination" | "metric">): string[] {
  return ipArgv(r.namespace, "-4", "route", "del", r.destination, "metric", String(r.metric ?? 0), "proto", String(ROUTE_PROTO));
}

/** Every route with exactly this destination (any metric, any protocol), numeric protocol names. */
export function routeShowCmd(r: Pick<RouteSpec, "namespace" | "destination">): RemoteCommand {
  return { argv: ipArgv(r.namespace, "-N", "-4", "-j", "route", "show", "table", "main", "exact", r.destination) };
}

interface RawRoute {
  dst: string;
  gateway?: string;
  dev?: string;
  metric?: number;
  prefsrc?: string;
  protocol?: string | number;
  nexthops?: unknown[];
}

/** "198.18.44.7" (how ip prints a /32) -> "198.18.44.7/32"; "default" and CIDRs unchanged. */
export function canonicalDestination(dst: string): string {
  if (dst === "default" || dst === "0.0.0.0/0") return "default";
  return dst.includes("/") ? dst : `${dst}/32`;
}

/** Parse `ip -N -4 -j route show ...`. */
export function parseRoutes(stdout: string): LiveRoute[] {
  const text = stdout.trim();
  if (!text) return [];
  return (JSON.parse(text) as RawRoute[]).map((r) => ({
    destination: canonicalDestination(r.dst),
    via: r.gateway,
    dev: r.dev,
    metric: r.metric ?? 0,
    src: r.prefsrc,
    protocol: String(r.protocol ?? ""),
    multipath: Array.isArray(r.nexthops),
  }));
}

/** The route that occupies the declared route's slot (destination + metric), if any. */
export function routeAt(routes: readonly LiveRoute[], r: Pick<RouteSpec, "destination" | "metric">): LiveRoute | undefined {
  return routes.find((x) => x.destination === r.destination && x.metric === (r.metric ?? 0));
}

export function isOurRoute(r: LiveRoute | undefined): r is LiveRoute {
  return r !== undefined && r.protocol === String(ROUTE_PROTO);
}

/** `ip route add` said a route with this destination and metric exists. */
export function isRouteExists(stderr: string): boolean {
  return /File exists/i.test(stderr);
}

/** `ip route del` found no such route (of ours). */
export function isNoSuchRoute(stderr: string): boolean {
  return /No such process/i.test(stderr);
}

/** Readable name of a route for messages: "198.18.42.0/24 metric 0 (in namespace blue)". */
export function describeRoute(r: RouteSpec): string {
  return `${r.destination} metric ${r.metric ?? 0}${r.namespace ? ` in namespace ${r.namespace}` : ""}`;
}

/** The IPv4 network of an address and prefix length, e.g. ("198.18.41.7", 24) -> "198.18.41.0". */
export { ipv4NetworkOf as ipv4Network } from "../shared/values";
