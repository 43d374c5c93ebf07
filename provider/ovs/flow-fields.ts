import type { MatchField } from "./flow-model";
import { canonicalFieldValue, fieldValueProblem, hasValueRule } from "./flow-values";
import { ipv4NetworkOf } from "../shared/values";

/**
 * The OpenFlow match vocabulary of ovs-fields(7) (OVS 3.1), each name checked offline with
 * `ovs-ofctl parse-flow 'NAME=1,actions=drop'`. A match is validated field by field against it, because
 * ovs-ofctl reads some text differently than it is written: it cuts a flow line at the first "action"
 * (`ip,action_x=1` is installed as `ip`, and the strict delete of the declared text then fails for ever), a
 * bare field name matches anything (`reg0` is `reg0=0/0`), and a repeated field keeps only its last value.
 */

/** Protocol shorthands: the only words that stand alone in a match (OVS prints them first). */
export const SHORTHANDS = new Set(["ip", "ipv6", "icmp", "icmp6", "tcp", "tcp6", "udp", "udp6", "sctp", "sctp6", "arp", "rarp", "mpls", "mplsm"]);

/** EtherTypes dump-flows prints as a protocol word. */
const ETHERTYPE_WORD: Record<string, string> = { "0x0800": "ip", "0x86dd": "ipv6", "0x0806": "arp", "0x8035": "rarp", "0x8847": "mpls", "0x8848": "mplsm" };

/** Fields OVS prints under another name: we store the printed one, so what we keep is what dump-flows shows. */
export const CANONICAL_NAME: Record<string, string> = {
  tcp_src: "tp_src", udp_src: "tp_src", sctp_src: "tp_src",
  tcp_dst: "tp_dst", udp_dst: "tp_dst", sctp_dst: "tp_dst",
  ip_src: "nw_src", ip_dst: "nw_dst", eth_src: "dl_src", eth_dst: "dl_dst", eth_type: "dl_type",
  vlan_pcp: "dl_vlan_pcp", ip_frag: "nw_frag", icmpv6_type: "icmp_type", icmpv6_code: "icmp_code", ip_ecn: "nw_ecn", ip_proto: "nw_proto", tunnel_id: "tun_id", in_port_oxm: "in_port",
  nsp: "nsh_spi", nsi: "nsh_si", nshc1: "nsh_c1", nshc2: "nsh_c2", nshc3: "nsh_c3", nshc4: "nsh_c4",
};

/** The name OVS prints a field under (own properties only: "constructor" is no field). */
function canonicalName(key: string): string {
  return Object.hasOwn(CANONICAL_NAME, key) ? CANONICAL_NAME[key] : key;
}

const NAMES = [
  "conj_id", "tun_id", "tun_src", "tun_dst", "tun_ipv6_src", "tun_ipv6_dst", "tun_gbp_id", "tun_gbp_flags",
  "tun_erspan_ver", "tun_erspan_idx", "tun_erspan_dir", "tun_erspan_hwid", "tun_gtpu_flags", "tun_gtpu_msgtype", "tun_flags",
  "in_port", "skb_priority", "pkt_mark", "actset_output", "packet_type", "recirc_id", "dp_hash",
  "ct_state", "ct_zone", "ct_mark", "ct_label", "ct_nw_src", "ct_nw_dst", "ct_ipv6_src", "ct_ipv6_dst", "ct_nw_proto", "ct_tp_src", "ct_tp_dst",
  "metadata", "dl_src", "dl_dst", "dl_type", "dl_vlan", "dl_vlan_pcp", "vlan_tci",
  "mpls_label", "mpls_tc", "mpls_bos", "mpls_ttl", "nw_src", "nw_dst", "ipv6_src", "ipv6_dst", "ipv6_label",
  "nw_proto", "nw_ttl", "ip_frag", "nw_frag", "nw_tos", "ip_dscp", "nw_ecn",
  "arp_op", "arp_spa", "arp_tpa", "arp_sha", "arp_tha",
  "nsh_flags", "nsh_ttl", "nsh_mdtype", "nsh_np", "nsh_spi", "nsh_si", "nsh_c1", "nsh_c2", "nsh_c3", "nsh_c4",
  "tp_src", "tp_dst", "tcp_flags", "icmp_type", "icmp_code", "icmpv6_type", "icmpv6_code",
  "nd_target", "nd_sll", "nd_tll", "nd_reserved", "nd_options_type",
];
const FIELDS = new Set([...NAMES, ...Object.keys(CANONICAL_NAME)]);
/** reg0-15, xreg0-7, xxreg0-3, tun_metadata0-63 (ovs-fields(7) documents each family by its first member). */
const FAMILY = /^(?:reg(?:[0-9]|1[0-5])|xreg[0-7]|xxreg[0-3]|tun_metadata(?:[0-9]|[1-5][0-9]|6[0-3]))$/;

