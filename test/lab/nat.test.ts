import * as nat from "../../provider/resources/nat";
import { ownerComment } from "../../provider/iptables/nat";
import { closeAllHosts } from "../../provider/transport/pool";
import { Managed, owner } from "../helpers/provider";
import { labConnection, onHost, uniq } from "../helpers/lab";
import { pings } from "../helpers/packets";

/**
 * NatRule against a real kernel and iptables (nf_tables backend on the lab), lab host h1: three namespaces
 * this test makes, client -- router -- server, where the server has no route back to the client's subnet, so
 * only the router's MASQUERADE lets the client reach it. Plus one rule in the host's own nat table.
 * Addresses: 198.18.108.0/24 (client side), 198.18.109.0/24 (server side).
 */

jest.setTimeout(120_000);
const H = 0;
const id = uniq();
const [client, router, server] = [`nc-${id}`, `nr-${id}`, `ns-${id}`];
const toServer = `nr${id}s`;
const sh = (argv: string[], reject = true) => onHost(H, argv, { reject });
const iptIn = (ns: string | undefined, ...args: string[]) => sh(ns ? ["ip", "netns", "exec", ns, "iptables", "-w", "5", ...args] : ["iptables", "-w", "5", ...args]);

/** Rule lines of a nat chain that mention `needle`. */
async function rules(ns: string | undefined, chain: string, needle: string): Promise<string[]> {
  return (await iptIn(ns, "-t", "nat", "-S", chain)).stdout.split("\n").filter((l) => l.includes(needle));
}

/** A veth between two namespaces with an address on each end. */
async function link(a: string, aIf: string, aAddr: string, b: string, bIf: string, bAddr: string) {
  await sh(["ip", "-n", a, "link", "add", aIf, "type", "veth", "peer", "name", bIf, "netns", b]);
  await sh(["ip", "-n", a, "addr", "add", aAddr, "dev", aIf]);
  await sh(["ip", "-n", b, "addr", "add", bAddr, "dev", bIf]);
  await sh(["ip", "-n", a, "link", "set", aIf, "up"]);
  await sh(["ip", "-n", b, "link", "set", bIf, "up"]);
}

beforeAll(async () => {
  for (const ns of [client, router, server]) await sh(["ip", "netns", "add", ns]);
  await link(client, "eth0", "198.18.108.2/24", router, `nr${id}c`, "198.18.108.1/24");
  await link(router, toServer, "198.18.109.1/24", server, "eth0", "198.18.109.2/24");
  await sh(["ip", "-n", client, "route", "add", "default", "via", "198.18.108.1"]);
  await sh(["ip", "netns", "exec", router, "sysctl", "-qw", "net.ipv4.ip_forward=1"]);
});

afterAll(async () => {
  for (const ns of [client, router, server]) await sh(["ip", "netns", "del", ns], false);
  closeAllHosts();
});

