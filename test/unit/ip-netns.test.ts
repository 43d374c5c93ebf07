import * as fs from "node:fs";
import * as path from "node:path";
import {
  clearLoopbackAliasArgv,
  dockerPidArgv,
  linkNetnsCmds,
  linkedPid,
  linkedTo,
  loopbackArgv,
  netnsAddArgv,
  netnsDelArgv,
  netnsProbeCmds,
  parseDockerPid,
  parseNetnsProbe,
  unlinkNetnsArgv,
} from "../../provider/ip/netns";
import { isNoSuchContainer } from "../../provider/docker/docker";
import type { CommandResult } from "../../provider/transport/command";

const fx = (f: string) => fs.readFileSync(path.join(__dirname, "..", "fixtures", "ip", f), "utf8");
const okR = (stdout: string): CommandResult => ({ stdout, stderr: "", code: 0 });
const fail = (stderr: string, code = 1): CommandResult => ({ stdout: "", stderr, code });

describe("namespace argv builders", () => {
  it("builds exact argv", () => {
    expect(netnsAddArgv("blue")).toEqual(["ip", "netns", "add", "blue"]);
    expect(netnsDelArgv("blue")).toEqual(["ip", "netns", "del", "blue"]);
    expect(loopbackArgv("blue", "pulumi-ovs-owner=p/s/NetNamespace/b")).toEqual(["ip", "-n", "blue", "link", "set", "dev", "lo", "up", "alias", "pulumi-ovs-owner=p/s/NetNamespace/b"]);
    expect(clearLoopbackAliasArgv("blue")).toEqual(["ip", "-n", "blue", "link", "set", "dev", "lo", "alias", ""]);
    expect(dockerPidArgv("web-1")).toEqual(["docker", "inspect", "--type", "container", "--format", "{{.State.Pid}} {{.Id}}", "--", "web-1"]);
    expect(linkNetnsCmds("web", 4242)).toEqual([{ argv: ["mkdir", "-p", "/run/netns"] }, { argv: ["ln", "-sfn", "/proc/4242/ns/net", "/run/netns/web"] }]);
    expect(unlinkNetnsArgv("web")).toEqual(["rm", "-f", "--", "/run/netns/web"]);
  });

  it("probes with readlink last, so a healthy plain namespace fails nothing before it", () => {
    expect(netnsProbeCmds("blue").map((c) => c.argv)).toEqual([
      ["stat", "-L", "-c", "%i", "--", "/run/netns/blue"],
      ["ip", "-n", "blue", "-j", "link", "show", "dev", "lo"],
      ["readlink", "--", "/run/netns/blue"],
    ]);
    expect(netnsProbeCmds("web", "c1")[0].argv).toEqual(dockerPidArgv("c1"));
  });
});

describe("namespace parsers (captured output)", () => {
  it("reads docker inspect", () => {
    expect(parseDockerPid(fx("docker-inspect-running.txt"))).toEqual({ pid: expect.any(Number), id: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(parseDockerPid(fx("docker-inspect-running.txt")).pid).toBeGreaterThan(0);
    expect(parseDockerPid(fx("docker-inspect-stopped.txt")).pid).toBe(0);
    expect(() => parseDockerPid("<no value> x")).toThrow(/unexpected docker inspect output/);
    expect(isNoSuchContainer(fx("err-docker-no-container.txt"))).toBe(true);
    expect(isNoSuchContainer("Cannot connect to the Docker daemon at unix:///var/run/docker.sock")).toBe(false);
  });

  it("reads link targets", () => {
    expect(linkedPid("/proc/15808/ns/net")).toBe(15808);
    expect(linkedPid("/proc/self/ns/net")).toBeUndefined();
    expect(linkedPid("/var/run/docker/netns/abc")).toBeUndefined();
    expect(linkedPid(undefined)).toBeUndefined();
  });

  it("a marked plain namespace", () => {
    const live = parseNetnsProbe([okR("4026532253\n"), okR(fx("link-lo-marked.json")), fail("")], false);
    expect(live).toMatchObject({ exists: true, inode: 4026532253 });
    expect(live.linkTarget).toBeUndefined();
    expect(live.lo?.ifalias).toBe("pulumi-ovs-owner=labtest/netns/a");
    expect(live.lo?.flags).toContain("UP");
  });

  it("a fresh namespace has lo down and no marker", () => {
    const live = parseNetnsProbe([okR("1\n"), okR(fx("link-lo-fresh.json")), fail("")], false);
    expect(live.lo?.ifalias).toBeUndefined();
    expect(live.lo?.flags).not.toContain("UP");
  });

  it("absent", () => {
    const live = parseNetnsProbe([fail("stat: cannot statx '/run/netns/x': No such file or directory"), fail(fx("err-netns-missing.txt"), 255), fail("")], false);
    expect(live).toEqual({ exists: false });
  });

  it("a dangling container link (the container restarted)", () => {
    const results = [okR("0 " + "a".repeat(64) + "\n"), fail("stat: cannot statx"), fail(fx("err-netns-dangling.txt"), 255), okR("/proc/15808/ns/net\n")];
    const live = parseNetnsProbe(results, true);
    expect(live).toEqual({ exists: true, linkTarget: "/proc/15808/ns/net", linkedPid: 15808, container: { pid: 0, id: "a".repeat(64) } });
    expect(linkedTo(live, 15808)).toBe(true);
    expect(linkedTo(live, 16000)).toBe(false);
  });

  it("a container that does not exist is an answer; docker failing is an error", () => {
    const rest = [fail(""), fail(""), fail("")];
    expect(parseNetnsProbe([fail(fx("err-docker-no-container.txt")), ...rest], true).container).toBeNull();
    expect(() => parseNetnsProbe([fail("Cannot connect to the Docker daemon"), ...rest], true)).toThrow(/docker inspect failed \(exit code 1\): Cannot connect/);
    expect(() => parseNetnsProbe([fail("sh: docker: not found", 127), ...rest], true)).toThrow(/docker inspect failed/);
    expect(() => parseNetnsProbe([fail(""), fail("sh: ip: not found", 127), fail("")], false)).toThrow(/required tool missing/);
  });
});
