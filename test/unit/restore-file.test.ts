import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PHASE, entryDrift, entryHash, entryKey, entryLines, parseStateFile, putEntryCmd, putRule, stackOf, stateFileName, type RestoreEntry } from "../../provider/host/restore-file";
import { RESTORE_RUNNER } from "../../provider/host/restore-runner";
import { restoreSteps as netnsSteps } from "../../provider/resources/netns";
import { restoreSteps as vethSteps } from "../../provider/resources/veth";
import { restoreSteps as portSteps } from "../../provider/resources/port";
import { bindingIsStale, type LivePort } from "../../provider/ovs/port";

const OWNER = "proj/dev/VethPair/v1";

describe("state file names and entries", () => {
  it("derives the stack from the owner and a file name unique per project/stack", () => {
    expect(stackOf(OWNER)).toBe("proj/dev");
    expect(stateFileName("proj/dev")).toMatch(/^proj_dev\.[0-9a-f]{8}\.state$/);
    expect(stateFileName("a.b/c")).not.toBe(stateFileName("a/b.c"));
    expect(stateFileName("../x")).toMatch(/^_/);
    expect(() => stackOf("nostack")).toThrow(/project and stack/);
  });

  it("renders steps as sh lines of the one quoting helper, sorted by phase, with a hash that follows the commands", () => {
    const e: RestoreEntry = { phase: PHASE.veth, label: "VethPair v1", steps: [{ argv: ["ip", "link", "add", "x y"], unless: ["ip", "link", "show", "dev", "x"] }] };
    const lines = entryLines(entryKey(OWNER), e).trimEnd().split("\n");
    expect(lines[0].split("\t")).toEqual(["E", "20", entryKey(OWNER), entryHash(e), "VethPair v1"]);
    expect(lines[1].split("\t")).toEqual(["S", "20", entryKey(OWNER), "ip link show dev x", "ip link add 'x y'"]);
    expect(entryHash({ ...e, steps: [{ argv: ["ip", "link", "add", "z"] }] })).not.toBe(entryHash(e));
    expect(() => entryLines("k", { ...e, steps: [{ argv: ["echo", "a\tb"] }] })).toThrow(/tab or newline/);
  });

  it("parses the file and tells missing, stale and current entries apart", () => {
    const e: RestoreEntry = { phase: 10, label: "NetNamespace n", steps: [{ argv: ["ip", "netns", "add", "n"] }] };
    const body = `pulumi-ovs-state\t1\tproj/dev\n${entryLines("k1", e)}end\t123 45\n`;
    const file = parseStateFile({ code: 0, stdout: body, stderr: "" });
    expect(entryDrift(file, "k1", e)).toBeUndefined();
    expect(entryDrift(file, "k2", e)).toBe("missing");
    expect(entryDrift(file, "k1", { ...e, steps: [{ argv: ["ip", "netns", "add", "m"] }] })).toBe("stale");
    expect(parseStateFile({ code: 1, stdout: "", stderr: "cat: x: No such file or directory" })).toEqual({ kind: "absent" });
    expect(parseStateFile({ code: 0, stdout: body.slice(0, 60), stderr: "" })).toMatchObject({ kind: "invalid", reason: expect.stringMatching(/truncated/) });
    expect(parseStateFile({ code: 0, stdout: body.replace("state\t1", "state\t2"), stderr: "" })).toMatchObject({ kind: "invalid", reason: expect.stringMatching(/version 2/) });
    expect(entryDrift(parseStateFile({ code: 0, stdout: "garbage", stderr: "" }), "k1", e)).toBe("missing");
  });

  it("merges the puts of one file in a round trip into one write, and keeps restore-off puts apart", () => {
    const e: RestoreEntry = { phase: 10, label: "x", steps: [{ argv: ["true"] }] };
    const a = putEntryCmd("proj/dev/NetNamespace/a", e, true);
    const b = putEntryCmd("proj/dev/NetNamespace/b", undefined, true);
    const off = putEntryCmd("proj/dev/NetNamespace/c", e, false);
    expect(a.merge!.key).toBe(b.merge!.key);
    expect(off.merge!.key).not.toBe(a.merge!.key);
    expect(off.stdin).toBe(`K\t${entryKey("proj/dev/NetNamespace/c")}\n`);
    expect(putRule.joinsStdin).toBe(true);
    const merged = putRule.merge([a, b]);
    expect(merged.argv).toEqual(a.argv);
    expect(merged.stdin).toBe(`${a.stdin}K\t${entryKey("proj/dev/NetNamespace/b")}\n`);
    expect(a.stdin!.startsWith(`K\t${entryKey("proj/dev/NetNamespace/a")}\nE\t10\t`)).toBe(true);
    expect(putRule.split({ code: 0, stdout: "systemd\n", stderr: "" }, [a, b])).toHaveLength(2);
    // Every member gets a failed put's answer too: the writes before it are never run again.
    expect(putRule.split({ code: 1, stdout: "", stderr: "x" }, [a, b])).toHaveLength(2);
  });
});

