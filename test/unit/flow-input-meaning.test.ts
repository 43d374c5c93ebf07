import { matchProblems, normalizeMatchInput, actionsProblems } from "../../provider/ovs/flow-validate";
import { checkInputs, containsUnknown, UNKNOWN } from "../../provider/resources/framework";
import { containerSchema } from "../../provider/schema/container";
import * as flow from "../../provider/resources/flow";

/**
 * Every value check accepts means to the host tool what it says. Each block is a class of input that check
 * used to accept and the host then read otherwise (or could not take at all).
 */

const conn = { host: "198.18.0.11", user: "povs", privateKey: "k" };
const OWNER = "p/s/FlowEntry/f";
const failures = async (news: Record<string, unknown>) => (await flow.check({}, { connection: conn, owner: OWNER, bridge: "br0", actions: "drop", ...news })).failures ?? [];

describe("flow match: validated field by field", () => {
  it("refuses any \"action\" in the match (ovs-ofctl cuts the flow there, so the strict delete fails for ever)", async () => {
    for (const m of ["ip,action_x", "ip,action_x=1", "ip,xaction=1", "ip,nw_src=198.18.1.1,ACTION_Y=2"]) {
      const f = await failures({ match: m });
      expect(f.map((x) => x.property)).toEqual(["match"]);
      expect(f[0].reason).toMatch(/"action" anywhere/);
    }
  });

  it("accepts only the match fields of ovs-fields(7), each with a value unless it is a protocol", () => {
    expect(matchProblems("bogus=1")).toEqual(['"bogus" is not an OpenFlow match field (see ovs-fields(7))']);
    expect(matchProblems("ip,reg0")[0]).toMatch(/needs a value/);
    expect(matchProblems("ipx")[0]).toMatch(/not a protocol/);
    expect(matchProblems("ip=1")[0]).toMatch(/takes no value/);
    for (const ok of ["reg15=0x1", "ct_mark=0x1", "metadata=0x1", "tcp6", "ct_zone=5", "icmp6,icmpv6_type=135"]) expect(matchProblems(ok)).toEqual([]);
    // Real fields whose printed form pulumi-ovs does not check (`xreg0=5` is printed `reg0=0,reg1=0x5`): refused.
    for (const unsupported of ["xreg7=0x1", "xxreg3=0x1", "tun_metadata63=0x1", "nsh_spi=1", "ip,ct_tp_src=5"]) expect(matchProblems(unsupported)[0]).toMatch(/not supported in FlowEntry matches/);
    for (const bad of ["reg16=1", "xreg8=1", "tun_metadata64=1", "in_phy_port=1"]) expect(matchProblems(bad)[0]).toMatch(/not an OpenFlow match field/);
  });

  it("refuses fields whose prerequisite is missing (OVS drops them, or reads them as the field sharing their bits)", () => {
    expect(matchProblems("tcp,icmp_type=3")[0]).toMatch(/icmp_type needs icmp or icmp6/); // installed as tcp,tp_src=3
    expect(matchProblems("icmp,tp_dst=5")[0]).toMatch(/tp_dst needs tcp, udp or sctp/); // installed as icmp,icmp_code=5
    expect(matchProblems("udp,tcp_flags=+syn")[0]).toMatch(/tcp_flags needs tcp/); // installed as udp
    expect(matchProblems("in_port=1,nw_dst=198.18.20.100")[0]).toMatch(/nw_dst needs ip/);
    expect(matchProblems("udp,tcp_dst=80")[0]).toMatch(/tcp_dst needs tcp/);
    expect(matchProblems("arp,nw_src=198.18.1.1")[0]).toMatch(/write arp_spa/); // printed as arp_spa
    expect(matchProblems("ip,dl_type=0x88cc")[0]).toMatch(/dl_type conflicts with "ip"/);
    expect(matchProblems("tcp,nw_proto=47")[0]).toMatch(/nw_proto conflicts with "tcp"/);
  });

  it("stores values in the spelling dump-flows prints", () => {
    expect(normalizeMatchInput("dl_type=0x0800,pkt_mark=10,reg0=5/0xFF,metadata=0x01,dl_src=02:00:00:00:00:0A")).toBe("ip,pkt_mark=0xa,reg0=0x5/0xff,metadata=0x1,dl_src=02:00:00:00:00:0a");
    expect(normalizeMatchInput("ipv6,ipv6_src=2001:DB8:0:0::1,ip_frag=no")).toBe("ipv6,ipv6_src=2001:db8::1,nw_frag=no");
    expect(normalizeMatchInput("icmp6,icmpv6_type=135,reg1=0/0xffffffff")).toBe("icmp6,icmp_type=135,reg1=0");
    expect(matchProblems("ip,nw_ttl=010")[0]).toMatch(/without leading zeros/); // ovs-ofctl reads octal 8
    expect(matchProblems("reg0=0x5/0x4")[0]).toMatch(/bits outside the mask/);
    expect(matchProblems("reg0=1/0")[0]).toMatch(/zero mask/);
  });

  it("refuses values OVS would read otherwise than written", () => {
    expect(matchProblems("dl_vlan=4096")[0]).toMatch(/dl_vlan=4096: must be a VLAN id 0..4095/); // ovs-ofctl makes it 0
    expect(matchProblems("dl_vlan=4095")).toEqual([]);
    expect(matchProblems("vlan_vid=5")[0]).toMatch(/use dl_vlan/);
    expect(matchProblems("in_port=eth0")[0]).toMatch(/port number/);
    expect(matchProblems("in_port=01")[0]).toMatch(/port number/);
    expect(matchProblems("in_port=65280")[0]).toMatch(/port number/);
    expect(matchProblems("in_port=1,in_port=2")[0]).toMatch(/set twice/);
    expect(matchProblems("tcp,tcp_dst=80,tp_dst=81")[0]).toMatch(/tp_dst is set twice/);
    expect(matchProblems("ip,arp")[0]).toMatch(/second protocol/);
    expect(matchProblems("ip,nw_src=198.18.1.5/24")[0]).toMatch(/outside the \/24 prefix/);
    expect(matchProblems("ip,nw_src=198.18.1.0/255.255.255.0")[0]).toMatch(/prefix/);
    expect(matchProblems("ip,nw_dst=198.018.1.1")[0]).toMatch(/IPv4 address/);
    expect(matchProblems("ip,nw_proto=6")[0]).toMatch(/"tcp"/);
  });

  it("stores the names and spellings dump-flows prints back", () => {
    expect(normalizeMatchInput("tcp,tcp_dst=80 eth_src=02:00:00:00:00:01")).toBe("tcp,tp_dst=80,dl_src=02:00:00:00:00:01");
    expect(normalizeMatchInput("ip,nw_src=198.18.1.1/32")).toBe("ip,nw_src=198.18.1.1");
    expect(normalizeMatchInput("ct_state=+trk-new+est")).toBe("ct_state=-new+est+trk");
    expect(normalizeMatchInput("tcp,tcp_flags=-ack+syn")).toBe("tcp,tcp_flags=+syn-ack");
  });

  it("keeps table and priority in OpenFlow's ranges", async () => {
    expect((await failures({ table: 255 })).map((f) => f.property)).toEqual(["table"]);
    expect((await failures({ priority: 65536 })).map((f) => f.property)).toEqual(["priority"]);
    expect(await failures({ table: 254, priority: 65535, match: "ip" })).toEqual([]);
  });
});

