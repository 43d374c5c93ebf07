import * as fs from "node:fs";
import * as path from "node:path";
import * as route from "../../provider/resources/route";
import { liveInputs, matches, parseProbe, routeWrites } from "../../provider/resources/route";
import {
  canonicalDestination,
  ipv4Network,
  isOurRoute,
  parseRoutes,
  routeAddArgv,
  routeAt,
  routeDelArgv,
  routeReplaceArgv,
  routeShowCmd,
  type LiveRoute,
} from "../../provider/ip/route";
import { UNKNOWN } from "../../provider/schema/base";
import { HOSTILE } from "../helpers/hostile";

const fx = (f: string) => fs.readFileSync(path.join(__dirname, "..", "fixtures", "ip", f), "utf8");
const connection = { host: "198.18.0.10", user: "ops", privateKey: "k" };
const owner = "proj/dev/Route/to-h2";
const base = { connection, owner };
const want = { ...base, destination: "198.18.42.0/24", via: "198.18.40.2", dev: "rou0" };
const live = (over: Partial<LiveRoute> = {}): LiveRoute => ({ destination: "198.18.42.0/24", via: "198.18.40.2", dev: "rou0", metric: 0, protocol: "198", multipath: false, ...over });

async function failures(news: Record<string, unknown>) {
  return [...new Set(((await route.check({}, { ...base, ...news })).failures ?? []).map((f) => f.property))];
}

describe("route argv builders and parser", () => {
  it("marks every route with proto 198 and names its slot (destination + metric) exactly", () => {
    expect(routeAddArgv({ destination: "198.18.42.0/24", via: "198.18.40.2", dev: "rou0" })).toEqual([
      "ip", "-4", "route", "add", "198.18.42.0/24", "via", "198.18.40.2", "dev", "rou0", "metric", "0", "proto", "198",
    ]);
    expect(routeReplaceArgv({ namespace: "blue", destination: "default", via: "198.18.40.1", metric: 50, src: "198.18.40.2" })).toEqual([
      "ip", "-n", "blue", "-4", "route", "replace", "default", "via", "198.18.40.1", "src", "198.18.40.2", "metric", "50", "proto", "198",
    ]);
    expect(routeDelArgv({ destination: "198.18.42.0/24" })).toEqual(["ip", "-4", "route", "del", "198.18.42.0/24", "metric", "0", "proto", "198"]);
    expect(routeShowCmd({ namespace: "blue", destination: "default" }).argv).toEqual(["ip", "-n", "blue", "-N", "-4", "-j", "route", "show", "table", "main", "exact", "default"]);
  });

  it("parses captured `ip -N -4 -j route show` (a /32 printed bare, numeric protocols, metric 0 omitted)", () => {
    const routes = parseRoutes(fx("route-show-all.json"));
    expect(routes).toEqual([
      { destination: "default", via: "198.18.40.9", dev: "zp0", metric: 0, protocol: "198", multipath: false, src: undefined },
      { destination: "198.18.40.0/24", dev: "zp0", metric: 0, protocol: "2", src: "198.18.40.1", multipath: false, via: undefined },
      { destination: "198.18.42.0/24", via: "198.18.40.2", dev: "zp0", metric: 0, protocol: "198", multipath: false, src: undefined },
      { destination: "198.18.44.7/32", via: "198.18.40.9", dev: "zp0", metric: 0, protocol: "198", multipath: false, src: undefined },
    ]);
    expect(parseRoutes("")).toEqual([]);
    expect(parseRoutes('[{"dst":"198.18.5.0/24","metric":20,"protocol":"198","nexthops":[{},{}],"flags":[]}]')[0]).toMatchObject({ metric: 20, multipath: true });
    expect(isOurRoute(routes[0])).toBe(true);
    expect(isOurRoute(routes[1])).toBe(false);
    expect(routeAt(routes, { destination: "198.18.44.7/32" })?.via).toBe("198.18.40.9");
    expect(routeAt(routes, { destination: "198.18.44.7/32", metric: 5 })).toBeUndefined();
    expect(canonicalDestination("0.0.0.0/0")).toBe("default");
    expect(ipv4Network("198.18.41.7", 24)).toBe("198.18.41.0");
    expect(ipv4Network("255.255.255.255", 1)).toBe("128.0.0.0");
    expect(ipv4Network("198.18.41.7", 0)).toBe("0.0.0.0");
    expect(ipv4Network("198.18.41.7", 32)).toBe("198.18.41.7");
  });

  it("reads a missing namespace as an empty slot, a missing tool as an error", () => {
    const w = { ...want, namespace: "gone" } as never;
    expect(parseProbe({ code: 255, stdout: "", stderr: 'Cannot open network namespace "gone": No such file or directory' }, w)).toBeUndefined();
    expect(() => parseProbe({ code: 127, stdout: "", stderr: "sh: ip: not found" }, w)).toThrow(/required tool missing/);
    expect(() => parseProbe({ code: 1, stdout: "", stderr: "Error: any" }, want as never)).toThrow(/ip route show failed \(exit code 1\): Error: any/);
  });
});

