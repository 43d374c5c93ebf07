import type { MatchField } from "./flow-model";

/**
 * OpenFlow field prerequisites (ovs-fields(7), "Prerequisites"). ovs-ofctl does not refuse a field whose
 * prerequisite is missing: it drops it (`udp,tcp_flags=+syn` is installed as `udp`), or reads it as the field
 * that shares its bits (`tcp,icmp_type=3` is installed as `tcp,tp_src=3`; `icmp,tp_dst=5` as
 * `icmp,icmp_code=5`). Either way the flow differs from what is declared, so check refuses such matches.
 * Fields are taken under the names OVS prints (flow-fields.ts canonicalField).
 */

type Family = "ipv4" | "ipv6" | "arp" | "mpls";
type L4 = "tcp" | "udp" | "sctp" | "icmp" | "icmp6";

/** What a match says about the packet: from a protocol shorthand, dl_type and nw_proto. */
interface Packet {
  family?: Family;
  l4?: L4;
}

const SHORTHAND: Record<string, Packet> = {
  ip: { family: "ipv4" }, ipv6: { family: "ipv6" }, arp: { family: "arp" }, rarp: { family: "arp" },
  icmp: { family: "ipv4", l4: "icmp" }, tcp: { family: "ipv4", l4: "tcp" }, udp: { family: "ipv4", l4: "udp" }, sctp: { family: "ipv4", l4: "sctp" },
  icmp6: { family: "ipv6", l4: "icmp6" }, tcp6: { family: "ipv6", l4: "tcp" }, udp6: { family: "ipv6", l4: "udp" }, sctp6: { family: "ipv6", l4: "sctp" },
  mpls: { family: "mpls" }, mplsm: { family: "mpls" },
};
const ETHERTYPE: Record<string, Family> = { "0x0800": "ipv4", "0x86dd": "ipv6", "0x0806": "arp", "0x8035": "arp", "0x8847": "mpls", "0x8848": "mpls" };
const IP_PROTO: Record<string, L4> = { "1": "icmp", "6": "tcp", "17": "udp", "132": "sctp", "58": "icmp6" };

/** The packet a match describes. */
function packetOf(fields: readonly MatchField[]): Packet {
  const p: Packet = {};
  for (const f of fields) {
    if (f.value === undefined && Object.hasOwn(SHORTHAND, f.key)) Object.assign(p, SHORTHAND[f.key]);
    if (f.key === "dl_type" && f.value && Object.hasOwn(ETHERTYPE, f.value)) p.family = ETHERTYPE[f.value];
  }
  const proto = fields.find((f) => f.key === "nw_proto")?.value;
  if (proto !== undefined && Object.hasOwn(IP_PROTO, proto)) p.l4 = IP_PROTO[proto];
  return p;
}

const IP = (p: Packet) => p.family === "ipv4" || p.family === "ipv6";
/** Each field's prerequisite, and how to write it. */
const NEEDS: Record<string, [(p: Packet) => boolean, string]> = {
  // With arp, OVS reads nw_src/nw_dst/nw_proto as arp_spa/arp_tpa/arp_op and prints those: write them so.
  nw_src: [(p) => p.family === "ipv4", "ip (for ARP write arp_spa)"],
  nw_dst: [(p) => p.family === "ipv4", "ip (for ARP write arp_tpa)"],
  nw_proto: [IP, "ip or ipv6 (for ARP write arp_op)"],
  nw_tos: [IP, "ip or ipv6"], nw_ecn: [IP, "ip or ipv6"], nw_ttl: [IP, "ip or ipv6"], ip_frag: [IP, "ip or ipv6"], nw_frag: [IP, "ip or ipv6"],
  ipv6_src: [(p) => p.family === "ipv6", "ipv6"], ipv6_dst: [(p) => p.family === "ipv6", "ipv6"], ipv6_label: [(p) => p.family === "ipv6", "ipv6"],
  arp_op: [(p) => p.family === "arp", "arp"], arp_spa: [(p) => p.family === "arp", "arp"], arp_tpa: [(p) => p.family === "arp", "arp"],
  arp_sha: [(p) => p.family === "arp", "arp"], arp_tha: [(p) => p.family === "arp", "arp"],
  tp_src: [(p) => p.l4 === "tcp" || p.l4 === "udp" || p.l4 === "sctp", "tcp, udp or sctp (or tcp6, udp6, sctp6)"],
  tp_dst: [(p) => p.l4 === "tcp" || p.l4 === "udp" || p.l4 === "sctp", "tcp, udp or sctp (or tcp6, udp6, sctp6)"],
  tcp_flags: [(p) => p.l4 === "tcp", "tcp or tcp6"],
  icmp_type: [(p) => p.l4 === "icmp" || p.l4 === "icmp6", "icmp or icmp6"], icmp_code: [(p) => p.l4 === "icmp" || p.l4 === "icmp6", "icmp or icmp6"],
  nd_target: [(p) => p.l4 === "icmp6", "icmp6"], nd_sll: [(p) => p.l4 === "icmp6", "icmp6"], nd_tll: [(p) => p.l4 === "icmp6", "icmp6"],
  nd_reserved: [(p) => p.l4 === "icmp6", "icmp6"], nd_options_type: [(p) => p.l4 === "icmp6", "icmp6"],
  mpls_label: [(p) => p.family === "mpls", "mpls"], mpls_tc: [(p) => p.family === "mpls", "mpls"],
  mpls_bos: [(p) => p.family === "mpls", "mpls"], mpls_ttl: [(p) => p.family === "mpls", "mpls"],
};

/** Names a field was written under that carry a narrower prerequisite than the field OVS prints. */
const WRITTEN_AS: Record<string, L4> = {
  tcp_src: "tcp", tcp_dst: "tcp", udp_src: "udp", udp_dst: "udp", sctp_src: "sctp", sctp_dst: "sctp", icmpv6_type: "icmp6", icmpv6_code: "icmp6",
};

/**
 * Reasons the fields (canonical names; `written` the names as declared, same order) lack a prerequisite.
 * Empty: OVS installs every field as written.
 */
export function prerequisiteProblems(fields: readonly MatchField[], written: readonly string[]): string[] {
  const p = packetOf(fields);
  const out: string[] = [];
  // A protocol word sets dl_type (and nw_proto for tcp, udp, ...): OVS keeps only the last of the two.
  const word = fields.find((f) => f.value === undefined && Object.hasOwn(SHORTHAND, f.key));
  if (word && fields.some((f) => f.key === "dl_type")) out.push(`dl_type conflicts with "${word.key}" (OVS would keep only the last): write one of them`);
  if (word && SHORTHAND[word.key].l4 && fields.some((f) => f.key === "nw_proto")) out.push(`nw_proto conflicts with "${word.key}" (OVS would keep only the last): write one of them`);
  fields.forEach((f, i) => {
    if (f.value === undefined || !Object.hasOwn(NEEDS, f.key)) return;
    const [ok, what] = NEEDS[f.key];
    const w = written[i] ?? f.key;
    if (Object.hasOwn(WRITTEN_AS, w) && p.l4 !== WRITTEN_AS[w]) out.push(`${w} needs ${WRITTEN_AS[w]} in the match (OVS would drop it or read it as another field)`);
    else if (!ok(p)) out.push(`${w} needs ${what} in the match (OVS would drop it or read it as another field)`);
  });
  return out;
}
