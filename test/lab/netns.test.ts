import * as netns from "../../provider/resources/netns";
import * as veth from "../../provider/resources/veth";
import { closeAllHosts, transportStats } from "../../provider/transport/pool";
import { Managed, owner } from "../helpers/provider";
import { inventory, labConnection, onHost, uniq } from "../helpers/lab";

/**
 * NetNamespace against a real kernel and docker: lab host h1 (its own /run/netns), plus one container started
 * by this test (docker is shared by all lab hosts). Addresses: 198.18.102.0/24 only.
 */

jest.setTimeout(120_000);
const H = 0;
const id = uniq();
const plain = `nt-${id}`;
const foreign = `nt-f-${id}`;
const ctName = `povs-nt-${id}`;
const ctNs = `nt-c-${id}`;

const sh = (argv: string[]) => onHost(H, argv);

async function docker(...args: string[]): Promise<string> {
  const { execa } = await import("execa");
  return String((await execa("docker", args)).stdout).trim();
}

async function netnsList(): Promise<string[]> {
  const r = await sh(["ip", "-j", "netns", "list"]);
  return ((r.stdout.trim() ? JSON.parse(r.stdout) : []) as { name: string }[]).map((n) => n.name).filter((n) => n.includes(id)).sort();
}

async function loAlias(ns: string): Promise<string | undefined> {
  const r = await sh(["ip", "-n", ns, "-j", "link", "show", "dev", "lo"]);
  return JSON.parse(r.stdout)[0].ifalias;
}

async function ping(ns: string | undefined, ip: string): Promise<boolean> {
  const argv = ["ping", "-c", "2", "-i", "0.2", "-W", "2", ip];
  return (await onHost(H, ns ? ["ip", "netns", "exec", ns, ...argv] : argv, { reject: false })).exitCode === 0;
}

afterAll(async () => {
  await docker("rm", "-f", ctName).catch(() => undefined);
  for (const n of [plain, foreign]) await onHost(H, ["ip", "netns", "del", n], { reject: false });
  await onHost(H, ["rm", "-f", `/run/netns/${ctNs}`], { reject: false });
  await onHost(H, ["ip", "link", "del", "dev", `nc${id}`], { reject: false });
  closeAllHosts();
});

describe("NetNamespace (named)", () => {
  const declared = { connection: labConnection(H), owner: owner("netns", `plain-${id}`), name: plain };
  const m = new Managed(netns, declared);

  it("creates the namespace with lo up and our marker, in two round trips (probe, writes + restore state + read-back)", async () => {
    const trips = transportStats.roundTrips;
    await m.create();
    expect(transportStats.roundTrips - trips).toBe(2);
    expect(await netnsList()).toEqual([plain]);
    expect(await loAlias(plain)).toBe(`pulumi-ovs-owner=${declared.owner}`);
    expect((await sh(["ip", "-n", plain, "-j", "link", "show", "dev", "lo"])).stdout).toContain('"UP"');
    expect(m.outs).toEqual({ ...(await m.checked(declared)), inode: expect.any(Number) });
  });

  it("reads back what was declared; nothing to do", async () => {
    const r = await m.refresh();
    expect(r.id).toBe(m.id);
    expect(r.inputs).toEqual(await m.checked(declared));
    expect((await m.diff()).changes).toBe(false);
  });

  it("a namespace deleted by hand reads as gone; create repairs it", async () => {
    await sh(["ip", "netns", "del", plain]);
    expect((await m.refresh()).id).toBeUndefined();
    await m.create();
    expect(await netnsList()).toEqual([plain]);
  });

  it("update re-adds a namespace deleted behind its back", async () => {
    await sh(["ip", "netns", "del", plain]);
    await netns.update(m.id, m.outs, await m.checked(declared));
    expect(await netnsList()).toEqual([plain]);
  });

  it("delete refuses while interfaces it did not make are inside, then deletes", async () => {
    await sh(["ip", "-n", plain, "link", "add", "name", "stray0", "type", "veth", "peer", "name", "stray1"]);
    await expect(m.delete()).rejects.toThrow(/NetNamespace "nt-\w+" on povs@198\.18\.0\.11:22: refusing to delete namespace nt-\w+: it still holds interfaces \(stray\d, stray\d\)/);
    await sh(["ip", "-n", plain, "link", "del", "dev", "stray0"]);
    await m.delete();
    await m.delete(); // idempotent
    expect(await netnsList()).toEqual([]);
  });

  it("refuses a foreign namespace unless adopt; never deletes a foreign one", async () => {
    await sh(["ip", "netns", "add", foreign]);
    const f = { ...declared, owner: owner("netns", `foreign-${id}`), name: foreign };
    await expect(new Managed(netns, f).create()).rejects.toThrow(/already exists on the host and is managed by something other than pulumi-ovs.*adopt: true/s);
    const stale = new Managed(netns, f);
    stale.outs = await stale.checked(f);
    await stale.delete();
    expect(await netnsList()).toEqual([foreign]);
    const adopted = new Managed(netns, { ...f, adopt: true });
    await adopted.create();
    expect(await loAlias(foreign)).toBe(`pulumi-ovs-owner=${f.owner}`);
    await adopted.delete();
    expect(await netnsList()).toEqual([]);
  });
});

