import * as bridge from "../../provider/resources/bridge";
import * as flow from "../../provider/resources/flow";
import * as port from "../../provider/resources/port";
import { parseDumpFlows } from "../../provider/ovs/flow-parse";
import { cookieHex } from "../../provider/ovs/flow-format";
import { cookieFor } from "../../provider/ovs/flow-cookies";
import { closeAllHosts } from "../../provider/transport/pool";
import { forgetAllFacts } from "../../provider/host/facts";
import { Managed, owner } from "../helpers/provider";
import { labConnection, onHost, uniq } from "../helpers/lab";

/**
 * State written before check refused a value must still refresh and destroy: the inputs in state are taken as
 * stored, and a flow whose declared match OVS read otherwise (`ip,action_x=1` installed as `ip`) is deleted by
 * the match dump-flows printed. Lab host h1; addresses 198.18.23.0/24 (match values only).
 */

jest.setTimeout(60_000);
const H = 0;
const id = uniq();
const BR = `fo${id}`;
const conn = labConnection(H);
const sh = (argv: string[]) => onHost(H, argv);

beforeAll(async () => {
  await new Managed(bridge, { connection: conn, owner: owner("flow-old", `br-${id}`), name: BR, datapathType: "netdev", failMode: "secure" }).create();
});
afterAll(async () => {
  await onHost(H, ["ovs-vsctl", "--if-exists", "del-br", BR], { reject: false });
  closeAllHosts();
});

describe("stored inputs that today's check refuses", () => {
  it("a flow installed from a match that ovs-ofctl cut at 'action' is refreshed and destroyed", async () => {
    const o = owner("flow-old", `cut-${id}`);
    const cookie = cookieHex(cookieFor(o));
    // What an earlier version left on the host for `ip,action_x=1`: ovs-ofctl stopped reading at "action".
    await sh(["ovs-ofctl", "add-flow", BR, `cookie=${cookie},table=2,priority=300,ip,actions=drop`]);
    const live = parseDumpFlows((await sh(["ovs-ofctl", "dump-flows", BR, `cookie=${cookie}/-1`])).stdout);
    expect(live.map((f) => f.match.map((m) => m.key))).toEqual([["ip"]]);
    // The new check refuses the declared text...
    const inputs = { connection: conn, owner: o, bridge: BR, table: 2, priority: 300, match: "ip,action_x=1", actions: "drop" };
    expect((await flow.check({}, inputs)).failures?.[0]?.property).toBe("match");
    // ...but the state an earlier run wrote still reads and deletes.
    const props = { ...inputs, cookie, normalizedMatch: "ip", normalizedActions: "drop" };
    forgetAllFacts();
    const r = await flow.read("x", props);
    expect(r.id).toBe("x");
    forgetAllFacts();
    await flow.delete("x", props);
    expect((await sh(["ovs-ofctl", "dump-flows", BR, `cookie=${cookie}/-1`])).stdout).not.toMatch(/priority=300/);
  });

  it("a port whose stored address has a leading-zero prefix (read by iproute2 as octal) is destroyed", async () => {
    const name = `fo${id}p`.slice(0, 15);
    const m = await new Managed(port, { connection: conn, owner: owner("flow-old", `p-${id}`), bridge: BR, name, type: "internal" }).create();
    const props = { ...m.outs, addresses: ["198.18.23.2/024"] };
    expect((await port.check({}, { ...m.inputs, addresses: ["198.18.23.2/024"] })).failures?.[0]?.property).toMatch(/^addresses/);
    forgetAllFacts();
    expect((await port.read(m.id, props)).id).toBe(m.id);
    forgetAllFacts();
    await port.delete(m.id, props);
    expect((await onHost(H, ["ovs-vsctl", "port-to-br", name], { reject: false })).exitCode).not.toBe(0);
  });
});
