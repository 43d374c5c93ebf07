import { markedOwner } from "../../provider/ip/owner";
import { NAT_CHAINS, NAT_TARGETS, ownerComment, parseRuleArgs } from "../../provider/iptables/nat";
import { OWNER_KEY } from "../../provider/shared/ownership";
import { containerOfNamespace, declaredAddresses, isUp, vethPeer, type LinkAt } from "./links";
import { contentId, present, type Context } from "./model";

/** Kernel objects: named namespaces, veth pairs between them, routes and iptables nat rules (pure). */

/** Route protocols a person or pulumi-ovs sets (boot is what `ip route add` gives); others are a daemon's. */
const HAND_PROTOCOLS = new Set(["", "3", "4", "198", "boot", "static"]);

/** Named namespaces that discover declares (not filtered, not a container's namespace linked by name). */
export function buildNamespaces(ctx: Context): string[] {
  const out: string[] = [];
  for (const ns of ctx.host.facts.namespaces) {
    if (ctx.filteredOut("namespace", ns)) continue;
    const what = `namespace ${JSON.stringify(ns)}`;
    const lo = ctx.host.facts.links.get(ns)?.find((l) => l.ifname === "lo");
    const ctr = containerOfNamespace(ctx.host.facts, ns);
    if (ctr) {
      // This stack's own link (a ContainerAttachment's) is declared by that attachment: nothing to list.
      if (!ctx.ownedHere(markedOwner(lo?.ifalias, ""))) ctx.skip(what, `container ${JSON.stringify(ctr.name)}'s namespace linked by name: its ContainerAttachment makes its own link`);
      continue;
    }
    const name = ctx.logical("ns", ns);
    const owner = markedOwner(lo?.ifalias, ctx.ownerOf("NetNamespace", name));
    if (ctx.ownedElsewhere(owner)) {
      ctx.skip(what, `owned by ${JSON.stringify(owner)} (--include-owned to adopt it anyway)`);
      continue;
    }
    ctx.provided.set(`ns:${ns}`, ctx.add("NetNamespace", name, { name: ns }));
    out.push(ns);
  }
  return out;
}

/** Veth pairs with both ends in the host or in declared namespaces; ends into containers are attachments. */
export function buildVeths(ctx: Context, namespaces: readonly string[], mgmt: Set<string>): void {
  const facts = ctx.host.facts;
  const seen = new Set<string>();
  const key = (at: LinkAt) => `${at.ns}/${at.link.ifname}`;
  for (const ns of ["", ...namespaces]) {
    for (const link of facts.links.get(ns) ?? []) {
      const here: LinkAt = { ns, link };
      if (link.linkKind !== "veth" || seen.has(key(here)) || ctx.filteredOut("name", link.ifname)) continue;
      if (ns === "" && (mgmt.has(link.ifname) || (link.master && mgmt.has(link.master)))) continue;
      const peer = vethPeer(facts, here);
      if (peer?.kind === "container") continue; // an attachment when its host end is on a bridge (build-ovs.ts)
      const what = `veth ${JSON.stringify(link.ifname)}${ns ? ` in namespace ${JSON.stringify(ns)}` : ""}`;
      if (!peer) {
        if (link.linkNetnsId !== undefined) ctx.skip(what, "its peer is in a namespace without a name (or one filtered out)");
        continue;
      }
      if (ns !== "" && peer.at.ns !== "" && !namespaces.includes(peer.at.ns)) continue;
      seen.add(key(peer.at));
      seen.add(key(here));
      if (ctx.filteredOut("name", peer.at.link.ifname)) continue;
      // The end in the host first (else the name that sorts first): the same pair gets the same name every run.
      const [a, b] = peer.at.ns === "" && ns !== "" ? [peer.at, here] : ns === "" ? [here, peer.at] : key(here) < key(peer.at) ? [here, peer.at] : [peer.at, here];
      pair(ctx, a, b, what);
    }
  }
}

function pair(ctx: Context, a: LinkAt, b: LinkAt, what: string): void {
  if (a.link.mtu !== b.link.mtu) return ctx.skip(what, `its ends have different MTUs (${a.link.mtu}, ${b.link.mtu}); VethPair gives both one MTU`);
  const name = ctx.logical("veth", a.ns || "host", a.link.ifname);
  const owner = markedOwner(a.link.ifalias, ctx.ownerOf("VethPair", name));
  if (ctx.ownedElsewhere(owner)) return ctx.skip(what, `owned by ${JSON.stringify(owner)} (--include-owned to adopt it anyway)`);
  const ref = ctx.add("VethPair", name, {
    name: a.link.ifname,
    namespace: ctx.nsRef(a.ns),
    peerName: b.link.ifname,
    peerNamespace: ctx.nsRef(b.ns),
    mtu: a.link.mtu === 1500 ? undefined : a.link.mtu,
    mac: a.link.address,
    peerMac: b.link.address,
    addresses: present(declaredAddresses(a.link)),
    peerAddresses: present(declaredAddresses(b.link)),
    up: isUp(a.link) ? undefined : false,
    peerUp: isUp(b.link) ? undefined : false,
  }, ["TX checksum offload is left as it is (not declared)"]);
  ctx.provided.set(`${a.ns}/${a.link.ifname}`, ref);
  ctx.provided.set(`${b.ns}/${b.link.ifname}`, { ref: ref.ref, prop: "peerName" });
}

