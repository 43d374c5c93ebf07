import * as bridge from "../../provider/resources/bridge";
import * as flow from "../../provider/resources/flow";
import type { Flow } from "../../provider/ovs/flow-model";
import { parseDumpFlows } from "../../provider/ovs/flow-parse";
import { cookieHex } from "../../provider/ovs/flow-format";
import { cookieFor } from "../../provider/ovs/flow-cookies";
import { closeAllHosts, transportStats } from "../../provider/transport/pool";
import { forgetAllFacts } from "../../provider/host/facts";
import { Managed, owner } from "../helpers/provider";
import { labConnection, onHost, uniq } from "../helpers/lab";

/**
 * FlowEntry against real OVS (userspace datapath) on lab host h1. Drift is made by hand with ovs-ofctl beside
 * the code under test, and checked the same way. Addresses: 198.18.20.0/24 (match values only),
 * 198.18.21.0/24 and 198.18.22.0/24 (two namespaces and their virtual gateways).
 */

jest.setTimeout(120_000);
const H = 0;
const id = uniq();
const BR = `fl${id}`;
const BR2 = `fm${id}`;
const nsA = `fl-a-${id}`;
const nsB = `fl-b-${id}`;
const conn = labConnection(H);
const sh = (argv: string[]) => onHost(H, argv);

/** Flows on a bridge as the host prints them (checked independently of the provider's read path). */
async function hostFlows(br: string, filter?: string): Promise<Flow[]> {
  return parseDumpFlows((await sh(["ovs-ofctl", "-O", "OpenFlow13", "dump-flows", br, ...(filter ? [filter] : [])])).stdout);
}
const withCookie = (br: string, c: bigint) => hostFlows(br, `cookie=${cookieHex(c)}/-1`);

const decl = {
  connection: conn,
  owner: owner("flow", `fwd-${id}`),
  bridge: BR,
  table: 5,
  priority: 700,
  match: "in_port=11,dl_type=0x0800,nw_dst=198.18.20.100",
  actions: "move:NXM_OF_ETH_DST[]->NXM_OF_ETH_SRC[],mod_dl_dst:f2:70:38:c0:00:27,output:12",
};
/** decl as check() stores it: the EtherType as the protocol word dump-flows prints. */
const checkedDecl = { ...decl, match: "in_port=11,ip,nw_dst=198.18.20.100" };
const COOKIE = cookieFor(decl.owner);
const IDENTITY = "table=5,priority=700,ip,in_port=11,nw_dst=198.18.20.100";

beforeAll(async () => {
  await new Managed(bridge, { connection: conn, owner: owner("flow", `br-${id}`), name: BR, datapathType: "netdev", failMode: "secure" }).create();
  await new Managed(bridge, { connection: conn, owner: owner("flow", `br2-${id}`), name: BR2, datapathType: "netdev", failMode: "secure", protocols: ["OpenFlow13"] }).create();
});

afterAll(async () => {
  for (const b of [BR, BR2]) await onHost(H, ["ovs-vsctl", "--if-exists", "del-br", b], { reject: false });
  for (const ns of [nsA, nsB]) await onHost(H, ["ip", "netns", "del", ns], { reject: false });
  closeAllHosts();
});

