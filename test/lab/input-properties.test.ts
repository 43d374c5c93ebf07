import { execFileSync } from "node:child_process";
import fc from "fast-check";
import * as bridge from "../../provider/resources/bridge";
import * as port from "../../provider/resources/port";
import * as route from "../../provider/resources/route";
import * as veth from "../../provider/resources/veth";
import * as flow from "../../provider/resources/flow";
import { matchArb } from "../helpers/flow-arbitraries";
import { addressChanges, parseIpJson, declaredAddresses } from "../../provider/ip/ip";
import { parseRoutes, routeAddArgv } from "../../provider/ip/route";
import { closeAllHosts } from "../../provider/transport/pool";
import { forgetAllFacts } from "../../provider/host/facts";
import { T, type Inputs } from "../helpers/targets";
import { propertySeed, stringSoup, valueSoup } from "../helpers/value-soup";
import { Managed, owner } from "../helpers/provider";
import { labConnection, onHost, uniq } from "../helpers/lab";

/**
 * Issue 23, property tests (host part): values check() accepts survive the host tool's own parser unchanged.
 * iproute2 runs locally in a throwaway namespace (addresses, routes, MACs: built with the provider's command
 * builders, read back with its parsers); OVSDB maps and controller targets go through a bridge on lab host h1
 * (update, then the refresh that `pulumi refresh` would do: no drift). Seeded (POVS_PROPERTY_SEED).
 * Addresses: whatever the generators make, inside a namespace with no route out; OVS maps are data only.
 */