export function buildRoutes(ctx: Context, namespaces: readonly string[], mgmt: Set<string>): void {
  for (const ns of ["", ...namespaces]) {
    for (const r of ctx.host.facts.routes.get(ns) ?? []) {
      if (r.protocol === "2") continue; // the kernel's, from an address: it comes with the address
      const what = `route ${r.destination}${r.via ? ` via ${r.via}` : ""}${r.dev ? ` dev ${r.dev}` : ""}${ns ? ` in namespace ${JSON.stringify(ns)}` : ""}`;
      if (ns === "" && !ctx.opts.includeManagement && r.dev && mgmt.has(r.dev)) {
        ctx.skip(what, "management path (--include-management to adopt it)");
        continue;
      }
      if (r.multipath) {
        ctx.skip(what, "a multipath route: Route declares one next hop");
        continue;
      }
      if (!HAND_PROTOCOLS.has(r.protocol)) {
        ctx.skip(what, `made by a routing daemon (protocol ${r.protocol}): leave it to the daemon`);
        continue;
      }
      const name = ctx.logical("route", ns || "host", r.destination.replace("/", "_"), String(r.metric));
      ctx.add("Route", name, {
        namespace: ctx.nsRef(ns),
        destination: r.destination,
        via: r.via,
        dev: r.dev === undefined ? undefined : ctx.ifRef(ns, r.dev),
        metric: r.metric || undefined,
        src: r.src,
      }, ["adopting rewrites only its protocol number (198 marks pulumi-ovs routes); the route stays in place"]);
    }
  }
}

export function buildNat(ctx: Context, namespaces: readonly string[], mgmt: Set<string>): void {
  for (const table of ctx.host.facts.otherTables) ctx.skip(`iptables table ${JSON.stringify(table)} of the host`, "it holds rules, and pulumi-ovs manages only nat rules");
  for (const ns of ["", ...namespaces]) {
    for (const r of ctx.host.facts.nat.get(ns) ?? []) {
      const text = `-A ${r.chain} ${r.args.join(" ")}`;
      const what = `nat rule ${JSON.stringify(text)}${ns ? ` in namespace ${JSON.stringify(ns)}` : ""}`;
      const spec = parseRuleArgs(r.args);
      const why =
        !(NAT_CHAINS as readonly string[]).includes(r.chain) ? `in the user chain ${JSON.stringify(r.chain)} (docker's or another tool's)`
        : spec.unknown.length ? `uses ${JSON.stringify(spec.unknown.join(" "))}, which NatRule cannot express`
        : !spec.jump || !(NAT_TARGETS as readonly string[]).includes(spec.jump) ? `jumps to ${JSON.stringify(spec.jump ?? "")}, which NatRule cannot express`
        : !ctx.opts.includeManagement && [spec.inInterface, spec.outInterface].some((i) => i !== undefined && mgmt.has(i.replace(/^!/, ""))) ? "management path (docker0 or the SSH interface; --include-management to adopt it)"
        : undefined;
      if (why) {
        ctx.skip(what, why);
        continue;
      }
      const { unknown: _none, ...fields } = spec;
      // From the parsed rule, not its text: the ownership comment adoption adds must not rename it.
      const name = ctx.logical("nat", ns || "host", r.chain, contentId(JSON.stringify(Object.entries(fields).sort())));
      const notes = ["adopting swaps the rule for the same one carrying our comment, at the end of its chain (existing connections keep their NAT)"];
      if (r.comment?.startsWith(`${OWNER_KEY}=`)) {
        if (r.comment !== ownerComment(ctx.ownerOf("NatRule", name)) && !ctx.opts.includeOwned) {
          ctx.skip(what, "carries another pulumi-ovs stack's owner comment (--include-owned to adopt it anyway)");
          continue;
        }
      } else if (r.comment !== undefined) notes.push(`its comment ${JSON.stringify(r.comment)} is replaced by the ownership comment`);
      ctx.add("NatRule", name, {
        namespace: ctx.nsRef(ns),
        chain: r.chain,
        source: spec.source,
        destination: spec.destination,
        inInterface: spec.inInterface,
        outInterface: spec.outInterface,
        protocol: spec.protocol,
        destinationPort: spec.destinationPort,
        jump: spec.jump,
        toSource: spec.toSource,
        toDestination: spec.toDestination,
      }, notes);
    }
  }
}