describe("FlowEntry life cycle", () => {
  const m = new Managed(flow, decl);

  it("creates the flow with its cookie and keeps OVS's printed form", async () => {
    await m.create();
    expect(m.outs).toMatchObject({
      cookie: cookieHex(COOKIE),
      normalizedMatch: "ip,in_port=11,nw_dst=198.18.20.100",
      normalizedActions: "move:NXM_OF_ETH_DST[]->NXM_OF_ETH_SRC[],set_field:f2:70:38:c0:00:27->eth_dst,output:12",
    });
    const live = await withCookie(BR, COOKIE);
    expect(live).toHaveLength(1);
    expect(live[0]).toMatchObject({ table: 5, priority: 700 });
  });

  it("reads back exactly what was declared: no drift", async () => {
    const before = { ...m.outs };
    const r = await m.refresh();
    expect(r.props).toEqual(before);
    expect(r.inputs).toEqual(checkedDecl);
    expect(r.inputsReturned).toBe(false); // nothing drifted: the state's inputs stay
    expect(await m.diff()).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
  });

  it("reports a flow deleted by hand as gone; creating again restores it", async () => {
    await sh(["ovs-ofctl", "del-flows", BR, `cookie=${cookieHex(COOKIE)}/-1`]);
    expect(await m.refresh()).toEqual({});
    await m.create();
    expect(await withCookie(BR, COOKIE)).toHaveLength(1);
  });

  it("reports actions changed by hand with mod-flows, field by field, and an update repairs them", async () => {
    await sh(["ovs-ofctl", "mod-flows", BR, `${IDENTITY} actions=drop`]);
    const r = await m.refresh();
    expect(r.inputs).toEqual({ ...checkedDecl, actions: "drop" });
    expect(r.props).toMatchObject({ actions: "drop", normalizedActions: "drop" });
    const d = await m.diff(decl);
    expect(d).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    await m.up(decl);
    const live = await withCookie(BR, COOKIE);
    expect(live).toHaveLength(1);
    expect(live[0].actions).toEqual(["move:NXM_OF_ETH_DST[]->NXM_OF_ETH_SRC[]", "set_field:f2:70:38:c0:00:27->eth_dst", "output:12"]);
    expect((await m.refresh()).inputs).toEqual(checkedDecl);
  });

  it("reports a flow re-added by hand under another cookie, and an update puts our cookie back", async () => {
    await sh(["ovs-ofctl", "del-flows", BR, `cookie=${cookieHex(COOKIE)}/-1`]);
    await sh(["ovs-ofctl", "add-flow", BR, `cookie=0x5,${IDENTITY},actions=output:11`]);
    const r = await m.refresh();
    expect(r.inputs).toEqual({ ...checkedDecl, actions: "output:11" });
    expect(r.props).toMatchObject({ cookie: "0x5" });
    await m.up(decl);
    expect(await withCookie(BR, 5n)).toHaveLength(0);
    expect(await withCookie(BR, COOKIE)).toHaveLength(1);
    expect(await m.diff()).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
  });

  it("changes actions and timeouts in place, under the same cookie", async () => {
    const next = { ...decl, actions: "output:12", idleTimeout: 300 };
    expect((await m.up(next)).replaces).toEqual([]);
    const live = await withCookie(BR, COOKIE);
    expect(live).toHaveLength(1);
    expect(live[0]).toMatchObject({ actions: ["output:12"], idleTimeout: 300 });
    expect((await m.refresh()).inputs).toEqual({ ...next, match: checkedDecl.match });
  });

  it("replaces on a priority change, leaving only the new flow", async () => {
    const next = { ...decl, priority: 710 };
    expect(await m.up(next)).toMatchObject({ replaces: ["priority"], deleteBeforeReplace: false });
    expect((await withCookie(BR, COOKIE)).map((f) => f.priority)).toEqual([710]);
  });

  it("replaces on a respelled match that OVS sees as the same flow without losing it", async () => {
    const next = { ...decl, priority: 710, match: "ip,in_port=11,nw_dst=198.18.20.100" };
    expect(await m.up(next)).toMatchObject({ replaces: ["match"], deleteBeforeReplace: true });
    expect(await withCookie(BR, COOKIE)).toHaveLength(1);
    expect((await m.refresh()).inputs).toEqual(next);
  });

  it("deletes only its own flow", async () => {
    await sh(["ovs-ofctl", "add-flow", BR, "cookie=0x77,table=5,priority=600,ip,actions=drop"]);
    await sh(["ovs-ofctl", "add-flow", BR, "table=5,priority=710,ip,in_port=12,actions=drop"]);
    await m.delete();
    expect(await withCookie(BR, COOKIE)).toHaveLength(0);
    expect(await withCookie(BR, 0x77n)).toHaveLength(1);
    expect((await hostFlows(BR, "table=5")).map((f) => f.priority).sort()).toEqual([600, 710]);
    await m.delete(); // idempotent
  });
});

