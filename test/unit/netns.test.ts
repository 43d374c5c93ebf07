import * as netns from "../../provider/resources/netns";
import { containerWrites, isStale, outputs, plainWrites, present } from "../../provider/resources/netns";
import type { NetnsLive } from "../../provider/ip/netns";
import { UNKNOWN } from "../../provider/schema/base";
import { HOSTILE } from "../helpers/hostile";
import type { IpLink } from "../../provider/ip/ip";

const connection = { host: "198.18.0.10", user: "ops", privateKey: "k" };
const owner = "proj/dev/NetNamespace/blue";
const base = { connection, owner };
const marker = `pulumi-ovs-owner=${owner}`;
const lo = (alias?: string, up = true): IpLink => ({ ifindex: 1, ifname: "lo", flags: up ? ["LOOPBACK", "UP"] : ["LOOPBACK"], mtu: 65536, ifalias: alias, addrs: [] });

async function failures(news: Record<string, unknown>) {
  return [...new Set(((await netns.check({}, { ...base, ...news })).failures ?? []).map((f) => f.property))];
}

describe("NetNamespace check", () => {
  it("accepts a plain and a container namespace", async () => {
    expect(await netns.check({}, { ...base, name: "blue" })).toEqual({ inputs: { ...base, name: "blue" } });
    expect((await netns.check({}, { ...base, name: "web", container: "3f2a9c1b7d4e" })).failures).toBeUndefined();
  });

  it.each(["a;reboot", "$(id)", "a b", "a\nb", "-n", ".hidden", "..", "x".repeat(65), "a/b", ""])("refuses name %j", async (name) => {
    expect(await failures({ name })).toEqual(["name"]);
  });

  it("refuses every hostile string that is not a plain name", async () => {
    for (const s of HOSTILE) {
      const ok = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(s);
      expect(await failures({ name: s })).toEqual(ok ? [] : ["name"]);
      expect(await failures({ name: "ok", container: s })).toEqual(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(s) ? [] : ["container"]);
    }
  });

  it("reports every bad property at once, and skips values not known yet", async () => {
    expect(await failures({ name: "a b", container: "$(id)", extra: 1 })).toEqual(expect.arrayContaining(["name", "container"]));
    expect(await failures({ name: UNKNOWN, container: UNKNOWN })).toEqual([]);
  });
});

describe("NetNamespace diff", () => {
  const olds = { ...base, name: "blue", inode: 4026532253 };
  it("no change", async () => {
    expect(await netns.diff("id", olds, { ...base, name: "blue" })).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
  });
  it("a new name replaces (create first: no collision)", async () => {
    expect(await netns.diff("id", olds, { ...base, name: "green" })).toEqual({ changes: true, replaces: ["name"], deleteBeforeReplace: false });
  });
  it("a new container under the same name replaces, deleting first", async () => {
    expect(await netns.diff("id", { ...olds, container: "a1", pid: 5, linkedPid: 5 }, { ...base, name: "blue", container: "b2" })).toEqual({
      changes: true,
      replaces: ["container"],
      deleteBeforeReplace: true,
    });
  });
  it("a stale container link (restart seen by refresh) asks for an update", async () => {
    const news = { ...base, name: "web", container: "c1" };
    expect(await netns.diff("id", { ...news, pid: 200, linkedPid: 100 }, news)).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    expect(await netns.diff("id", { ...news, pid: 200, linkedPid: 200 }, news)).toMatchObject({ changes: false });
    expect(await netns.diff("id", { ...news, pid: 0, linkedPid: 200 }, news)).toMatchObject({ changes: true });
  });
  it("isStale", () => {
    expect(isStale({ name: "x" })).toBe(false);
    expect(isStale({ container: "c", pid: 3, linkedPid: 3 })).toBe(false);
    expect(isStale({ container: "c", pid: 3, linkedPid: 4 })).toBe(true);
    expect(isStale({ container: "c", pid: 3 })).toBe(true);
  });
});