describe("NatRule in a namespace", () => {
  const declared = { connection: labConnection(H), owner: owner("nat", `masq-${id}`), namespace: router, source: "198.18.108.0/24", destination: "!198.18.108.0/24", outInterface: toServer };
  const comment = ownerComment(declared.owner);
  const m = new Managed(nat, declared);

  it("MASQUERADE makes the server reachable; the rule carries our comment and reads back as declared", async () => {
    expect(await pings(H, client, "198.18.109.2", 1)).toBe(false); // the server cannot answer: no route back
    await m.create();
    expect(await rules(router, "POSTROUTING", comment)).toEqual([
      `-A POSTROUTING -s 198.18.108.0/24 ! -d 198.18.108.0/24 -o ${toServer} -m comment --comment "${comment}" -j MASQUERADE`,
    ]);
    expect(await pings(H, client, "198.18.109.2")).toBe(true);
    const r = await m.refresh();
    expect(r.id).toBe(m.id);
    expect(r.inputs).toEqual(await m.checked(declared));
    expect((await m.diff()).changes).toBe(false);
    await m.create(); // idempotent: still one rule
    expect(await rules(router, "POSTROUTING", comment)).toHaveLength(1);
  });

  it("a changed match swaps the rule in place (still one rule of ours)", async () => {
    expect(await m.up({ ...declared, destination: "198.18.109.0/24" })).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    expect(await rules(router, "POSTROUTING", comment)).toEqual([
      `-A POSTROUTING -s 198.18.108.0/24 -d 198.18.109.0/24 -o ${toServer} -m comment --comment "${comment}" -j MASQUERADE`,
    ]);
    expect(await pings(H, client, "198.18.109.2")).toBe(true);
    await m.up(declared);
  });

  it("drift by hand: refresh shows the altered field, up repairs; a deleted rule reads as gone", async () => {
    const [line] = await rules(router, "POSTROUTING", comment);
    const args = line.replace(/^-A POSTROUTING /, "").replace(`"${comment}"`, comment).split(" ");
    await iptIn(router, "-t", "nat", "-D", "POSTROUTING", ...args);
    await iptIn(router, "-t", "nat", "-A", "POSTROUTING", "-s", "198.18.108.0/25", "-o", toServer, "-m", "comment", "--comment", comment, "-j", "MASQUERADE");
    const r = await m.refresh();
    expect(r.inputs).toMatchObject({ source: "198.18.108.0/25" });
    expect((r.inputs as Record<string, unknown>).destination).toBeUndefined();
    expect((await m.diff()).changes).toBe(true);
    await m.up();
    expect(await rules(router, "POSTROUTING", comment)).toEqual([
      `-A POSTROUTING -s 198.18.108.0/24 ! -d 198.18.108.0/24 -o ${toServer} -m comment --comment "${comment}" -j MASQUERADE`,
    ]);
    await iptIn(router, "-t", "nat", "-F", "POSTROUTING");
    expect((await m.refresh()).id).toBeUndefined();
    await m.create();
  });

  it("refuses an identical unmarked rule unless adopt; delete removes only ours", async () => {
    const other = { ...declared, owner: owner("nat", `twin-${id}`), position: "first" as const };
    await iptIn(router, "-t", "nat", "-A", "POSTROUTING", "-s", "198.18.108.0/24", "!", "-d", "198.18.108.0/24", "-o", toServer, "-j", "MASQUERADE");
    await expect(new Managed(nat, other).create()).rejects.toThrow(/NatRule ".*" on povs@198\.18\.0\.11:22: NatRule ".*" already exists on the host and is managed by something other than pulumi-ovs.*adopt: true/s);
    const adopted = new Managed(nat, { ...other, adopt: true });
    await adopted.create();
    const all = await rules(router, "POSTROUTING", "MASQUERADE");
    // The unmarked one became the adopter's where it was (after ours: adopting keeps a rule's position, though
    // the adopter declares position "first"); ours stays.
    expect(all).toHaveLength(2);
    expect(all[0]).toContain(comment);
    expect(all[1]).toContain(ownerComment(other.owner));
    await adopted.delete();
    await m.delete();
    await m.delete(); // idempotent
    expect(await rules(router, "POSTROUTING", "MASQUERADE")).toEqual([]);
    expect(await pings(H, client, "198.18.109.2", 1)).toBe(false);
  });

  it("a DNAT rule with protocol and port; a missing namespace is explained, deleting in it is a no-op", async () => {
    const d = { ...declared, owner: owner("nat", `dnat-${id}`), chain: "PREROUTING", outInterface: undefined, source: undefined, destination: "198.18.108.1", protocol: "tcp", destinationPort: 8080, jump: "DNAT", toDestination: "198.18.109.2:80" };
    const dn = new Managed(nat, d);
    await dn.create();
    expect(await rules(router, "PREROUTING", ownerComment(d.owner))).toEqual([
      `-A PREROUTING -d 198.18.108.1/32 -p tcp -m tcp --dport 8080 -m comment --comment "${ownerComment(d.owner)}" -j DNAT --to-destination 198.18.109.2:80`,
    ]);
    expect((await dn.refresh()).inputs).toEqual(await dn.checked(d));
    await dn.delete();
    const gone = new Managed(nat, { ...declared, namespace: `nope-${id}` });
    await expect(gone.create()).rejects.toThrow(/namespace nope-\w+ does not exist on the host/);
    await nat.delete("x", await gone.checked(gone.inputs));
  });
});

describe("NatRule in the host's own nat table", () => {
  it("creates, reads and deletes a RETURN rule for a unique source", async () => {
    const d = { connection: labConnection(H), owner: owner("nat", `host-${id}`), source: `198.18.110.${1 + Math.floor(Math.random() * 250)}`, jump: "RETURN", position: "first" };
    const m = new Managed(nat, d);
    await m.create();
    const comment = ownerComment(d.owner);
    expect(await rules(undefined, "POSTROUTING", comment)).toEqual([`-A POSTROUTING -s ${d.source}/32 -m comment --comment "${comment}" -j RETURN`]);
    expect((await m.refresh()).inputs).toEqual(await m.checked(d));
    await m.delete();
    expect(await rules(undefined, "POSTROUTING", comment)).toEqual([]);
  });
});
