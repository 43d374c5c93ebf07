import * as fs from "node:fs";
import * as path from "node:path";
import * as nat from "../../provider/resources/nat";
import { liveInputs, natWrites, parseProbe } from "../../provider/resources/nat";
import { addArgv, checkCmd, deleteArgv, listCmd, ownerComment, parseList, parseRuleArgs, replaceArgv, ruleArgs, tokenize } from "../../provider/iptables/nat";
import type { NatInputs } from "../../provider/schema/nat";
import { UNKNOWN } from "../../provider/schema/base";
import { HOSTILE } from "../helpers/hostile";

const fx = (f: string) => fs.readFileSync(path.join(__dirname, "..", "fixtures", "iptables", f), "utf8");
const connection = { host: "198.18.0.10", user: "ops", privateKey: "k" };
const owner = "proj/dev/NatRule/masq";
const base = { connection, owner };
const C = ownerComment(owner);
/** The seed's rule (002 §直接路由: -s <host subnet> ! -d <all container subnets> -j MASQUERADE), mapped, plus -o. */
const seed = { ...base, source: "198.18.41.0/24", destination: "!198.18.40.0/21", outInterface: "up0" };

async function checkedInputs(news: Record<string, unknown>): Promise<NatInputs> {
  const r = await nat.check({}, { ...base, ...news });
  if (r.failures?.length) throw new Error(JSON.stringify(r.failures));
  return r.inputs as NatInputs;
}
async function failures(news: Record<string, unknown>) {
  return [...new Set(((await nat.check({}, { ...base, ...news })).failures ?? []).map((f) => f.property))];
}

describe("iptables nat argv builders and parsers", () => {
  it("hashes the owner into a comment without spaces or quotes", () => {
    expect(C).toMatch(/^pulumi-ovs-owner=[0-9a-f]{16}$/);
    expect(ownerComment("o w n e r \"x\"")).toMatch(/^pulumi-ovs-owner=[0-9a-f]{16}$/);
    expect(ownerComment("a")).not.toBe(ownerComment("b"));
  });

  it("builds rules in the order iptables -S prints them, in the host or a namespace", async () => {
    const w = await checkedInputs(seed);
    expect(addArgv(w, C)).toEqual(["iptables", "-w", "5", "-t", "nat", "-A", "POSTROUTING", "-s", "198.18.41.0/24", "!", "-d", "198.18.40.0/21", "-o", "up0", "-m", "comment", "--comment", C, "-j", "MASQUERADE"]);
    const dnat = await checkedInputs({ namespace: "edge", chain: "PREROUTING", source: "! 198.18.41.7/24", destination: "198.18.9.9", inInterface: "!zp+", protocol: "tcp", destinationPort: 80, jump: "DNAT", toDestination: "198.18.41.1:8080", position: "first" });
    expect(addArgv(dnat, C)).toEqual([
      "ip", "netns", "exec", "edge", "iptables", "-w", "5", "-t", "nat", "-I", "PREROUTING", "1",
      "!", "-s", "198.18.41.0/24", "-d", "198.18.9.9/32", "!", "-i", "zp+", "-p", "tcp", "-m", "tcp", "--dport", "80", "-m", "comment", "--comment", C, "-j", "DNAT", "--to-destination", "198.18.41.1:8080",
    ]);
    expect(checkCmd(w, undefined).argv).toEqual(["iptables", "-w", "5", "-t", "nat", "-C", "POSTROUTING", "-s", "198.18.41.0/24", "!", "-d", "198.18.40.0/21", "-o", "up0", "-j", "MASQUERADE"]);
    expect(listCmd(undefined, "POSTROUTING").argv).toEqual(["iptables", "-w", "5", "-t", "nat", "-S", "POSTROUTING"]);
    expect(deleteArgv("edge", "POSTROUTING", ["-j", "RETURN"])).toEqual(["ip", "netns", "exec", "edge", "iptables", "-w", "5", "-t", "nat", "-D", "POSTROUTING", "-j", "RETURN"]);
  });

  it("tokenizes quoted comments, escapes and runs of spaces", () => {
    expect(tokenize('-A X -m comment --comment "two words" -j RETURN')).toEqual(["-A", "X", "-m", "comment", "--comment", "two words", "-j", "RETURN"]);
    expect(tokenize('--comment "say \\"hi\\" \\\\"  -j  A')).toEqual(["--comment", 'say "hi" \\', "-j", "A"]);
    expect(tokenize('--comment ""')).toEqual(["--comment", ""]);
  });

  it("parses captured iptables-nft and iptables-legacy listings; every rule round-trips through ruleArgs", () => {
    const rules = parseList(fx("nat-S-nft.txt"));
    expect(rules.map((r) => [r.chain, r.comment])).toEqual([
      ["PREROUTING", "pulumi-ovs-owner=abc"],
      ["POSTROUTING", "pulumi-ovs-owner=abd"],
      ["POSTROUTING", "pulumi-ovs-owner=abc def"],
      ["POSTROUTING", "pulumi-ovs-owner=abc"],
    ]);
    for (const r of rules) {
      const { unknown, ...spec } = parseRuleArgs(r.args);
      expect(unknown).toEqual([]);
      expect(ruleArgs({ chain: r.chain, ...spec } as never, r.comment)).toEqual(r.args);
    }
    expect(parseRuleArgs(rules[0].args)).toEqual({ source: "!198.18.41.0/24", destination: "198.18.9.9/32", inInterface: "!zp+", protocol: "tcp", destinationPort: 80, jump: "DNAT", toDestination: "198.18.41.1:8080", unknown: [] });
    const legacy = parseList(fx("nat-S-legacy.txt"));
    expect(legacy.map((r) => r.comment)).toEqual(["pulumi-ovs-owner=0123456789abcdef", "two words"]);
    expect(parseRuleArgs(["-m", "mark", "--mark", "0x1", "!", "-f", "-j", "MASQUERADE"]).unknown).toEqual(["-m", "mark", "--mark", "0x1", "!", "-f"]);
  });
});