describe("restore steps come from the kinds' own builders", () => {
  it("namespaces: added unless there, or linked to a running container; lo up with the marker", () => {
    expect(netnsSteps({ name: "n1", owner: OWNER } as never)).toEqual([
      { argv: ["ip", "netns", "add", "n1"], unless: ["test", "-e", "/run/netns/n1"] },
      { argv: ["ip", "-n", "n1", "link", "set", "dev", "lo", "up", "alias", expect.any(String)] },
    ]);
    expect(netnsSteps({ name: "n1", owner: OWNER, container: "web" } as never)[0]).toEqual({ argv: ["povs_link_netns", "n1", "web"] });
  });

  it("veths: created unless the first end is there, then both ends converged as after a create", () => {
    const steps = vethSteps({ name: "v1", peerName: "eth0", peerNamespace: "n1", peerAddresses: ["198.18.1.2/24"], up: true, peerUp: true, peerGateway: "198.18.1.1", mtu: 1400, owner: OWNER } as never);
    expect(steps[0]).toEqual({ argv: ["ip", "link", "add", "name", "v1", "mtu", "1400", "type", "veth", "peer", "name", "eth0", "netns", "n1", "mtu", "1400"], unless: ["ip", "link", "show", "dev", "v1"] });
    const text = steps.map((s) => s.argv.join(" "));
    expect(text).toContain("ip -n n1 addr replace 198.18.1.2/24 dev eth0");
    expect(text).toContain("ip -n n1 -4 route replace default via 198.18.1.1 dev eth0");
  });

  it("ports: a system port records its binding; an internal port is moved, addressed and set up", () => {
    expect(portSteps({ bridge: "br0", name: "v1", tag: 100, owner: OWNER } as never)).toEqual([
      { argv: ["povs_mark_bound", "v1", "ovs-vsctl", "--timeout=30", "--may-exist", "add-port", "br0", "v1", "--", "set", "Port", "v1", "tag=100", `external_ids:"pulumi-ovs-owner"="${OWNER}"`] },
    ]);
    expect(portSteps({ bridge: "br0", name: "p1", type: "internal", netns: "n1", addresses: ["198.18.2.1/24"], owner: OWNER } as never)).toEqual([
      { argv: ["ip", "link", "set", "dev", "p1", "netns", "n1"], unless: ["ip", "-n", "n1", "link", "show", "dev", "p1"] },
      { argv: ["ip", "-n", "n1", "addr", "replace", "198.18.2.1/24", "dev", "p1"] },
      { argv: ["ip", "-n", "n1", "link", "set", "dev", "p1", "up"] },
    ]);
    expect(portSteps({ bridge: "br0", name: "p2", type: "patch", owner: OWNER } as never)).toEqual([]);
  });

  it("a management move is made again from what it recorded: internal port up, addresses, routes, then off the NIC", () => {
    const want = { bridge: "ovs1", name: "mgmt0", moveAddressesTo: "mgmt", owner: OWNER } as never;
    const outs = { movedAddresses: ["198.18.0.49/24", "198.18.9.1/24"], movedRoutes: [{ family: "4", destination: "default", via: "198.18.0.1", protocol: "3" }] };
    const steps = portSteps(want, outs);
    expect(steps[0].argv[0]).toBe("povs_mark_bound");
    expect(steps.slice(1)).toEqual([
      { argv: ["ip", "link", "set", "dev", "mgmt", "up"] },
      { argv: ["ip", "addr", "replace", "198.18.0.49/24", "dev", "mgmt"] },
      { argv: ["ip", "addr", "replace", "198.18.9.1/24", "dev", "mgmt"] },
      { argv: ["ip", "-4", "route", "replace", "default", "via", "198.18.0.1", "dev", "mgmt", "proto", "3"] },
      { argv: ["ip", "addr", "del", "198.18.9.1/24", "dev", "mgmt0"], unless: ["sh", "-c", expect.stringContaining("grep -qF"), "sh", "mgmt0", "198.18.9.1/24"] },
      { argv: ["ip", "addr", "del", "198.18.0.49/24", "dev", "mgmt0"], unless: ["sh", "-c", expect.stringContaining("grep -qF"), "sh", "mgmt0", "198.18.0.49/24"] },
    ]);
    // Without what it recorded (before the create ran), only the binding.
    expect(portSteps(want)).toHaveLength(1);
    // A recorded value that is not an address is refused, never rendered.
    expect(() => portSteps(want, { movedAddresses: ["198.18.0.49/24; reboot"], movedRoutes: [] })).toThrow(/cannot move/);
  });

  it("a port bound to a device the restore recorded is not stale; one bound to an older device still is", () => {
    const live = (ifindex: number, mark?: string) => ({ bridge: "br0", port: {}, iface: { ifindex, externalIds: mark ? { "pulumi-ovs-bound-ifindex": mark } : {} } }) as unknown as LivePort;
    expect(bindingIsStale(live(7), 5)).toBe(true);
    expect(bindingIsStale(live(7, "7"), 5)).toBe(false);
    expect(bindingIsStale(live(9, "7"), 5)).toBe(true);
    expect(bindingIsStale(live(5), 5)).toBe(false);
  });
});

