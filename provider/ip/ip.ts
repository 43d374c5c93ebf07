/**
 * iproute2 argv builders and `ip -j` parsers. Every builder takes an optional namespace and uses `ip -n NS`,
 * which enters /run/netns/NS for that one command (no `ip netns exec` shell needed).
 */

export function ipArgv(netns: string | undefined, ...args: string[]): string[] {
  return netns ? ["ip", "-n", netns, ...args] : ["ip", ...args];
}

export interface IpAddr {
  family: "inet" | "inet6";
  local: string;
  prefixlen: number;
  scope?: string;
}

export interface IpLink {
  ifindex: number;
  ifname: string;
  flags: string[];
  mtu: number;
  operstate?: string;
  address?: string;
  linkKind?: string;
  /** ifindex of the peer (veth) or lower device, and the namespace id it lives in, when ip reports them */
  link?: string;
  linkIndex?: number;
  linkNetnsId?: number;
  ifalias?: string;
  master?: string;
  addrs: IpAddr[];
}

interface RawLink {
  ifindex: number;
  ifname: string;
  flags?: string[];
  mtu: number;
  operstate?: string;
  address?: string;
  link?: string;
  link_index?: number;
  link_netnsid?: number;
  ifalias?: string;
  master?: string;
  linkinfo?: { info_kind?: string };
  addr_info?: { family: string; local: string; prefixlen: number; scope?: string }[];
}

/** Parse `ip -j -d addr show` (or `ip -j -d link show`): links with their addresses. */
export function parseIpJson(stdout: string): IpLink[] {
  const text = stdout.trim();
  if (!text) return [];
  const raw = JSON.parse(text) as RawLink[];
  return raw.map((l) => ({
    ifindex: l.ifindex,
    // "veth0@if12" forms appear only in text output; JSON gives the bare name.
    ifname: l.ifname,
    flags: l.flags ?? [],
    mtu: l.mtu,
    operstate: l.operstate,
    address: l.address,
    linkKind: l.linkinfo?.info_kind,
    link: l.link,
    linkIndex: l.link_index,
    linkNetnsId: l.link_netnsid,
    ifalias: l.ifalias,
    master: l.master,
    addrs: (l.addr_info ?? [])
      .filter((a) => a.family === "inet" || a.family === "inet6")
      .map((a) => ({ family: a.family as "inet" | "inet6", local: a.local, prefixlen: a.prefixlen, scope: a.scope })),
  }));
}

/** Addresses a user would declare: global scope only (no IPv6 link-local), as "addr/len", sorted. */
export function declaredAddresses(link: IpLink): string[] {
  return link.addrs
    .filter((a) => a.scope === undefined || a.scope === "global")
    .map((a) => `${a.local}/${a.prefixlen}`)
    .sort();
}

export function isUp(link: IpLink): boolean {
  return link.flags.includes("UP");
}

/** Canonical form of a CIDR list for comparison (IPv6 lower-cased, sorted, deduplicated). */
export function normalizeCidrs(cidrs: readonly string[] | undefined): string[] | undefined {
  return cidrs ? [...new Set(cidrs.map((c) => c.toLowerCase()))].sort() : undefined;
}

/** Global addresses of a link in kernel order (the order deletions must respect). */
export function kernelOrderAddresses(link: IpLink): string[] {
  return link.addrs.filter((a) => a.scope === undefined || a.scope === "global").map((a) => `${a.local}/${a.prefixlen}`);
}

/**
 * Commands that make a link's address list exactly `want`, given `have` in kernel order. Deleting a primary
 * IPv4 address also deletes its secondaries (promote_secondaries is off by default), so deletions go in
 * reverse kernel order and, if anything was deleted, every wanted address is re-applied with `addr replace`.
 */
export function addressChanges(netns: string | undefined, dev: string, have: readonly string[], want: readonly string[]): string[][] {
  const dels = have.filter((a) => !want.includes(a)).reverse();
  const adds = dels.length > 0 ? want : want.filter((a) => !have.includes(a));
  return [
    ...dels.map((a) => ipArgv(netns, "addr", "del", a, "dev", dev)),
    ...adds.map((a) => ipArgv(netns, "addr", "replace", a, "dev", dev)),
  ];
}