describe("Route check", () => {
  it("normalizes destinations to the kernel's form", async () => {
    const c = async (destination: string) => ((await route.check({}, { ...base, destination, dev: "rou0" })).inputs as { destination: string }).destination;
    expect(await c("198.18.42.0/24")).toBe("198.18.42.0/24");
    expect(await c("198.18.42.9")).toBe("198.18.42.9/32");
    expect(await c("default")).toBe("default");
    expect(await c("0.0.0.0/0")).toBe("default");
  });

  it("explains host bits, bad destinations, and a route with neither via nor dev", async () => {
    expect((await route.check({}, { ...base, destination: "198.18.42.7/24", dev: "x" })).failures).toEqual([{ property: "destination", reason: "has host bits set: did you mean 198.18.42.0/24?" }]);
    for (const d of ["198.18.42.0/33", "2001:db8::/64", "10", "", "default via"]) expect(await failures({ destination: d, dev: "x" })).toEqual(["destination"]);
    expect(await failures({ destination: "default" })).toEqual(["via"]);
    expect(await failures({ destination: "default", via: "198.18.40.300" })).toEqual(["via"]);
    expect(await failures({ destination: "default", dev: "rou0", metric: -1, src: "x", extra: 1 })).toEqual(expect.arrayContaining(["metric", "src"]));
  });

  it("refuses every hostile string as destination, via and dev", async () => {
    for (const s of HOSTILE) {
      expect(await failures({ destination: s, dev: "rou0" })).toEqual(s === "default" ? [] : ["destination"]);
      expect(await failures({ destination: "default", via: s })).toEqual(["via"]);
      expect(await failures({ destination: "default", dev: s })).toEqual(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$/.test(s) ? [] : ["dev"]);
    }
  });

  it("does not judge values not known yet", async () => {
    expect(await failures({ destination: UNKNOWN, via: UNKNOWN })).toEqual([]);
    expect(await failures({ destination: "default", dev: UNKNOWN })).toEqual([]);
  });
});

describe("Route diff", () => {
  const olds = { ...want };
  it("no change; via, dev and src change in place", async () => {
    expect(await route.diff("id", olds, { ...want })).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
    expect(await route.diff("id", olds, { ...want, via: "198.18.40.3" })).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    expect(await route.diff("id", olds, { ...want, src: "198.18.40.1" })).toMatchObject({ changes: true, replaces: [] });
  });
  it("a new slot (destination, metric, namespace) replaces, adding the new route before deleting the old", async () => {
    expect(await route.diff("id", olds, { ...want, destination: "198.18.43.0/24" })).toEqual({ changes: true, replaces: ["destination"], deleteBeforeReplace: false });
    expect(await route.diff("id", olds, { ...want, metric: 10 })).toEqual({ changes: true, replaces: ["metric"], deleteBeforeReplace: false });
    expect(await route.diff("id", olds, { ...want, namespace: "blue" })).toMatchObject({ replaces: ["namespace"] });
  });
});

describe("Route plan", () => {
  it("adds into an empty slot (exclusively), does nothing when it matches, replaces our differing route", () => {
    expect(routeWrites(want as never, undefined).map((c) => c.argv)).toEqual([routeAddArgv(want)]);
    expect(routeWrites(want as never, live())).toEqual([]);
    expect(routeWrites(want as never, live({ via: "198.18.40.3" })).map((c) => c.argv)).toEqual([routeReplaceArgv(want)]);
    expect(routeWrites(want as never, live({ multipath: true, via: undefined })).map((c) => c.argv[3])).toEqual(["replace"]);
  });
  it("refuses a route in the slot that is not ours, unless adopt", () => {
    expect(() => routeWrites(want as never, live({ protocol: "3" }))).toThrow(/Route "198\.18\.42\.0\/24 metric 0" already exists on the host and is managed by something other than pulumi-ovs.*adopt: true/s);
    expect(routeWrites({ ...want, adopt: true } as never, live({ protocol: "3" })).map((c) => c.argv)).toEqual([routeReplaceArgv(want)]);
  });
  it("matches: dev only when declared, via and src exactly", () => {
    expect(matches({ ...want, dev: undefined } as never, live())).toBe(true);
    expect(matches({ ...want, via: undefined } as never, live())).toBe(false);
    expect(matches(want as never, live({ src: "198.18.40.1" }))).toBe(false);
    expect(matches(want as never, live({ protocol: "2" }))).toBe(false);
  });
  it("reads back the declared fields as the kernel has them", () => {
    expect(liveInputs(want as never, live({ via: "198.18.40.7", src: "198.18.40.1" }))).toEqual({ ...want, via: "198.18.40.7", src: "198.18.40.1" });
    expect(liveInputs({ ...base, destination: "default", via: "198.18.40.1" } as never, live({ dev: "eth9" }))).toEqual({ ...base, destination: "default", via: "198.18.40.2" });
  });
});
