import { moveCommands, moveScriptArgv, parseRoutesThrough, routesThroughArgv } from "../../provider/ip/move";
import { checkInputs } from "../../provider/resources/framework";
import { portSchema } from "../../provider/schema/port";

/** The management move's pure parts: what is read, what moves, in which order, and what is refused. */

// `ip -N -4 -j route show table main dev mgmt0` and `ip -N -6 ...` on a lab host with a default route via mgmt0.
const V4 = '[{"dst":"default","gateway":"198.18.0.1","flags":[]},{"dst":"198.18.0.0/24","protocol":"2","scope":"253","prefsrc":"198.18.0.55","flags":[]},{"dst":"198.18.7.0/24","gateway":"198.18.0.9","metric":20,"protocol":"3","flags":[]}]';
const V6 = '[{"dst":"fe80::/64","protocol":"2","metric":256,"flags":[],"pref":"medium"}]';

test("routes through the NIC: the kernel's own stay (they follow their address), the others move with what they carry", () => {
  expect(routesThroughArgv("4", "mgmt0")).toEqual(["ip", "-N", "-4", "-j", "route", "show", "table", "main", "dev", "mgmt0"]);
  expect(parseRoutesThrough("4", V4)).toEqual([
    { family: "4", destination: "default", via: "198.18.0.1" },
    { family: "4", destination: "198.18.7.0/24", via: "198.18.0.9", metric: 20, protocol: "3" },
  ]);
  expect(parseRoutesThrough("6", V6)).toEqual([]);
  expect(parseRoutesThrough("4", "")).toEqual([]);
});

test("one script: the port joins, the target comes up, addresses are added, routes replaced, and only then deleted from the NIC", () => {
  const routes = parseRoutesThrough("4", V4);
  const cmds = moveCommands("mgmt0", "ovs1", { addresses: ["198.18.0.55/24", "198.18.0.56/24"], routes }, [["ovs-vsctl", "add-port", "ovs1", "mgmt0"]]);
  expect(cmds).toEqual([
    ["ovs-vsctl", "add-port", "ovs1", "mgmt0"],
    ["ip", "link", "set", "dev", "ovs1", "up"],
    ["ip", "addr", "replace", "198.18.0.55/24", "dev", "ovs1"],
    ["ip", "addr", "replace", "198.18.0.56/24", "dev", "ovs1"],
    ["ip", "-4", "route", "replace", "default", "via", "198.18.0.1", "dev", "ovs1"],
    ["ip", "-4", "route", "replace", "198.18.7.0/24", "via", "198.18.0.9", "dev", "ovs1", "metric", "20", "proto", "3"],
    // Secondaries go with their primary: the last first.
    ["ip", "addr", "del", "198.18.0.56/24", "dev", "mgmt0"],
    ["ip", "addr", "del", "198.18.0.55/24", "dev", "mgmt0"],
  ]);
  const [sh, flag, script] = moveScriptArgv(cmds);
  expect([sh, flag]).toEqual(["sh", "-c"]);
  expect(script.split("\n")[0]).toBe("set -e");
  expect(script).toContain("ip '-4' route replace default via 198.18.0.1 dev ovs1"); // quoted by the one quoting helper
});

test("values read from a host or from state are refused unless plainly addresses and numbers", () => {
  expect(() => parseRoutesThrough("4", '[{"dst":"default","gateway":"198.18.0.1; reboot"}]')).toThrow(/cannot move/);
  expect(() => parseRoutesThrough("4", '[{"dst":"$(id)"}]')).toThrow(/cannot move/);
  expect(() => parseRoutesThrough("4", '[{"dst":"default","gateway":"198.18.0.1","protocol":"static x"}]')).toThrow(/cannot move/);
  expect(() => moveCommands("a", "b", { addresses: ["198.18.0.55"], routes: [] })).toThrow(/cannot move/);
  expect(() => moveCommands("a", "b", { addresses: ["198.18.0.55/24 dev lo"], routes: [] })).toThrow(/cannot move/);
});

test("check: moveAddressesTo only on a NIC (system port), naming another port", () => {
  const base = { owner: "o", connection: { host: "198.18.0.11" }, bridge: "ovs1", name: "em1" };
  expect(checkInputs(portSchema, { ...base, moveAddressesTo: "ovs1" }).failures).toBeUndefined();
  expect(checkInputs(portSchema, { ...base, type: "internal", moveAddressesTo: "ovs1" }).failures).toEqual([
    { property: "moveAddressesTo", reason: expect.stringContaining('only applies to a NIC (type "system")') },
  ]);
  expect(checkInputs(portSchema, { ...base, moveAddressesTo: "em1" }).failures).toEqual([{ property: "moveAddressesTo", reason: expect.stringContaining("another port") }]);
  expect(checkInputs(portSchema, { ...base, moveAddressesTo: "much-too-long-name" }).failures?.[0]?.property).toBe("moveAddressesTo");
});
