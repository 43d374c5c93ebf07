import fc from "fast-check";

/**
 * Generated FlowEntry matches for property tests: an optional protocol word and one to three fields, each with
 * values of every kind (valid, out of range, leading zeros, hex, masks, odd case, missing prerequisites).
 */

/** Field values of every kind: valid, out of range, leading zeros, hex, masks, odd case. */
const num = (max: number) => fc.oneof(fc.integer({ min: 0, max }).map(String), fc.integer({ min: 0, max: max * 2 + 2 }).map(String), fc.integer({ min: 0, max }).map((n) => `0${n}`), fc.integer({ min: 0, max }).map((n) => `0x${n.toString(16)}`));
const hexMasked = (bits: number) =>
  fc.tuple(fc.bigInt({ min: 0n, max: (1n << BigInt(bits)) - 1n }), fc.option(fc.bigInt({ min: 0n, max: (1n << BigInt(bits)) - 1n })), fc.boolean()).map(([v, m, dec]) => {
    const val = m === null ? v : v & m;
    const w = (x: bigint) => (dec ? x.toString() : `0x${x.toString(16).toUpperCase()}`);
    return m === null ? w(val) : `${w(val)}/${w(m)}`;
  });
const octetArb = fc.integer({ min: 0, max: 255 });
const ipv4Arb = fc.tuple(octetArb, octetArb, octetArb, octetArb, fc.option(fc.integer({ min: 0, max: 33 }))).map(([a, b, c, d, p]) => `${a}.${b}.${c}.${d}${p === null ? "" : `/${p}`}`);
const ipv6Arb = fc.tuple(fc.ipV6(), fc.option(fc.integer({ min: 1, max: 128 })), fc.boolean()).map(([a, p, up]) => `${up ? a.toUpperCase() : a}${p === null ? "" : `/${p}`}`);
const macArb = fc.tuple(fc.array(octetArb, { minLength: 6, maxLength: 6 }), fc.boolean()).map(([b, up]) => {
  const t = b.map((x) => x.toString(16).padStart(2, "0")).join(":");
  return up ? t.toUpperCase() : t;
});
const flagArb = (names: string[]) => fc.uniqueArray(fc.tuple(fc.constantFrom("+", "-"), fc.constantFrom(...names)), { minLength: 1, maxLength: 3, selector: (x) => x[1] }).map((l) => l.map(([s, n]) => s + n).join(""));
const FIELD_VALUES: [string, fc.Arbitrary<string>][] = [
  ["in_port", num(70000)], ["dl_vlan", num(4095)], ["dl_vlan_pcp", num(7)], ["dl_src", macArb], ["dl_dst", macArb], ["eth_src", macArb],
  ["dl_type", fc.constantFrom("0x0800", "0x86dd", "0x0806", "0x88cc", "0x800", "2048")],
  ["nw_src", ipv4Arb], ["nw_dst", ipv4Arb], ["ip_dst", ipv4Arb], ["nw_proto", num(255)], ["nw_tos", num(255)], ["nw_ecn", num(3)], ["nw_ttl", num(255)],
  ["ip_frag", fc.constantFrom("no", "yes", "first", "later", "not_later", "maybe")],
  ["ipv6_src", ipv6Arb], ["ipv6_dst", ipv6Arb], ["tp_src", num(65535)], ["tp_dst", num(65535)], ["tcp_dst", num(65535)], ["udp_src", num(65535)],
  ["tcp_flags", flagArb(["syn", "ack", "fin", "rst", "psh", "urg"])], ["icmp_type", num(255)], ["icmp_code", num(255)],
  ["icmpv6_type", num(255)], ["arp_op", num(3)], ["arp_spa", ipv4Arb], ["arp_tpa", ipv4Arb], ["arp_sha", macArb],
  ["metadata", hexMasked(64)], ["pkt_mark", hexMasked(32)], ["reg0", hexMasked(32)], ["reg7", hexMasked(32)], ["tun_id", hexMasked(64)], ["ct_mark", hexMasked(32)],
  ["ct_state", flagArb(["new", "est", "rel", "rpl", "inv", "trk"])], ["ct_zone", num(65535)], ["mpls_label", num(2 ** 20)], ["conj_id", num(100)],
  ["xreg0", hexMasked(64)], ["tun_metadata0", num(10)], ["skb_priority", num(10)],
];
const PROTO = ["ip", "ipv6", "tcp", "udp", "icmp", "arp", "tcp6", "udp6", "icmp6", "sctp", "mpls", "dl_type=0x0800"];
export const matchArb = fc
  .tuple(fc.option(fc.constantFrom(...PROTO)), fc.uniqueArray(fc.constantFrom(...FIELD_VALUES), { minLength: 1, maxLength: 3, selector: (x) => x[0] }).chain((fs) => fc.tuple(...fs.map(([k, v]) => v.map((x) => `${k}=${x}`)))))
  .map(([p, fields]) => [...(p ? [p] : []), ...fields].join(","));

