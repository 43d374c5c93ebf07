import { execFileSync } from "node:child_process";
import fc from "fast-check";
import { matchArb } from "../helpers/flow-arbitraries";
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
