import { programModule, stackFor, type StackHandle } from "../harness";
import { labStackConfig } from "../config";
import { onHost, uniq } from "../../helpers/lab";
import { eventually, pings, tcpWorks } from "../../helpers/packets";

/** The root stack's program (seed 004) with unique names and subnets: all four containers reach each other. */
jest.setTimeout(600_000);

const p = `d${uniq()}`;
let h: StackHandle;

afterAll(async () => {
  await h?.stack.destroy({ onOutput: () => undefined }).catch(() => undefined);
  await h?.stack.workspace.removeStack(h.stack.name).catch(() => undefined);
});

test("seed 004: two hosts, ovs1 + ovs2, four containers, VXLAN: everyone reaches everyone (ICMP and TCP)", async () => {
  const program = await programModule<() => Promise<Record<string, unknown>>>("examples/demo-004/index.js");
  h = await stackFor(`demo004-${p}`, program, labStackConfig({ prefix: p, mgmtNet: "198.19.2", dataNet: "198.18.176", vni: 104 }));
  const up = await h.stack.up({ onOutput: () => undefined });
  const ctrs = up.outputs.containers.value as Record<string, { host: string; ip: string }>;
  const idx = (host: string) => Number(host.slice(1)) - 1;
  const names = Object.keys(ctrs);
  expect(names).toHaveLength(4);
  const [a1, , b1, b2] = names;
  expect(await eventually(() => pings(idx(ctrs[a1].host), `docker:${a1}`, ctrs[b1].ip, 1))).toBe(true);
  for (const from of names) for (const to of names) if (from !== to) expect(await pings(idx(ctrs[from].host), `docker:${from}`, ctrs[to].ip, 1)).toBe(true);
  expect(await tcpWorks({ listenHost: idx(ctrs[b2].host), listenIn: `docker:${b2}`, from: idx(ctrs[a1].host), fromIn: `docker:${a1}`, to: ctrs[b2].ip })).toBe(true);
  // Containers reach the other host's gateway through the tunnel.
  expect(await pings(0, `docker:${a1}`, "198.18.176.4", 1)).toBe(true);

  const pv = await h.stack.preview();
  expect(Object.keys(pv.changeSummary)).toEqual(["same"]);

  await h.stack.destroy({ onOutput: () => undefined });
  for (const i of [0, 1]) {
    expect((await onHost(i, ["ovs-vsctl", "list-br"])).stdout).not.toContain(p);
  }
  expect((await onHost(0, ["docker", "ps", "-a", "--format", "{{.Names}}"])).stdout).not.toContain(p);
});