describe("NatRule check", () => {
  it("defaults to POSTROUTING MASQUERADE appended, and normalizes addresses to iptables' listing", async () => {
    expect(await checkedInputs({ source: "198.18.41.9/24", destination: "!  198.18.44.7" })).toEqual({
      ...base, chain: "POSTROUTING", jump: "MASQUERADE", position: "last", source: "198.18.41.0/24", destination: "!198.18.44.7/32",
    });
  });

  it("explains targets in the wrong chain, missing or stray target options, and ports without a protocol", async () => {
    expect(await failures({ chain: "PREROUTING" })).toEqual(["jump"]);
    expect(await failures({ jump: "DNAT", toDestination: "198.18.41.1" })).toEqual(["jump"]);
    expect(await failures({ jump: "SNAT" })).toEqual(["toSource"]);
    expect(await failures({ chain: "PREROUTING", jump: "DNAT" })).toEqual(["toDestination"]);
    expect(await failures({ toSource: "198.19.0.11" })).toEqual(["toSource"]);
    expect(await failures({ inInterface: "eth0" })).toEqual(["inInterface"]);
    expect(await failures({ chain: "PREROUTING", jump: "RETURN", outInterface: "eth0" })).toEqual(["outInterface"]);
    expect(await failures({ destinationPort: 80 })).toEqual(["destinationPort"]);
    expect(await failures({ jump: "SNAT", toSource: "198.19.0.11:1000-2000" })).toEqual(["toSource"]);
    expect(await failures({ jump: "SNAT", protocol: "udp", toSource: "198.19.0.11-198.19.0.12:1000-2000" })).toEqual([]);
    expect(await failures({ jump: "SNAT", toSource: "198.19.0.300" })).toEqual(["toSource"]);
    expect(await failures({ source: "198.18.0.0/33", destination: "2001:db8::/32", chain: "NAT", position: "middle", extra: 1 })).toEqual(expect.arrayContaining(["source", "destination", "chain", "position"]));
  });

  it("refuses every hostile string in matches and targets", async () => {
    for (const s of HOSTILE) {
      expect(await failures({ source: s })).toEqual(["source"]);
      expect(await failures({ outInterface: s })).toEqual(/^!?\s*([A-Za-z0-9_][A-Za-z0-9_.-]{0,14}\+?|\+)$/.test(s) ? [] : ["outInterface"]);
      expect(await failures({ jump: "SNAT", toSource: s })).toEqual(["toSource"]);
      expect(await failures({ namespace: s })).toEqual(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(s) && s.length <= 64 ? [] : ["namespace"]);
    }
  });

  it("does not judge values not known yet", async () => {
    expect(await failures({ source: UNKNOWN, outInterface: UNKNOWN })).toEqual([]);
  });
});

describe("NatRule diff", () => {
  it("matches and targets change in place; namespace and chain replace", async () => {
    const olds = await checkedInputs(seed);
    expect(await nat.diff("id", olds, await checkedInputs(seed))).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
    expect(await nat.diff("id", olds, await checkedInputs({ ...seed, destination: "!198.18.40.0/20" }))).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    expect(await nat.diff("id", olds, await checkedInputs({ ...seed, namespace: "edge" }))).toEqual({ changes: true, replaces: ["namespace"], deleteBeforeReplace: false });
  });
  it("a rule refresh found altered beyond the model's fields asks for an update", async () => {
    const olds = { ...(await checkedInputs(seed)), liveRule: ["-m", "mark", "--mark", "0x1", "-j", "MASQUERADE"] };
    expect(await nat.diff("id", olds, await checkedInputs(seed))).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
  });
});

