import { labHost, onHost, uniq } from "../../helpers/lab";
import { eventually, pings, tcpWorks } from "../../helpers/packets";
import { deployExample, destroyAndCheckClean, expectNoChanges } from "./run";
import type { ExampleHandle as StackHandle } from "./run";

jest.setTimeout(600_000);
const p = `x${uniq()}`;
let handle: StackHandle | undefined;
const spy = { br: `${p}spy`, gre: `${p}spyg`, ns: `${p}spy`, link: `${p}spyh` };
afterAll(async () => {
  await handle?.stack.destroy({ onOutput: () => undefined }).catch(() => undefined);
  await onHost(1, ["ovs-vsctl", "--if-exists", "del-br", spy.br], { reject: false });
  await onHost(1, ["ip", "link", "del", spy.link], { reject: false });
  await onHost(1, ["ip", "netns", "del", spy.ns], { reject: false });
});

/**
 * A "spy" on host 2, made by hand for this test: its own bridge with a GRE port to host 1 (same endpoints as the
 * overlay's tunnel, but another key) and a namespace with an address in the overlay's subnet.
 */
async function plantSpy(key: number): Promise<void> {
  const h2 = (argv: string[]) => onHost(1, argv);
  await h2(["ovs-vsctl", "add-br", spy.br, "--", "set", "Bridge", spy.br, "datapath_type=netdev",
    "--", "add-port", spy.br, spy.gre, "--", "set", "Interface", spy.gre, "type=gre", `options:remote_ip=${labHost(0).underlayIp}`, `options:key=${key}`]);
  await h2(["ip", "netns", "add", spy.ns]);
  await h2(["ip", "link", "add", spy.link, "type", "veth", "peer", "name", "eth0", "netns", spy.ns]);
  await h2(["ip", "link", "set", spy.link, "up"]);
  await h2(["ovs-vsctl", "add-port", spy.br, spy.link]);
  await h2(["ip", "-n", spy.ns, "addr", "add", "198.18.33.9/22", "dev", "eth0"]);
  await h2(["ip", "-n", spy.ns, "link", "set", "eth0", "up"]);
}

test("gre-overlay: containers of two hosts in one subnet talk over GRE (ICMP and TCP)", async () => {
  const r = await deployExample("gre-overlay", `gre-${p}`, { prefix: p, net: "198.18.32", key: 7 }, { creates: 25 });
  handle = r.handle;
  const c = (n: number) => `docker:${p}con${n}`;
  // con1, con2 on h1 (198.18.32.1/.2); con3, con4 on h2 (198.18.33.1/.2)
  expect(await eventually(() => pings(0, c(1), "198.18.33.1", 1))).toBe(true);
  expect(await pings(1, c(4), "198.18.32.2")).toBe(true);
  expect(await eventually(() => tcpWorks({ listenHost: 1, listenIn: c(3), from: 0, fromIn: c(1), to: "198.18.33.1" }), 20)).toBe(true);
  expect(await eventually(() => tcpWorks({ listenHost: 0, listenIn: c(2), from: 1, fromIn: c(4), to: "198.18.32.2" }), 20)).toBe(true);
  // Isolation by key: GRE from the same host with another key reaches host 1 and is dropped there.
  await plantSpy(8);
  expect(await pings(1, spy.ns, "198.18.32.1", 2)).toBe(false);
  const sent = /tx pkts=(\d+)/.exec((await onHost(1, ["ovs-ofctl", "dump-ports", spy.br, spy.gre])).stdout);
  expect(Number(sent?.[1])).toBeGreaterThan(0); // the spy's ARP requests did leave, encapsulated with key 8
  await onHost(1, ["ovs-vsctl", "del-br", spy.br]);
  await onHost(1, ["ip", "netns", "del", spy.ns]); // takes the veth along
  await expectNoChanges(r.handle);
  await destroyAndCheckClean(r.handle, p);
  handle = undefined;
});
