import type { IpLink } from "../../provider/ip/ip";
export { declaredAddresses, isUp, normalizeCidrs } from "../../provider/ip/ip";
import type { Container, HostFacts } from "./facts";

/** Where a link lives: "" is the host's own namespace, else a named namespace. */
export interface LinkAt {
  ns: string;
  link: IpLink;
}

/** The link of that name, in the host first, then in the named namespaces (sorted). */
export function findLink(facts: HostFacts, name: string): LinkAt | undefined {
  for (const ns of ["", ...facts.namespaces]) {
    const link = facts.links.get(ns)?.find((l) => l.ifname === name);
    if (link) return { ns, link };
  }
  return undefined;
}

/** Two veth ends point at each other by ifindex (each reports the other's as its link_index). */
function peers(a: IpLink, b: IpLink): boolean {
  return a.linkKind === "veth" && b.linkKind === "veth" && a.linkIndex === b.ifindex && b.linkIndex === a.ifindex;
}

/** Named namespaces that are a container's namespace linked under /run/netns (pipework and ovs-docker make these). */
export function containerOfNamespace(facts: HostFacts, ns: string): Container | undefined {
  const inode = facts.namespaceInodes.get(ns);
  return inode ? facts.containers.find((c) => c.inode === inode) : undefined;
}

export type Peer = { kind: "ns"; at: LinkAt } | { kind: "container"; container: Container; link: IpLink };

/**
 * The other end of a veth: in another named namespace (or the host), or inside a running container. A peer in
 * a namespace that has no name and no container is not found (undefined).
 */
export function vethPeer(facts: HostFacts, at: LinkAt): Peer | undefined {
  if (at.link.linkKind !== "veth" || at.link.linkIndex === undefined) return undefined;
  const sameNs = at.link.linkNetnsId === undefined;
  // ifindexes repeat across namespaces (and hosts sharing one docker daemon): from the host's namespace, the
  // peer's namespace is also known by inode (lsns), which must match.
  const peerInode = !sameNs && at.ns === "" ? facts.nsidInodes.get(at.link.linkNetnsId!) : undefined;
  const inodeFits = (inode: string | undefined) => peerInode === undefined || inode === peerInode;
  for (const ns of sameNs ? [at.ns] : ["", ...facts.namespaces].filter((n) => n !== at.ns)) {
    if (!sameNs && (containerOfNamespace(facts, ns) || (ns !== "" && !inodeFits(facts.namespaceInodes.get(ns))))) continue;
    const link = facts.links.get(ns)?.find((l) => peers(at.link, l));
    if (link) return { kind: "ns", at: { ns, link } };
  }
  if (!sameNs) {
    for (const container of facts.containers.filter((c) => inodeFits(c.inode))) {
      const link = container.links.find((l) => peers(at.link, l));
      if (link) return { kind: "container", container, link };
    }
  }
  return undefined;
}

/**
 * The management path: the interfaces holding the address the SSH session arrives on, loopback, and docker's
 * default bridge. Discover leaves them (and routes through them) out unless --include-management.
 */
export function managementInterfaces(facts: HostFacts, address: string): Set<string> {
  const out = new Set(["lo", "docker0"]);
  for (const l of facts.links.get("") ?? []) if (l.addrs.some((a) => a.local === address)) out.add(l.ifname);
  return out;
}