describe("NatRule plan", () => {
  const listing = (...lines: string[]) => ({ code: 0, stdout: ["-P POSTROUTING ACCEPT", ...lines].join("\n") + "\n", stderr: "" });
  const code = (c: number) => ({ code: c, stdout: "", stderr: c === 1 ? "iptables: Bad rule (does a matching rule exist in that chain?)." : "" });

  it("probe: our rules by comment, exact presence and an unmarked twin by iptables -C", async () => {
    const w = await checkedInputs(seed);
    const ours = `-A POSTROUTING ${ruleArgs(w, C).join(" ").replace(C, `"${C}"`)}`;
    const live = parseProbe([listing(ours, '-A POSTROUTING -d 198.18.3.0/24 -m comment --comment "pulumi-ovs-owner=ffff" -j RETURN'), code(0), code(1)], w)!;
    expect(live).toEqual({ ours: [{ chain: "POSTROUTING", args: ruleArgs(w, C), comment: C }], exact: true, foreignTwin: false });
    expect(natWrites(w, live, true)).toEqual([]);
    expect(parseProbe([{ code: 255, stdout: "", stderr: 'Cannot open network namespace "edge": No such file or directory' }, code(255), code(255)], { ...w, namespace: "edge" })).toBeUndefined();
    expect(() => parseProbe([listing(), code(2), code(1)], w)).toThrow(/iptables -C failed \(exit code 2\)/);
    expect(() => parseProbe([{ code: 127, stdout: "", stderr: "iptables: not found" }, code(127), code(127)], w)).toThrow(/required tool missing/);
  });

  it("adds into a chain without our rule; swaps stale rules of ours (drift, duplicates) for the declared one", async () => {
    const w = await checkedInputs(seed);
    expect(natWrites(w, { ours: [], exact: false, foreignTwin: false }, true).map((c) => c.argv)).toEqual([addArgv(w, C)]);
    const drifted = { chain: "POSTROUTING", args: ["-s", "198.18.41.0/24", "-m", "comment", "--comment", C, "-j", "MASQUERADE"], comment: C };
    expect(natWrites(w, { ours: [drifted], exact: false, foreignTwin: false }, false).map((c) => c.argv)).toEqual([
      deleteArgv(undefined, "POSTROUTING", drifted.args),
      addArgv(w, C),
    ]);
    const exact = { chain: "POSTROUTING", args: ruleArgs(w, C), comment: C };
    expect(natWrites(w, { ours: [exact, exact], exact: true, foreignTwin: false }, false)).toHaveLength(3);
  });

  it("adopts an identical unmarked rule in place (iptables -R keeps its position in the chain)", async () => {
    const w = { ...(await checkedInputs(seed)), adopt: true };
    const listing = ["-P POSTROUTING ACCEPT", "-A POSTROUTING -o eth9 -j MASQUERADE", `-A POSTROUTING ${ruleArgs(w, undefined).join(" ")}`, "-A POSTROUTING -o eth8 -j MASQUERADE"].join("\n");
    const live = parseProbe([{ code: 0, stdout: listing, stderr: "" }, { code: 1, stdout: "", stderr: "" }, { code: 0, stdout: "", stderr: "" }], w)!;
    expect(live).toMatchObject({ foreignTwin: true, twinNumber: 2, ours: [] });
    expect(natWrites(w, live, true).map((c) => c.argv)).toEqual([replaceArgv(w, 2, C)]);
  });

  it("refuses an identical unmarked rule on create unless adopt, then swaps it for ours", async () => {
    const w = await checkedInputs(seed);
    expect(() => natWrites(w, { ours: [], exact: false, foreignTwin: true }, true)).toThrow(/NatRule "nat POSTROUTING -s 198\.18\.41\.0\/24 ! -d 198\.18\.40\.0\/21 -o up0 -j MASQUERADE" already exists .*something other than pulumi-ovs.*adopt: true/s);
    expect(natWrites({ ...w, adopt: true }, { ours: [], exact: false, foreignTwin: true }, true).map((c) => c.argv)).toEqual([
      deleteArgv(undefined, "POSTROUTING", ruleArgs(w, undefined)),
      addArgv(w, C),
    ]);
  });

  it("reads a drifted rule back in input form", async () => {
    const w = await checkedInputs(seed);
    const listed = { chain: "POSTROUTING", args: ["-s", "198.18.41.0/24", "!", "-d", "198.18.40.0/20", "-m", "comment", "--comment", C, "-j", "MASQUERADE"], comment: C };
    expect(liveInputs(w, listed)).toEqual({ ...base, chain: "POSTROUTING", position: "last", source: "198.18.41.0/24", destination: "!198.18.40.0/20", jump: "MASQUERADE" });
  });
});