export function isMatchField(key: string): boolean {
  return FIELDS.has(key) || FAMILY.test(key);
}

/** Fields whose value OVS would read (or print) otherwise: refused with the spelling to use instead. */
const REWRITTEN: Record<string, string> = {
  vlan_vid: "ovs-ofctl reads vlan_vid without the OFPVID_PRESENT bit as \"no VLAN\"; use dl_vlan=0..4095",
};

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV4_FIELDS = new Set(["nw_src", "nw_dst", "arp_spa", "arp_tpa", "tun_src", "tun_dst", "ct_nw_src", "ct_nw_dst"]);
const PROTO_SHORTHAND: Record<string, string> = { "1": "icmp", "6": "tcp", "17": "udp", "58": "icmp6", "132": "sctp" };
/** Reserved port names OVS prints as written; any other name needs a switch to resolve it. */
const PORT_NAMES = new Set(["LOCAL", "CONTROLLER"]);
const DECIMAL = /^(0|[1-9]\d*)$/;

function ipv4Problem(key: string, v: string): string | undefined {
  const [addr, bits, ...more] = v.split("/");
  if (more.length || !IPV4.test(addr)) return `${key}=${v}: write an IPv4 address or address/prefix (e.g. 198.18.1.0/24)`;
  if (bits === undefined) return undefined;
  if (!DECIMAL.test(bits) || Number(bits) < 1 || Number(bits) > 32) return `${key}=${v}: the prefix must be /1../32 (a dotted mask or /0 is read differently)`;
  // IPV4 admits no leading zeros, so the network differs in text exactly when host bits are set.
  const network = ipv4NetworkOf(addr, Number(bits));
  return network === addr ? undefined : `${key}=${v}: address has bits outside the /${bits} prefix (OVS would store ${network}/${bits})`;
}

/** Flag names of the flag fields, in bit order (the order OVS prints them in). */
const FLAG_ORDER: Record<string, string[]> = {
  ct_state: ["new", "est", "rel", "rpl", "inv", "trk", "snat", "dnat"],
  tcp_flags: ["fin", "syn", "rst", "psh", "ack", "urg", "ece", "cwr", "ns"],
};

/** Why OVS would read `key=value` otherwise than written (undefined: it reads it as written). */
export function valueProblem(key: string, value: string): string | undefined {
  if (UNSUPPORTED.has(key)) return `"${key}" is not supported in FlowEntry matches (OVS drops it unless ct_state and ct_nw_proto allow it)`;
  if (IPV4_FIELDS.has(key)) return ipv4Problem(key, value);
  if (key === "dl_vlan") {
    // ovs-ofctl keeps only 12 bits: dl_vlan=4096 silently becomes dl_vlan=0.
    if (!DECIMAL.test(value) || Number(value) > 4095) return `dl_vlan=${value}: must be a VLAN id 0..4095 in decimal`;
  } else if (key === "dl_vlan_pcp") {
    if (!/^[0-7]$/.test(value)) return `${key}=${value}: must be a priority 0..7`;
  } else if (key === "in_port") {
    const ok = (DECIMAL.test(value) && Number(value) >= 1 && Number(value) <= 0xfeff) || PORT_NAMES.has(value);
    if (!ok) return `in_port=${value}: must be an OpenFlow port number 1..65279 (or LOCAL/CONTROLLER), e.g. an OvsPort's ofport output`;
  } else if (key === "dl_type") {
    if (!/^0x[0-9a-f]{4}$/.test(value)) return `${key}=${value}: write the EtherType as 0x and four lowercase hex digits (e.g. 0x88cc)`;
  } else if (key === "nw_proto") {
    if (!DECIMAL.test(value) || Number(value) > 255) return `${key}=${value}: must be an IP protocol number 0..255`;
    if (Object.hasOwn(PROTO_SHORTHAND, value)) return `${key}=${value}: OVS prints this as "${PROTO_SHORTHAND[value]}"; write that (or tcp6/udp6/sctp6 for IPv6)`;
  } else if (key === "ip_dscp") {
    return `ip_dscp=${value}: OVS prints it as nw_tos=4*DSCP; write nw_tos (a multiple of 4 in 0..252)`;
  } else if (key === "nw_tos") {
    if (!DECIMAL.test(value) || Number(value) > 255 || Number(value) % 4 !== 0) return `${key}=${value}: must be a multiple of 4 in 0..252 (the ECN bits are nw_ecn)`;
  } else if (/^(tp_src|tp_dst)$/.test(key)) {
    if (!DECIMAL.test(value) || Number(value) > 65535) return `${key}=${value}: must be a port number 0..65535 in decimal`;
  } else if (Object.hasOwn(FLAG_ORDER, key)) {
    const flags = /^([+-][a-z]+)+$/.test(value) ? value.match(/[a-z]+/g)! : undefined;
    if (!flags || flags.some((x) => !FLAG_ORDER[key].includes(x)) || new Set(flags).size !== flags.length) {
      return `${key}=${value}: write +flag/-flag from ${FLAG_ORDER[key].join(", ")}, each once`;
    }
  } else if (hasValueRule(key)) return fieldValueProblem(key, value);
  else if (!OWN_RULES.has(key)) return `"${key}" is not supported in FlowEntry matches (pulumi-ovs cannot check how OVS prints it back)`;
  return undefined;
}

