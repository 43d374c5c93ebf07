import { execFileSync } from "node:child_process";
import fc from "fast-check";
import { propertySeed } from "../helpers/value-soup";
import { matchProblems, normalizeMatchInput } from "../../provider/ovs/flow-validate";
import { parseMatch, parsedFlowMatch } from "../../provider/ovs/flow-parse";
import type { MatchField } from "../../provider/ovs/flow-model";

/**
 * Every match `check` accepts means to ovs-ofctl what it says: for a corpus of accepted matches, OVS's own
 * reading (`ovs-ofctl parse-flow`, offline: no switch) has exactly the fields of our canonical form; for a
 * corpus of matches OVS reads otherwise than written (a field cut off, masked, dropped or renumbered), check
 * refuses them. Addresses: 198.18.0.0/15 only.
 */

const SEED = propertySeed();

/** OVS's reading of a match, or the error it gives. */
function ovsReading(match: string): { fields?: MatchField[]; error?: string } {
  try {
    const out = execFileSync("ovs-ofctl", ["-O", "OpenFlow10,OpenFlow13,OpenFlow15", "parse-flow", `${match ? `${match},` : ""}actions=drop`], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    return { fields: parsedFlowMatch(out) };
  } catch (e) {
    return { error: String((e as { stderr?: string }).stderr ?? e) };
  }
}

/** Fields as a sorted list of key=value: OVS prints the protocol first, which our spelling does not reorder. */
const asSet = (fields: readonly MatchField[]) => fields.map((f) => (f.value === undefined ? f.key : `${f.key}=${f.value}`)).sort();

const ACCEPTED = [
  "",
  "ip",
  "in_port=1,ip,nw_dst=198.18.20.100",
  "ip,nw_src=198.18.1.0/24",
  "ip,nw_src=198.18.1.1/32",
  "ip,ip_src=198.18.1.1,ip_dst=198.19.0.0/16",
  "tcp,tcp_dst=80",
  "tcp,tp_src=1024,tcp_flags=+syn-ack",
  "udp,udp_src=53,nw_dst=198.18.0.0/15",
  "sctp,sctp_dst=9",
  "icmp,icmp_type=8,icmp_code=0",
  "arp,arp_op=1,arp_tpa=198.18.21.1,arp_spa=198.18.21.0/24",
  "dl_vlan=4095",
  "dl_vlan=0,dl_vlan_pcp=7",
  "eth_src=02:00:00:00:00:01,eth_dst=02:00:00:00:00:02",
  "dl_type=0x88cc",
  "in_port=LOCAL",
  "in_port=65279",
  "ct_state=+trk+est,ct_zone=5",
  "ct_state=+trk-new+est",
  "tcp,tcp_flags=-ack+syn",
  "ip,nw_tos=32,nw_ecn=1",
  "ipv6,ipv6_src=2001:db8::1",
  "metadata=0x1",
  "pkt_mark=0x2",
  "tun_id=0x5",
];

const REFUSED = [
  "ip,action_x", // cut at "action": installed as "ip"
  "ip,action_x=1",
  "ip,reg0", // a bare field matches anything
  "in_port=1,in_port=2", // only the last is kept
  "dl_vlan=4096", // becomes dl_vlan=0
  "vlan_vid=5", // becomes vlan_tci=0x0000
  "ip,nw_src=198.18.1.5/24", // masked to 198.18.1.0/24
  "ip,nw_src=198.18.1.1/0", // dropped
  "ip,nw_src=198.18.1.0/255.255.255.0", // printed as /24
  "ip,nw_src=198.018.1.1", // leading zero dropped
  "in_port=01",
  "in_port=NONE", // printed as ANY
  "ip,nw_proto=6", // printed as tcp
  "ip,ip_dscp=8", // printed as nw_tos=32
  "ip,ip", // duplicate protocol
  "ip,arp", // two protocols, only one kept
  "bogus=1", // unknown to ovs-ofctl
];

describe("ovs-ofctl parse-flow (offline) reads every accepted match as our canonical form", () => {
  it.each(ACCEPTED)("accepted: %j", (m) => {
    expect(matchProblems(m)).toEqual([]);
    const canonical = normalizeMatchInput(m);
    const read = ovsReading(canonical);
    expect(read.error).toBeUndefined();
    expect(asSet(read.fields ?? [])).toEqual(asSet(parseMatch(canonical)));
    // The text as written means the same to OVS as the canonical form we store.
    expect(asSet(ovsReading(m).fields ?? [])).toEqual(asSet(read.fields ?? []));
  });

  it.each(REFUSED)("refused: %j (OVS would read it otherwise, or not at all)", (m) => {
    expect(matchProblems(m).length).toBeGreaterThan(0);
    const read = ovsReading(m);
    if (read.fields) expect(asSet(read.fields)).not.toEqual(asSet(parseMatch(m)));
  });
});

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
const matchArb = fc
  .tuple(fc.option(fc.constantFrom(...PROTO)), fc.uniqueArray(fc.constantFrom(...FIELD_VALUES), { minLength: 1, maxLength: 3, selector: (x) => x[0] }).chain((fs) => fc.tuple(...fs.map(([k, v]) => v.map((x) => `${k}=${x}`)))))
  .map(([p, fields]) => [...(p ? [p] : []), ...fields].join(","));

describe(`generated matches (fast-check, seed ${SEED}): refused by check, or read by ovs-ofctl exactly as stored`, () => {
  const tally = { tried: 0, accepted: 0, refused: 0 };
  afterAll(() => console.log(`flow match properties (seed ${SEED}): ${tally.tried} matches, ${tally.accepted} accepted and read by ovs-ofctl parse-flow as stored, ${tally.refused} refused by check`));
  it("every generated match", () => {
    fc.assert(
      fc.property(matchArb, (m) => {
        tally.tried++;
        if (matchProblems(m).length) return void tally.refused++;
        tally.accepted++;
        const canonical = normalizeMatchInput(m);
        const read = ovsReading(canonical);
        expect(read.error).toBeUndefined();
        // Same fields, same values, same spelling: what dump-flows prints is what we store.
        expect(asSet(read.fields ?? [])).toEqual(asSet(parseMatch(canonical)));
        expect(matchProblems(canonical)).toEqual([]);
      }),
      { seed: SEED, numRuns: Number(process.env.POVS_PROPERTY_RUNS) || 400 },
    );
  });
});