describe("containsUnknown and deep inputs", () => {
  const deep = (n: number, leaf: unknown) => {
    let v: unknown = leaf;
    for (let i = 0; i < n; i++) v = { x: v };
    return v;
  };

  it("a connection nested 20,000 levels deep is a check failure naming the property, not a RangeError", async () => {
    const r = await flow.check({}, { connection: { ...conn, extra: deep(20_000, 1) }, owner: OWNER, bridge: "br0", actions: "drop" });
    expect(r.failures).toEqual([{ property: "connection", reason: expect.stringMatching(/deeper than/) }]);
  });

  it("containsUnknown itself does not recurse", () => {
    expect(containsUnknown(deep(20_000, UNKNOWN))).toBe(true);
    expect(containsUnknown(deep(20_000, 1))).toBe(false);
  });
});

describe("free text: no control characters or lone surrogates, and bounded for one command line", () => {
  it("refuses C0/C1 controls and lone surrogates in flow actions", () => {
    for (const a of ["output:1\u0085", "note:\u009b", "output:\ud800", "output:1\u0000"]) expect(actionsProblems(a).length).toBeGreaterThan(0);
    expect(actionsProblems(`note:${"00.".repeat(6000)}00`)[0]).toMatch(/at most 16384/);
  });

  const container = (extra: Record<string, unknown>) =>
    (checkInputs(containerSchema, { connection: conn, owner: "p/s/DockerContainer/c", name: "c", image: "busybox", ...extra }).failures ?? []).map((f) => f.property);

  it("refuses C1 controls and lone surrogates in a container's command and env", () => {
    expect(container({ command: ["sleep", "1\u0085"] })).toEqual(["command.1"]);
    expect(container({ command: ["echo", "\udc00x"] })).toEqual(["command.1"]);
    expect(container({ env: { A: "\u009b31m" } })).toEqual(["env.A"]);
    expect(container({ command: ["echo", "héllo 🎉"], env: { A: "ünïcode" } })).toEqual([]);
  });

  it("bounds a container's command, env and labels far under Linux's 128 KiB per argument", () => {
    // 800 KB of command: accepted before, failed mid-apply (the remote shell's -c string is one argument).
    expect(container({ command: Array.from({ length: 200 }, () => "a".repeat(4000)) })).toEqual(["command"]);
    expect(container({ command: ["sh", "-c", "'".repeat(4096), "'".repeat(4096)] })).toEqual(["command"]); // quoting 4x
    expect(container({ env: Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`V${i}`, "v".repeat(4000)])) })).toEqual(["env"]);
    expect(container({ labels: Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`l${i}`, "v".repeat(4000)])) })).toEqual(["labels"]);
    expect(container({ command: ["sleep", "x".repeat(4000)], env: { A: "v".repeat(4000) } })).toEqual([]);
  });
});