/**
 * Connection-tracking tuple fields: OVS drops them unless ct_state and ct_nw_proto say what they need
 * (`ip,ct_tp_src=5` is installed as `ip`), rules pulumi-ovs does not model.
 */
const UNSUPPORTED = new Set(["ct_nw_src", "ct_nw_dst", "ct_ipv6_src", "ct_ipv6_dst", "ct_nw_proto", "ct_tp_src", "ct_tp_dst"]);

/** Fields whose values the branches above judge (besides those of flow-values.ts). */
const OWN_RULES = new Set([...IPV4_FIELDS, "dl_vlan", "dl_vlan_pcp", "in_port", "dl_type", "nw_proto", "ip_dscp", "nw_tos", "tp_src", "tp_dst"]);

/** Reasons one `key[=value]` token is not a match field OVS reads as written. */
export function fieldProblem(f: MatchField): string | undefined {
  const { key, value } = f;
  if (value === undefined) {
    if (SHORTHANDS.has(key)) return undefined;
    if (isMatchField(key) || Object.hasOwn(REWRITTEN, key)) return `"${key}" needs a value: a bare field matches every packet`;
    return `"${key}" is not a protocol (${[...SHORTHANDS].join(", ")})`;
  }
  if (SHORTHANDS.has(key)) return `"${key}" takes no value`;
  if (Object.hasOwn(REWRITTEN, key)) return `${key}: ${REWRITTEN[key]}`;
  if (!isMatchField(key)) return `"${key}" is not an OpenFlow match field (see ovs-fields(7))`;
  return valueProblem(canonicalName(key), value);
}


/**
 * The field as dump-flows prints it: OVS's name, a protocol word for an EtherType it has one for, flags in bit
 * order, a /32 dropped, numbers in the base OVS prints them in (flow-values.ts). What check stores is this form.
 */
export function canonicalField(f: MatchField): MatchField {
  const key = canonicalName(f.key);
  if (f.value === undefined) return { key };
  // OVS prints an EtherType it has a protocol word for as that word.
  if (key === "dl_type" && Object.hasOwn(ETHERTYPE_WORD, f.value)) return { key: ETHERTYPE_WORD[f.value] };
  const order = Object.hasOwn(FLAG_ORDER, key) ? FLAG_ORDER[key] : undefined;
  // OVS prints `+flag-flag` lists in bit order (ct_state=+trk+est is printed +est+trk).
  if (order && /^([+-][a-z]+)+$/.test(f.value) && f.value.match(/[a-z]+/g)!.every((x) => order.includes(x))) {
    const flags = f.value.match(/[+-][a-z]+/g)!;
    return { key, value: flags.sort((a, b) => order.indexOf(a.slice(1)) - order.indexOf(b.slice(1))).join("") };
  }
  // OVS prints a /32 prefix as the bare address.
  if (IPV4_FIELDS.has(key) && f.value.endsWith("/32")) return { key, value: f.value.slice(0, -3) };
  return { key, value: hasValueRule(key) && !fieldValueProblem(key, f.value) ? canonicalFieldValue(key, f.value) : f.value };
}