describe("NetNamespace adopting a docker container's namespace", () => {
  const declared = { connection: labConnection(H), owner: owner("netns", `ct-${id}`), name: ctNs, container: ctName };
  const ns = new Managed(netns, declared);
  const link = {
    connection: labConnection(H),
    owner: owner("veth", `ct-${id}`),
    name: `nc${id}`,
    addresses: ["198.18.102.1/24"],
    peerName: "eth1",
    peerNamespace: ctNs,
    peerAddresses: ["198.18.102.2/24"],
  };
  const pair = new Managed(veth, link);
  const pidOf = async () => Number(await docker("inspect", "--type", "container", "--format", "{{.State.Pid}}", ctName));

  beforeAll(async () => {
    await docker("run", "-d", "--network", "none", "--label", "pulumi-ovs.lab=test", "--name", ctName, inventory().dockerImage, "sleep", "3600");
  });

  it("links the container's namespace by name; ip -n works with it", async () => {
    await ns.create();
    const pid = await pidOf();
    expect(ns.outs).toMatchObject({ pid, linkedPid: pid, containerId: expect.stringMatching(/^[0-9a-f]{64}$/), inode: expect.any(Number) });
    expect((await sh(["readlink", `/run/netns/${ctNs}`])).stdout.trim()).toBe(`/proc/${pid}/ns/net`);
    expect((await m2(ns)).inputs).toEqual(await ns.checked(declared));
  });

  it("a veth end inside the container as eth1 pings from the host", async () => {
    await pair.create();
    // The container itself sees its new eth1 with the address.
    expect(await docker("exec", ctName, "ip", "addr", "show", "dev", "eth1")).toContain("198.18.102.2/24");
    expect(await ping(undefined, "198.18.102.2")).toBe(true);
  });

  it("a restarted container reads as drift (new PID, stale link); update re-links; the veth is re-created", async () => {
    const before = await pidOf();
    await docker("restart", "-t", "1", ctName);
    const after = await pidOf();
    expect(after).not.toBe(before);
    const r = await ns.refresh();
    expect(r.id).toBe(ns.id);
    expect(r.props).toMatchObject({ pid: after, linkedPid: before });
    expect(await ns.diff()).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    await ns.up();
    expect(ns.outs).toMatchObject({ pid: after, linkedPid: after });
    expect((await ns.diff()).changes).toBe(false);
    // The old namespace died with the old container process, and the veth with it.
    expect((await pair.refresh()).id).toBeUndefined();
    await pair.create();
    expect(await ping(undefined, "198.18.102.2")).toBe(true);
  });

  it("delete removes only the link: the container keeps running", async () => {
    await pair.delete();
    await ns.delete();
    await ns.delete(); // idempotent
    expect(await netnsList()).toEqual([]);
    expect(await docker("inspect", "--type", "container", "--format", "{{.State.Running}}", ctName)).toBe("true");
    expect((await onHost(H, ["ip", "link", "show", "dev", `nc${id}`], { reject: false })).exitCode).not.toBe(0);
  });

  it("a stale link left after a restart is still recognized as ours and removed", async () => {
    await ns.create();
    await docker("restart", "-t", "1", ctName);
    await ns.refresh();
    await ns.delete();
    expect(await netnsList()).toEqual([]);
  });

  it("refuses a stopped container and a missing one, naming it", async () => {
    await docker("stop", "-t", "1", ctName);
    await expect(new Managed(netns, declared).create()).rejects.toThrow(new RegExp(`docker container ${ctName} is not running`));
    await expect(new Managed(netns, { ...declared, container: `nope-${id}` }).create()).rejects.toThrow(/docker container nope-\w+ does not exist/);
    expect(await netnsList()).toEqual([]);
  });
});

/**
 * Refresh without adopting the result as state (same provider process); `inputs` are what the engine then keeps:
 * the state's, when none come back.
 */
async function m2(m: Managed) {
  const r = await m.mod.read(m.id, m.outs);
  return r.id ? { ...r, inputs: r.inputs ?? m.stateInputs } : r;
}