describe("NetNamespace plan", () => {
  const want = { ...base, name: "blue" };
  it("creates a missing namespace with lo up and the marker", () => {
    expect(plainWrites(want, { exists: false }).map((c) => c.argv)).toEqual([
      ["ip", "netns", "add", "blue"],
      ["ip", "-n", "blue", "link", "set", "dev", "lo", "up", "alias", marker],
    ]);
  });
  it("leaves our namespace alone, repairs lo", () => {
    expect(plainWrites(want, { exists: true, lo: lo(marker) })).toEqual([]);
    expect(plainWrites(want, { exists: true, lo: lo(marker, false) }).length).toBe(1);
  });
  it("refuses a foreign namespace unless adopt", () => {
    expect(() => plainWrites(want, { exists: true, lo: lo() })).toThrow(/NetNamespace "blue" already exists .* something other than pulumi-ovs.*adopt: true/s);
    expect(() => plainWrites(want, { exists: true, lo: lo("pulumi-ovs-owner=other/stack") })).toThrow(/managed by pulumi-ovs resource "other\/stack"/);
    expect(plainWrites({ ...want, adopt: true }, { exists: true, lo: lo("uplink") }).map((c) => c.argv)).toEqual([["ip", "-n", "blue", "link", "set", "dev", "lo", "up", "alias", marker]]);
    expect(() => plainWrites({ ...want, adopt: true }, { exists: true, linkTarget: "/proc/1/ns/net", linkedPid: 1, lo: lo() })).toThrow(/is a link to \/proc\/1\/ns\/net/);
    expect(() => plainWrites(want, { exists: true })).toThrow(/does not open as a network namespace/);
  });

  const cwant = { ...base, name: "web", container: "c1" };
  const running = { pid: 4242, id: "f".repeat(64) };
  it("links a container's namespace", () => {
    expect(containerWrites(cwant, { exists: false, container: running }, true).map((c) => c.argv)).toEqual([
      ["mkdir", "-p", "/run/netns"],
      ["ln", "-sfn", "/proc/4242/ns/net", "/run/netns/web"],
      ["ip", "-n", "web", "link", "set", "dev", "lo", "up", "alias", marker],
    ]);
  });
  it("re-links after a restart (update: the stale link is ours by state)", () => {
    const stale: NetnsLive = { exists: true, linkTarget: "/proc/100/ns/net", linkedPid: 100, container: running };
    expect(containerWrites(cwant, stale, false).map((c) => c.argv[0])).toEqual(["mkdir", "ln", "ip"]);
    // ...but create cannot tell a dangling link of ours from someone else's.
    expect(() => containerWrites(cwant, stale, true)).toThrow(/adopt: true/);
  });
  it("nothing to do when linked, marked and up", () => {
    expect(containerWrites(cwant, { exists: true, linkTarget: "/proc/4242/ns/net", linkedPid: 4242, lo: lo(marker), container: running }, true)).toEqual([]);
  });
  it("explains a container that is gone or stopped, and a name taken by a named namespace", () => {
    expect(() => containerWrites(cwant, { exists: false, container: null }, true)).toThrow(/container c1 does not exist/);
    expect(() => containerWrites(cwant, { exists: false, container: { pid: 0, id: "f".repeat(64) } }, true)).toThrow(/is not running/);
    expect(() => containerWrites(cwant, { exists: true, lo: lo(), container: running }, true)).toThrow(/is a named namespace/);
  });

  it("present / outputs", () => {
    expect(present(want, { exists: true, lo: lo(marker) })).toBe(true);
    expect(present(want, { exists: true, lo: lo() })).toBe(false); // not ours (any more)
    expect(present(want, { exists: false })).toBe(false);
    expect(present(cwant, { exists: true, linkTarget: "/proc/9/ns/net", linkedPid: 9 })).toBe(true); // dangling, but our link
    const live: NetnsLive = { exists: true, inode: 7, linkTarget: "/proc/9/ns/net", linkedPid: 9, container: running };
    expect(outputs(cwant, live)).toEqual({ ...cwant, inode: 7, pid: 4242, linkedPid: 9, containerId: running.id });
    expect(outputs(want, { exists: true, inode: 7, lo: lo(marker) })).toEqual({ ...want, inode: 7 });
  });
});