describe("the restore script", () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "povs-restore-"));
    fs.writeFileSync(path.join(dir, "restore.sh"), RESTORE_RUNNER);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** A valid state file of these entries (the checksum made by cksum, as the put command does). */
  function stateFile(name: string, entries: [string, RestoreEntry][], version = 1): string {
    const body = `pulumi-ovs-state\t${version}\tproj/dev\n` + entries.map(([k, e]) => entryLines(k, e)).join("");
    const sum = execFileSync("cksum", { input: body }).toString().trim();
    const f = path.join(dir, name);
    fs.writeFileSync(f, `${body}end\t${sum}\n`);
    return f;
  }
  const run = (...files: string[]) => spawnSync("sh", [path.join(dir, "restore.sh"), ...files], { encoding: "utf8" });
  const mark = (n: string) => ["touch", path.join(dir, n)];

  it("runs steps in order, skips what is there, keeps going past a failed resource and exits 1 at the end", () => {
    const f = stateFile("a.state", [
      ["aaaa", { phase: 10, label: "One", steps: [{ argv: mark("one") }, { argv: ["false"] }, { argv: mark("never") }] }],
      ["bbbb", { phase: 20, label: "Two", steps: [{ argv: mark("two"), unless: ["test", "-e", path.join(dir, "one")] }, { argv: mark("three") }] }],
    ]);
    const r = run(f);
    expect(r.status).toBe(1);
    expect(fs.existsSync(path.join(dir, "one"))).toBe(true);
    expect(fs.existsSync(path.join(dir, "never"))).toBe(false);
    expect(fs.existsSync(path.join(dir, "two"))).toBe(false); // its UNLESS said it is there
    expect(fs.existsSync(path.join(dir, "three"))).toBe(true);
    expect(r.stdout).toMatch(/proj\/dev: One: FAILED \(exit 1\): false/);
    expect(r.stdout).toMatch(/One: skipped \(an earlier step of it failed\)/);
    expect(r.stdout).toMatch(/Two: already there/);
    expect(r.stdout).toMatch(/done, with failures/);
  });

  it("restores nothing from a truncated or corrupted file, and refuses a newer version by name", () => {
    const f = stateFile("b.state", [["cccc", { phase: 10, label: "X", steps: [{ argv: mark("x") }] }]]);
    fs.writeFileSync(f, fs.readFileSync(f, "utf8").replace("touch", "touch "));
    const r = run(f);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/truncated or corrupted .*restoring nothing/);
    expect(fs.existsSync(path.join(dir, "x"))).toBe(false);
    const v = run(stateFile("c.state", [["dddd", { phase: 10, label: "Y", steps: [{ argv: mark("y") }] }]], 2));
    expect(v.stdout).toMatch(/format version 2 is not 1.*refused/);
    expect(fs.existsSync(path.join(dir, "y"))).toBe(false);
    const ok = run(stateFile("d.state", [["eeee", { phase: 10, label: "Z", steps: [{ argv: mark("z") }] }]]));
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/pulumi-ovs-restore: done$/m);
  });
});
