import * as net from "node:net";
import { canonicalIp } from "../shared/values";

/**
 * Value grammars of match fields, by how OVS prints them back: decimal fields without leading zeros (ovs-ofctl
 * reads `nw_ttl=010` as octal 8 and refuses `tp_dst=080`), numeric fields OVS prints in hex (`pkt_mark=10` is
 * printed 0xa: stored so), MACs in lower case, IPv6 in RFC 5952 form. A value OVS would read otherwise (bits
 * outside its mask, a zero mask, a value wider than the field) is refused. Pure.
 */

const DECIMAL = /^(0|[1-9]\d*)$/;

/** Decimal fields and their largest value. */
const DEC_MAX: Record<string, number> = {
  dl_vlan_pcp: 7, nw_ttl: 255, nw_ecn: 3, icmp_type: 255, icmp_code: 255, icmpv6_type: 255, icmpv6_code: 255,
  ct_zone: 65535, conj_id: 2 ** 32 - 1, mpls_label: 2 ** 20 - 1, mpls_tc: 7, mpls_bos: 1, mpls_ttl: 255, arp_op: 65535,
  ct_nw_proto: 255, ct_tp_src: 65535, ct_tp_dst: 65535,
};

/** Fields OVS prints as 0x-hex, with their width in bits (all maskable). */
const HEX_BITS: Record<string, number> = {
  metadata: 64, pkt_mark: 32, tun_id: 64, ct_mark: 32, ct_label: 128,
  ...Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`reg${i}`, 32])),
};

const MAC_FIELDS = new Set(["dl_src", "dl_dst", "arp_sha", "arp_tha", "nd_sll", "nd_tll"]);
const IPV6_FIELDS = new Set(["ipv6_src", "ipv6_dst", "nd_target", "tun_ipv6_src", "tun_ipv6_dst", "ct_ipv6_src", "ct_ipv6_dst"]);
const IP_FRAG_VALUES = new Set(["no", "yes", "first", "later", "not_later"]);

function bigOf(s: string): bigint | undefined {
  if (DECIMAL.test(s)) return BigInt(s);
  return /^0x[0-9a-fA-F]+$/.test(s) ? BigInt(s) : undefined;
}

function hexProblem(key: string, value: string, bits: number): string | undefined {
  const [v, m, ...more] = value.split("/");
  const val = bigOf(v);
  const mask = m === undefined ? undefined : bigOf(m);
  const limit = (1n << BigInt(bits)) - 1n;
  if (more.length || val === undefined || (m !== undefined && mask === undefined)) return `${key}=${value}: write a number (decimal, or 0x hex) with an optional /mask`;
  if (val > limit || (mask !== undefined && mask > limit)) return `${key}=${value}: wider than the field's ${bits} bits`;
  if (mask === 0n) return `${key}=${value}: a zero mask matches every packet (OVS drops the field)`;
  if (mask !== undefined && (val & ~mask) !== 0n) return `${key}=${value}: the value has bits outside the mask (OVS would clear them)`;
  return undefined;
}

function macProblem(key: string, value: string): string | undefined {
  const [v, m, ...more] = value.split("/");
  const MAC = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;
  if (more.length || !MAC.test(v) || (m !== undefined && !MAC.test(m))) return `${key}=${value}: write a MAC as six ':'-separated hex pairs, with an optional /mask`;
  if (m === undefined) return undefined;
  const bits = (x: string) => BigInt(`0x${x.replace(/:/g, "")}`);
  if (bits(m) === 0n) return `${key}=${value}: a zero mask matches every packet (OVS drops the field)`;
  return (bits(v) & ~bits(m)) !== 0n ? `${key}=${value}: the address has bits outside the mask (OVS would clear them)` : undefined;
}

function ipv6Problem(key: string, value: string): string | undefined {
  const [a, p, ...more] = value.split("/");
  if (more.length || !net.isIPv6(a) || /[%.]/.test(a)) return `${key}=${value}: write an IPv6 address (hex groups) or address/prefix`;
  if (p === undefined) return undefined;
  if (!DECIMAL.test(p) || Number(p) < 1 || Number(p) > 128) return `${key}=${value}: the prefix must be /1../128`;
  const full = BigInt(`0x${expand(a)}`);
  const host = (1n << BigInt(128 - Number(p))) - 1n;
  return (full & host) !== 0n ? `${key}=${value}: the address has bits outside the /${p} prefix (OVS would clear them)` : undefined;
}

/** The 32 hex digits of an IPv6 address written in hex groups. */
function expand(a: string): string {
  const [head, tail] = a.toLowerCase().split("::");
  const h = head ? head.split(":") : [];
  const t = tail !== undefined && tail ? tail.split(":") : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  return groups.map((g) => g.padStart(4, "0")).join("");
}

/** Why OVS would read this value of a field otherwise than written (undefined: as written, up to spelling). */
export function fieldValueProblem(key: string, value: string): string | undefined {
  if (Object.hasOwn(DEC_MAX, key)) {
    return DECIMAL.test(value) && Number(value) <= DEC_MAX[key] ? undefined : `${key}=${value}: must be 0..${DEC_MAX[key]} in decimal without leading zeros`;
  }
  if (Object.hasOwn(HEX_BITS, key)) return hexProblem(key, value, HEX_BITS[key]);
  if (MAC_FIELDS.has(key)) return macProblem(key, value);
  if (IPV6_FIELDS.has(key)) return ipv6Problem(key, value);
  // (1,ETHERTYPE): a packet of that EtherType without Ethernet header; (0,0) is Ethernet, which OVS drops.
  if (key === "packet_type") return /^\(1,0x[1-9a-f][0-9a-f]{0,3}\)$/.test(value) ? undefined : `${key}=${value}: write (1,0xTYPE) with the EtherType in lower-case hex without leading zeros`;
  if (key === "ip_frag" || key === "nw_frag") return IP_FRAG_VALUES.has(value) ? undefined : `${key}=${value}: must be one of ${[...IP_FRAG_VALUES].join(", ")}`;
  return undefined;
}

/** Whether a field's values are judged here. */
export function hasValueRule(key: string): boolean {
  return Object.hasOwn(DEC_MAX, key) || Object.hasOwn(HEX_BITS, key) || MAC_FIELDS.has(key) || IPV6_FIELDS.has(key) || key === "ip_frag" || key === "nw_frag" || key === "packet_type";
}

/** A valid value in the spelling dump-flows prints. */
export function canonicalFieldValue(key: string, value: string): string {
  if (Object.hasOwn(HEX_BITS, key)) {
    const [v, m] = value.split("/").map((x) => BigInt(x));
    // A mask of every bit is no mask: OVS prints the bare value.
    const full = m === undefined || m === (1n << BigInt(HEX_BITS[key])) - 1n;
    const hex = (x: bigint) => (x === 0n ? "0" : `0x${x.toString(16)}`);
    return full ? hex(v) : `${hex(v)}/${hex(m)}`;
  }
  if (MAC_FIELDS.has(key)) return value.toLowerCase();
  if (IPV6_FIELDS.has(key)) {
    const [a, p] = value.split("/");
    return p === undefined || p === "128" ? canonicalIp(a) : `${canonicalIp(a)}/${p}`;
  }
  return value;
}
