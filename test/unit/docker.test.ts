import * as fs from "node:fs";
import * as path from "node:path";
import { canonicalCapability, inspectArgv, isNoSuchContainer, parseInspect, runArgv } from "../../provider/docker/docker";
import { containerSchema } from "../../provider/schema/container";

/** docker argv builders and the `docker container inspect` parser, against output captured from the lab's docker. */
const fx = (f: string) => fs.readFileSync(path.join(__dirname, "../fixtures/docker", f), "utf8");

test("run: options before `--`, then the image and command, so neither can be read as a flag", () => {
  expect(
    runArgv({ name: "web", image: "-x", command: ["--rm", "sleep"], env: { A: "1" }, labels: { owner: "s" }, restartPolicy: "always", networkMode: "none", capAdd: ["NET_ADMIN"], privileged: true, hostname: "h" }),
  ).toEqual(["docker", "run", "--detach", "--name", "web", "--network", "none", "--label", "owner=s", "--env", "A=1", "--restart", "always", "--cap-add", "NET_ADMIN", "--privileged", "--hostname", "h", "--", "-x", "--rm", "sleep"]);
  expect(runArgv({ name: "c", image: "i", labels: {}, networkMode: "none" })).toEqual(["docker", "run", "--detach", "--name", "c", "--network", "none", "--", "i"]);
});

test("inspect: argv ends docker's options before the name", () => {
  expect(inspectArgv("-c")).toEqual(["docker", "container", "inspect", "--", "-c"]);
});

test("inspect: a running container as docker reports it (restart policy with a count, env values holding '=')", () => {
  const c = parseInspect(fx("inspect-running.json"))!;
  expect(c).toMatchObject({
    name: "povs-fixture-inspect",
    image: "pulumi-ovs/busybox:latest",
    command: ["sleep", "30"],
    env: { A: "1", B: "x=y" },
    restartPolicy: "on-failure:3",
    networkMode: "none",
    capAdd: ["CAP_NET_ADMIN"], // docker reports `--cap-add NET_ADMIN` with its CAP_ prefix
    privileged: false,
    hostname: "fx",
    running: true,
  });
  expect(c.labels["pulumi-ovs.lab"]).toBe("fixture");
  expect(c.pid).toBeGreaterThan(0);
  expect(c.id).toMatch(/^[0-9a-f]{64}$/);
});

test("inspect: empty output or an empty list is no container", () => {
  expect(parseInspect("")).toBeUndefined();
  expect(parseInspect("[]\n")).toBeUndefined();
});

test("no such container is told apart from a daemon that does not answer", () => {
  expect(isNoSuchContainer(fx("inspect-missing.stderr"))).toBe(true);
  expect(isNoSuchContainer("Error: No such object: x")).toBe(true);
  expect(isNoSuchContainer("Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?")).toBe(false);
});

test("capabilities are kept in docker's own form, so what check stores is what inspect reads back", () => {
  expect(["NET_ADMIN", "CAP_NET_ADMIN", "ALL"].map(canonicalCapability)).toEqual(["CAP_NET_ADMIN", "CAP_NET_ADMIN", "ALL"]);
  const parsed = containerSchema.safeParse({ connection: {}, owner: "p/s/DockerContainer/c", name: "c", image: "i", capAdd: ["SYS_ADMIN", "NET_ADMIN", "CAP_NET_ADMIN"] });
  expect(parsed.success && parsed.data.capAdd).toEqual(["CAP_NET_ADMIN", "CAP_SYS_ADMIN"]);
  // The fixture's container was run with `--cap-add NET_ADMIN`.
  expect(parseInspect(fx("inspect-running.json"))!.capAdd).toEqual(["CAP_NET_ADMIN"]);
});
