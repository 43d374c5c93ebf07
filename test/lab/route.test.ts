import * as route from "../../provider/resources/route";
import { closeAllHosts } from "../../provider/transport/pool";
import { Managed, owner } from "../helpers/provider";
import { labConnection, onHost, uniq } from "../helpers/lab";

/**
 * Route against a real kernel: lab host h1, inside a namespace this test makes (plus one route in the host's
 * own table through a veth of this test's). Addresses: 198.18.103.0/24 (link), 198.18.104-106.0/24 (routes).
 */

jest.setTimeout(120_000);
const H = 0;
const id = uniq();
const ns = `rt-${id}`;
const dev = `rt${id}a`;
const hostDev = `rh${id}a`;
const sh = (argv: string[], reject = true) => onHost(H, argv, { reject });
const nsIp = (...args: string[]) => sh(["ip", "-n", ns, ...args]);

/** The route lines for a destination, as `ip route show` prints them (protocol names resolved). */
async function routesTo(dest: string, inHost = false): Promise<string[]> {
  const r = await sh(inHost ? ["ip", "route", "show", "exact", dest] : ["ip", "-n", ns, "route", "show", "exact", dest]);
  return r.stdout.split("\n").map((l) => l.trim()).filter(Boolean);
}

beforeAll(async () => {
  await sh(["ip", "netns", "add", ns]);
  await nsIp("link", "add", dev, "type", "veth", "peer", "name", `rt${id}b`);
  await nsIp("link", "set", dev, "up");
  await nsIp("link", "set", `rt${id}b`, "up");
  await nsIp("addr", "add", "198.18.103.1/24", "dev", dev);
  await sh(["ip", "link", "add", hostDev, "type", "veth", "peer", "name", `rh${id}b`]);
  await sh(["ip", "link", "set", hostDev, "up"]);
  await sh(["ip", "link", "set", `rh${id}b`, "up"]);
});

afterAll(async () => {
  await sh(["ip", "netns", "del", ns], false);
  await sh(["ip", "link", "del", hostDev], false);
  closeAllHosts();
});

const conn = () => labConnection(H);