describe("FlowEntry ownership and validation", () => {
  const foreign = "table=6,priority=500,ip,in_port=11,nw_dst=198.18.20.100";
  const mine = { ...decl, owner: owner("flow", `own-${id}`), table: 6, priority: 500, match: "in_port=11,ip,nw_dst=198.18.20.100", actions: "output:12" };

  it("refuses a flow someone else wrote at the same table/priority/match, naming adopt; adopt takes it over", async () => {
    await sh(["ovs-ofctl", "add-flow", BR, `cookie=0x99,${foreign},actions=output:11`]);
    await expect(new Managed(flow, mine).create()).rejects.toThrow(/adopt: true/);
    expect((await withCookie(BR, 0x99n))[0].actions).toEqual(["output:11"]);
    const m = await new Managed(flow, { ...mine, adopt: true }).create();
    expect(await withCookie(BR, 0x99n)).toHaveLength(0);
    expect((await withCookie(BR, cookieFor(mine.owner)))[0].actions).toEqual(["output:12"]);
    await m.delete();
  });

  it.each([
    // Matches are refused by check (OVS would read them otherwise); actions by ovs-ofctl on the host.
    ["match", "ip,ct_mark=zz", /"property":"match".*ct_mark=zz: write a number/],
    ["match", "in_port=11,nw_dst=198.18.20.100", /"property":"match".*nw_dst needs ip/],
    ["match", "ct_state=+bogus", /"property":"match".*ct_state=\+bogus: write \+flag/],
    ["actions", "frobnicate:1", /actions "frobnicate:1" is not accepted .*unknown action frobnicate/],
  ])("rejects bad %s (check, or ovs-ofctl on the host) before changing anything", async (property, value, message) => {
    const before = await hostFlows(BR);
    await expect(new Managed(flow, { ...mine, owner: owner("flow", `bad-${id}`), [property]: value }).create()).rejects.toThrow(message);
    expect(await hostFlows(BR)).toEqual(before);
  });
});

describe("FlowEntry on a bridge restricted to OpenFlow 1.3", () => {
  const learn = {
    connection: conn,
    owner: owner("flow", `learn-${id}`),
    bridge: BR2,
    table: 10,
    priority: 1,
    actions: "learn(table=20,hard_timeout=300,priority=1,NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],load:0->NXM_OF_VLAN_TCI[],load:NXM_NX_TUN_ID[]->NXM_NX_TUN_ID[],output:NXM_OF_IN_PORT[]),output:1",
  };
  const m = new Managed(flow, learn);

  it("creates and reads the br-tun learn flow without drift", async () => {
    await m.create();
    expect(m.outs.normalizedActions).toBe(learn.actions);
    expect((await m.refresh()).inputs).toEqual({ ...learn, match: "" });
  });

  it("reports the flow gone when its bridge is deleted, and deleting then succeeds", async () => {
    await sh(["ovs-vsctl", "del-br", BR2]);
    expect(await m.refresh()).toEqual({});
    await m.delete();
  });
});

