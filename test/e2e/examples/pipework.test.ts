import { onHost, uniq } from "../../helpers/lab";
import { eventually, pings, tcpWorks } from "../../helpers/packets";
import { deployExample, destroyAndCheckClean, expectNoChanges } from "./run";
import type { StackHandle } from "../harness";

jest.setTimeout(600_000);
const p = `x${uniq()}`;
const external = `ext${uniq()}`; // not under the prefix: it is not the stack's, so it must survive the destroy
let handle: StackHandle | undefined;

beforeAll(async () => {
  // A container this stack did not create, as a user of @pulumi/docker (or plain docker run) would have.
  await onHost(0, ["docker", "run", "-d", "--network", "none", "--label", "pulumi-ovs.lab=test", "--name", external, "pulumi-ovs/busybox:latest", "sleep", "3600"]);
});
afterAll(async () => {
  await handle?.stack.destroy({ onOutput: () => undefined }).catch(() => undefined);
  await onHost(0, ["docker", "rm", "-f", external], { reject: false });
});

const dexec = (name: string, ...argv: string[]) => onHost(0, ["docker", "exec", name, ...argv]);

test("pipework/ovs-docker parity: address@gateway, MAC, MTU, VLAN, eth0 or eth1, containers by name; re-plug after restart", async () => {
  const r = await deployExample("pipework", `pw-${p}`, { prefix: p, subnet: "198.18.14", external });
  handle = r.handle;
  const web1 = `${p}web1`, vm1 = `${p}vm1`, vm2 = `${p}vm2`;

  // What pipework would have configured inside the container.
  const link = (await dexec(web1, "ip", "link", "show", "eth1")).stdout;
  expect(link).toContain("fa:de:b0:99:52:1c");
  expect(link).toContain("mtu 1400");
  expect((await dexec(web1, "ip", "addr", "show", "eth1")).stdout).toContain("198.18.14.11/24");
  expect((await dexec(web1, "ip", "route")).stdout).toMatch(/default via 198\.18\.14\.1 dev eth1/);
  expect((await dexec(vm1, "ip", "addr", "show", "eth0")).stdout).toContain("198.18.14.12/24"); // ovs-docker's eth0
  expect((await dexec(external, "ip", "addr", "show", "eth1")).stdout).toContain("198.18.14.14/24");

  // Same VLAN talks (also with the outside container), the other VLAN doesn't.
  expect(await eventually(() => pings(0, `docker:${web1}`, "198.18.14.12", 1))).toBe(true);
  expect(await pings(0, `docker:${external}`, "198.18.14.11")).toBe(true);
  expect(await tcpWorks({ listenHost: 0, listenIn: `docker:${vm1}`, from: 0, fromIn: `docker:${web1}`, to: "198.18.14.12" })).toBe(true);
  expect(await pings(0, `docker:${web1}`, "198.18.14.13", 1)).toBe(false);
  expect(await tcpWorks({ listenHost: 0, listenIn: `docker:${vm2}`, from: 0, fromIn: `docker:${web1}`, to: "198.18.14.13" })).toBe(false);
  await expectNoChanges(r.handle);

  // A container restart empties its namespace; refresh + up plug it in again (same MAC: neighbours' caches stay valid).
  await onHost(0, ["docker", "restart", "-t", "0", web1]);
  expect(await pings(0, `docker:${vm1}`, "198.18.14.11", 1)).toBe(false);
  await r.handle.stack.refresh({ onOutput: () => undefined });
  await r.handle.stack.up({ onOutput: () => undefined });
  expect(await eventually(() => pings(0, `docker:${vm1}`, "198.18.14.11", 1))).toBe(true);
  expect(await tcpWorks({ listenHost: 0, listenIn: `docker:${web1}`, from: 0, fromIn: `docker:${vm1}`, to: "198.18.14.11" })).toBe(true);
  await expectNoChanges(r.handle);

  await destroyAndCheckClean(r.handle, p);
  handle = undefined;
  // The outside container was only unplugged, never removed.
  expect((await onHost(0, ["docker", "ps", "--filter", `name=${external}`, "--format", "{{.Names}}"])).stdout.trim()).toBe(external);
});