describe("Route in a namespace", () => {
  const declared = () => ({ connection: conn(), owner: owner("route", `r-${id}`), namespace: ns, destination: "198.18.104.0/24", via: "198.18.103.2", dev });
  let m: Managed;

  it("creates the route with proto 198; reads back what was declared", async () => {
    m = new Managed(route, declared());
    await m.create();
    expect(await routesTo("198.18.104.0/24")).toEqual([`198.18.104.0/24 via 198.18.103.2 dev ${dev} proto 198`]);
    const r = await m.refresh();
    expect(r.id).toBe(m.id);
    expect(r.inputs).toEqual(await m.checked(declared()));
    expect((await m.diff()).changes).toBe(false);
  });

  it("a new gateway changes in place (ip route replace)", async () => {
    expect(await m.up({ ...declared(), via: "198.18.103.3" })).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    expect(await routesTo("198.18.104.0/24")).toEqual([`198.18.104.0/24 via 198.18.103.3 dev ${dev} proto 198`]);
  });

  it("drift by hand: refresh shows the gateway the kernel has, up repairs; a deleted route reads as gone", async () => {
    await nsIp("route", "replace", "198.18.104.0/24", "via", "198.18.103.9", "dev", dev, "proto", "198");
    expect((await m.refresh()).inputs).toMatchObject({ via: "198.18.103.9" });
    expect((await m.diff()).changes).toBe(true);
    await m.up();
    expect(await routesTo("198.18.104.0/24")).toEqual([`198.18.104.0/24 via 198.18.103.3 dev ${dev} proto 198`]);
    await nsIp("route", "del", "198.18.104.0/24");
    expect((await m.refresh()).id).toBeUndefined();
    await m.create();
    expect(await routesTo("198.18.104.0/24")).toHaveLength(1);
  });

  it("a route rewritten without our protocol is no longer ours: refresh drops it, delete leaves it", async () => {
    await nsIp("route", "replace", "198.18.104.0/24", "via", "198.18.103.3", "dev", dev);
    expect((await m.refresh()).id).toBeUndefined();
    await route.delete(m.id, { ...(await m.checked(declared())) });
    expect(await routesTo("198.18.104.0/24")).toEqual([`198.18.104.0/24 via 198.18.103.3 dev ${dev}`]);
  });

  it("refuses a foreign route in its slot unless adopt; adopting marks it ours; delete removes it", async () => {
    await expect(new Managed(route, declared()).create()).rejects.toThrow(
      new RegExp(`Route "198\\.18\\.104\\.0/24 metric 0 in namespace ${ns}" on povs@198\\.18\\.0\\.11:22: .*already exists on the host and is managed by something other than pulumi-ovs.*adopt: true`, "s"),
    );
    const adopted = new Managed(route, { ...declared(), adopt: true });
    await adopted.create();
    expect(await routesTo("198.18.104.0/24")).toEqual([`198.18.104.0/24 via 198.18.103.2 dev ${dev} proto 198`]);
    await adopted.delete();
    await adopted.delete(); // idempotent
    expect(await routesTo("198.18.104.0/24")).toEqual([]);
  });

  it("a second metric is a second slot: ours next to a foreign one, delete leaves the foreign one", async () => {
    await nsIp("route", "add", "198.18.105.0/24", "dev", dev);
    const d = { ...declared(), destination: "198.18.105.0/24", metric: 20, src: "198.18.103.1" };
    const m2 = new Managed(route, d);
    await m2.create();
    expect(await routesTo("198.18.105.0/24")).toEqual([`198.18.105.0/24 dev ${dev} scope link`, `198.18.105.0/24 via 198.18.103.2 dev ${dev} proto 198 src 198.18.103.1 metric 20`]);
    expect((await m2.refresh()).inputs).toEqual(await m2.checked(d));
    await m2.delete();
    expect(await routesTo("198.18.105.0/24")).toEqual([`198.18.105.0/24 dev ${dev} scope link`]);
  });

  it("the interface going down takes the route along: refresh reads it gone, create puts it back", async () => {
    const d = { ...declared(), destination: "default" };
    const m3 = new Managed(route, d);
    await m3.create();
    await nsIp("link", "set", dev, "down");
    expect((await m3.refresh()).id).toBeUndefined();
    await nsIp("link", "set", dev, "up");
    await m3.create();
    expect(await routesTo("default")).toEqual([`default via 198.18.103.2 dev ${dev} proto 198`]);
    await m3.delete();
  });

  it("errors name the resource, host, command and the kernel's reason", async () => {
    await expect(new Managed(route, { ...declared(), destination: "198.18.106.0/24", via: "198.18.99.1" }).create()).rejects.toThrow(
      /Route "198\.18\.106\.0\/24 metric 0 in namespace rt-\w+": on povs@198\.18\.0\.11:22: command failed \(exit code 2\): ip '-n' rt-\w+ '-4' route add 198\.18\.106\.0\/24 via 198\.18\.99\.1 .*proto 198\nError: Nexthop has invalid gateway/s,
    );
    const gone = new Managed(route, { ...declared(), namespace: `nope-${id}` });
    await expect(gone.create()).rejects.toThrow(/namespace nope-\w+ does not exist on the host/);
    await route.delete("x", await gone.checked(gone.inputs)); // nothing there: fine
  });
});

describe("Route in the host's own table", () => {
  it("creates, reads and deletes a device route", async () => {
    const d = { connection: conn(), owner: owner("route", `h-${id}`), destination: "198.18.106.0/24", dev: hostDev };
    const m = new Managed(route, d);
    await m.create();
    expect(await routesTo("198.18.106.0/24", true)).toEqual([`198.18.106.0/24 dev ${hostDev} proto 198 scope link`]);
    expect((await m.refresh()).inputs).toEqual(await m.checked(d));
    await m.delete();
    expect(await routesTo("198.18.106.0/24", true)).toEqual([]);
  });
});