describe("seed 003 virtual gateway: ARP and ICMP answered by flows", () => {
  const gateways = [
    { ns: nsA, port: `fa${id}`, ofport: 21, ip: "198.18.21.10/24", gw: "198.18.21.1", gwHex: "0xc6121501", mac: "02:00:00:18:15:0a" },
    { ns: nsB, port: `fb${id}`, ofport: 22, ip: "198.18.22.10/24", gw: "198.18.22.1", gwHex: "0xc6121601", mac: "02:00:00:18:16:0a" },
  ];
  const entries: Managed[] = [];

  beforeAll(async () => {
    for (const g of gateways) {
      await sh(["ip", "netns", "add", g.ns]);
      await sh(["ip", "link", "add", g.port, "type", "veth", "peer", "name", `${g.port}p`]);
      await sh(["ip", "link", "set", `${g.port}p`, "netns", g.ns]);
      await sh(["ip", "-n", g.ns, "link", "set", `${g.port}p`, "name", "eth0"]);
      await sh(["ip", "-n", g.ns, "link", "set", "eth0", "address", g.mac]);
      await sh(["ip", "-n", g.ns, "addr", "add", g.ip, "dev", "eth0"]);
      for (const dev of ["lo", "eth0"]) await sh(["ip", "-n", g.ns, "link", "set", dev, "up"]);
      await sh(["ip", "link", "set", g.port, "up"]);
      await sh(["ovs-vsctl", "add-port", BR, g.port, "--", "set", "Interface", g.port, `ofport_request=${g.ofport}`]);
    }
  });

  it("a namespace pings its virtual gateway, answered by FlowEntry flows", async () => {
    for (const g of gateways) {
      const common = { connection: conn, bridge: BR };
      const arp = new Managed(flow, {
        ...common,
        owner: owner("flow", `arp-${g.ofport}-${id}`),
        match: `in_port=${g.ofport},arp,arp_tpa=${g.gw},arp_op=1`,
        actions: `load:0x2->NXM_OF_ARP_OP[],move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],move:NXM_NX_ARP_SHA[]->NXM_NX_ARP_THA[],move:NXM_OF_ARP_SPA[]->NXM_OF_ARP_TPA[],mod_dl_src:92:14:02:ed:ed:46,load:0x921402eded46->NXM_NX_ARP_SHA[],load:${g.gwHex}->NXM_OF_ARP_SPA[],IN_PORT`,
      });
      const icmp = new Managed(flow, {
        ...common,
        owner: owner("flow", `icmp-${g.ofport}-${id}`),
        match: `in_port=${g.ofport},icmp,nw_dst=${g.gw},icmp_type=8,icmp_code=0`,
        actions: "push:NXM_OF_ETH_SRC[],push:NXM_OF_ETH_DST[],pop:NXM_OF_ETH_SRC[],pop:NXM_OF_ETH_DST[],push:NXM_OF_IP_SRC[],push:NXM_OF_IP_DST[],pop:NXM_OF_IP_SRC[],pop:NXM_OF_IP_DST[],load:0xff->NXM_NX_IP_TTL[],load:0->NXM_OF_ICMP_TYPE[],IN_PORT",
      });
      entries.push(await arp.create(), await icmp.create());
    }
    for (const g of gateways) {
      const r = await onHost(H, ["ip", "netns", "exec", g.ns, "ping", "-c", "2", "-i", "0.2", "-W", "2", g.gw], { reject: false });
      expect(r.exitCode).toBe(0);
      const neigh = await sh(["ip", "-n", g.ns, "neigh", "show", g.gw]);
      expect(neigh.stdout).toMatch(/lladdr 92:14:02:ed:ed:46/);
    }
    for (const e of entries) {
      const [live] = await withCookie(BR, cookieFor(e.inputs.owner as string));
      expect(live).toBeDefined();
    }
    // The counters prove the flows did the answering (the bridge is fail_mode=secure: nothing else forwards).
    const counts = (await sh(["ovs-ofctl", "dump-flows", BR, "table=0"])).stdout;
    expect(counts.match(/n_packets=[1-9]/g)?.length).toBe(4);
  });

  it("many FlowEntries on one bridge read without drift, with one dump-flows", async () => {
    // One provider process, all reads at once (as the engine does during a refresh).
    forgetAllFacts();
    const before = transportStats.commandsRun;
    const rs = await Promise.all(entries.map((e) => flow.read(e.id, e.outs)));
    // One ovs-vsctl list, one dump-flows, one read of the stack's restore state (docs/reboot.md).
    expect(transportStats.commandsRun - before).toBe(3);
    // No drift: each read keeps the state's inputs (sends none back) and reports the outputs as they were.
    rs.forEach((r, i) => expect(r).toEqual({ id: entries[i].id, props: entries[i].outs }));
    for (const e of entries) await e.delete();
    expect((await hostFlows(BR, "table=0"))).toHaveLength(0);
  });
});