jest.setTimeout(180_000);
const SEED = propertySeed();
const id = uniq();
const NS = `povs-prop-${id}`;
const DEV = "d0";
const ip = (argv: string[]) => execFileSync(argv[0], argv.slice(1), { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
/** argv the provider built for the host, run in the throwaway namespace. */
const inNs = (argv: string[]) => ip(argv[0] === "ip" ? ["ip", "-n", NS, ...argv.slice(1)] : argv);
const tally: Record<string, { tried: number; accepted: number }> = {};
const count = (k: string, accepted: boolean) => ((tally[k] ??= { tried: 0, accepted: 0 }).tried++, accepted && tally[k].accepted++);

beforeAll(() => {
  ip(["ip", "netns", "add", NS]);
  // A veth (this kernel has no dummy module), both ends up so routes through DEV are accepted.
  ip(["ip", "-n", NS, "link", "add", DEV, "type", "veth", "peer", "name", "d1"]);
  for (const d of [DEV, "d1"]) ip(["ip", "-n", NS, "link", "set", d, "up"]);
});
afterAll(async () => {
  ip(["ip", "netns", "del", NS]);
  await onHost(0, ["ovs-vsctl", "--if-exists", "del-br", `pp${id}`], { reject: false });
  closeAllHosts();
  console.log(`input properties on host tools (seed ${SEED}): ${Object.entries(tally).map(([k, c]) => `${k} ${c.tried} tried, ${c.accepted} accepted and read back unchanged`).join("; ")}`);
});

const addresses = async (): Promise<string[]> => declaredAddresses(parseIpJson(ip(["ip", "-n", NS, "-j", "addr", "show", "dev", DEV]))[0]);

describe(`iproute2 reads back what check accepted (seed ${SEED})`, () => {
  it("OvsPort/VethPair addresses: added with the provider's argv, listed by ip -j exactly as stored", async () => {
    const base = T.port.base as Inputs;
    await fc.assert(
      fc.asyncProperty(fc.oneof(stringSoup("198.18.1.2/24"), stringSoup("2001:db8::2/64")), async (v) => {
        const r = await port.check({}, { ...base, addresses: [v] });
        count("address", !r.failures?.length);
        if (r.failures?.length) return;
        const stored = (r.inputs as { addresses: string[] }).addresses;
        for (const argv of addressChanges(undefined, DEV, [], stored)) inNs(argv);
        expect(await addresses()).toEqual([...stored].sort());
        for (const argv of addressChanges(undefined, DEV, stored, [])) inNs(argv);
      }),
      { seed: SEED, numRuns: 250 },
    );
  });

  it("Route destinations: added with the provider's argv, listed by ip -j route exactly as stored", async () => {
    const base = { ...(T.route.base as Inputs), namespace: undefined, via: undefined, src: undefined, dev: DEV, metric: 7 };
    await fc.assert(
      fc.asyncProperty(fc.oneof(stringSoup("198.18.42.0/24"), fc.constantFrom("default", "0.0.0.0/0", "198.18.42.7/32", "198.18.42.7")), async (v) => {
        const r = await route.check({}, { ...base, destination: v });
        count("route destination", !r.failures?.length);
        if (r.failures?.length) return;
        const want = r.inputs as { destination: string; dev: string; metric: number };
        inNs(routeAddArgv({ destination: want.destination, dev: DEV, metric: 7 }));
        const live = parseRoutes(ip(["ip", "-n", NS, "-4", "-j", "route", "show", "table", "main", "dev", DEV, "proto", "198"]));
        expect(live.map((x) => x.destination)).toEqual([want.destination]);
        ip(["ip", "-n", NS, "-4", "route", "flush", "dev", DEV, "proto", "198"]);
      }),
      { seed: SEED, numRuns: 150 },
    );
  });

  it("VethPair MACs: set on a link, printed by ip -j exactly as stored", async () => {
    const base = T.veth.base as Inputs;
    await fc.assert(
      fc.asyncProperty(stringSoup("02:00:00:00:00:03"), async (v) => {
        const r = await veth.check({}, { ...base, mac: v });
        count("MAC", !r.failures?.length);
        if (r.failures?.length) return;
        const mac = (r.inputs as { mac: string }).mac;
        ip(["ip", "-n", NS, "link", "set", DEV, "address", mac]);
        expect(parseIpJson(ip(["ip", "-n", NS, "-j", "link", "show", DEV]))[0]).toMatchObject({ address: mac });
      }),
      { seed: SEED, numRuns: 150 },
    );
  });
});

describe(`OVSDB keeps what check accepted: a refresh right after the update shows no drift (lab h1, seed ${SEED})`, () => {
  const conn = labConnection(0);
  const base: Inputs = { connection: conn, owner: owner("props", `br-${id}`), name: `pp${id}`, datapathType: "netdev", failMode: "secure" };
  const m = new Managed(bridge, base);
  beforeAll(async () => void (await m.create()));

  it("external_ids, other_config and controller targets", async () => {
    const maps = fc.record({
      externalIds: valueSoup({ k: "v" }),
      otherConfig: fc.constantFrom<unknown>(undefined, { "mac-aging-time": "300" }, { "mac-table-size": "2048" }),
      controllers: fc.oneof(fc.constant(undefined), fc.array(stringSoup("tcp:198.18.0.1:6653"), { maxLength: 2 })),
    });
    await fc.assert(
      fc.asyncProperty(maps, async (extra) => {
        const news = { ...base, ...extra };
        const r = await bridge.check({}, news);
        count("bridge maps and controllers", !r.failures?.length);
        if (r.failures?.length) return;
        await m.up(news);
        forgetAllFacts();
        const read = await m.refresh();
        expect(read.inputsReturned).toBe(false); // nothing drifted: the state's inputs stay
        expect((await m.diff(news)).changes).toBe(false);
      }),
      { seed: SEED, numRuns: 40 },
    );
  });
});

describe(`FlowEntry: every accepted generated match is created, refreshed without drift and destroyed (lab h1, seed ${SEED})`, () => {
  const conn = labConnection(0);
  const BR = `pf${id}`;
  beforeAll(async () => void (await new Managed(bridge, { connection: conn, owner: owner("props", `brf-${id}`), name: BR, datapathType: "netdev", failMode: "secure" }).create()));
  afterAll(async () => void (await onHost(0, ["ovs-vsctl", "--if-exists", "del-br", BR], { reject: false })));

  it("create, refresh, delete", async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(matchArb, async (match) => {
        const inputs = { connection: conn, owner: owner("props", `f-${id}-${n++}`), bridge: BR, table: 1, priority: 100 + n, match, actions: "drop" };
        const r = await flow.check({}, inputs);
        count("FlowEntry on the host", !r.failures?.length);
        if (r.failures?.length) return;
        const m = await new Managed(flow, inputs).create();
        forgetAllFacts();
        const read = await m.refresh();
        expect(read.id).toBe(m.id);
        expect(read.inputsReturned).toBe(false); // no drift
        await m.delete();
        expect((await onHost(0, ["ovs-ofctl", "dump-flows", BR, `cookie=${m.outs.cookie}/-1`])).stdout).not.toMatch(/priority=/);
      }),
      { seed: SEED, numRuns: 150 },
    );
  });
});
