import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseConnection } from "../../provider/schema/connection";
import { brokerFor, brokerScript } from "../../provider/transport/broker-client";
import { brokerSocketPath } from "../../provider/transport/broker-protocol";
import { closeAllHosts, hostFor, transportStats } from "../../provider/transport/pool";
import { labConnection, labHost, localPids } from "../helpers/lab";
import { eventually } from "../helpers/packets";

/**
 * PULUMI_OVS_PERSIST against real sshd: a connection broker (transport/broker.ts, the compiled one in dist/) keeps
 * a host's SSH connection for the next provider process. closeAllHosts() is where a new provider process starts.
 */
jest.setTimeout(60_000);

const runtime = fs.mkdtempSync(path.join(os.tmpdir(), "povs-broker-test-"));
const socketDir = path.join(runtime, `pulumi-ovs-${process.getuid!()}`);
const saved = { persist: process.env.PULUMI_OVS_PERSIST, runtime: process.env.XDG_RUNTIME_DIR };

/** PIDs of the brokers this file started (their sockets are in its own runtime dir). */
const brokers = () => localPids(`broker.js ${socketDir}/`);

const sockets = () => (fs.existsSync(socketDir) ? fs.readdirSync(socketDir).filter((f) => f.endsWith(".sock")) : []);

beforeAll(() => {
  process.env.XDG_RUNTIME_DIR = runtime;
  process.env.PULUMI_OVS_PERSIST = "2";
});

afterAll(() => {
  closeAllHosts();
  for (const pid of brokers()) process.kill(pid, "SIGKILL");
  for (const [k, v] of [["PULUMI_OVS_PERSIST", saved.persist], ["XDG_RUNTIME_DIR", saved.runtime]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  fs.rmSync(runtime, { recursive: true, force: true });
});

describe("connection broker (PULUMI_OVS_PERSIST) against real sshd", () => {
  it("lets the next provider process use the connection the first one opened", async () => {
    closeAllHosts();
    const opened = transportStats.connectionsOpened;
    const conn = parseConnection(labConnection(0));
    expect((await hostFor(conn).run({ argv: ["id", "-un"] })).stdout.trim()).toBe("root");
    expect(transportStats.connectionsOpened - opened).toBe(1);
    const first = brokers();
    expect(first).toHaveLength(1);
    closeAllHosts();
    expect((await hostFor(conn).run({ argv: ["echo", "again"] })).stdout).toBe("again\n");
    expect(transportStats.connectionsOpened - opened).toBe(1); // no second dial
    expect(brokers()).toEqual(first);
    // Errors through the broker read as without it: host, command, exit code, stderr.
    await expect(hostFor(conn).run({ argv: ["sh", "-c", "echo nope >&2; exit 4"] })).rejects.toThrow(
      /on povs@198\.18\.0\.11:22: command failed \(exit code 4\): sh '-c' 'echo nope >&2; exit 4'\nnope/,
    );
  });

  it("keeps credentials out of the broker's command line and environment; its socket directory is 0700", async () => {
    const [pid] = brokers();
    const key = labConnection(0).privateKey!;
    const secretLine = key.split("\n").find((l) => l.length > 20 && !l.startsWith("-----"))!;
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
    const environ = fs.readFileSync(`/proc/${pid}/environ`, "utf8");
    for (const text of [cmdline, environ]) {
      expect(text).not.toContain(secretLine);
      expect(text).not.toContain("PRIVATE KEY");
    }
    expect(environ).not.toMatch(/PULUMI_CONFIG|PULUMI_ACCESS_TOKEN/);
    expect(fs.statSync(socketDir).mode & 0o777).toBe(0o700);
  });

  it("ends a broker nobody used for PULUMI_OVS_PERSIST seconds, and removes its socket", async () => {
    closeAllHosts();
    expect(brokers()).toHaveLength(1);
    expect(await eventually(async () => brokers().length === 0)).toBe(true); // the idle broker exited
    expect(sockets()).toEqual([]);
  });

  it("replaces a broker that was killed and left its socket behind", async () => {
    closeAllHosts();
    const conn = parseConnection(labConnection(1));
    await hostFor(conn).run({ argv: ["true"] });
    const [old] = brokers();
    closeAllHosts();
    process.kill(old, "SIGKILL");
    expect(await eventually(async () => !brokers().includes(old))).toBe(true);
    expect(sockets()).toHaveLength(1); // stale: nobody listens
    expect((await hostFor(conn).run({ argv: ["echo", "back"] })).stdout).toBe("back\n");
    const now = brokers();
    expect(now).toHaveLength(1);
    expect(now[0]).not.toBe(old);
  });

  it("times a command out through the broker and runs the next one", async () => {
    closeAllHosts();
    const h = hostFor(parseConnection(labConnection(1, { commandTimeout: 1 })));
    await expect(h.run({ argv: ["sleep", "3"] })).rejects.toThrow(/on povs@198\.18\.0\.12:22: command timed out after 1s: sleep 3/);
    expect((await h.run({ argv: ["echo", "ok"] })).stdout).toBe("ok\n");
  });

  it("says why a broker could not dial (a wrong host key), and leaves none behind for it", async () => {
    closeAllHosts();
    const before = brokers();
    const h = hostFor(parseConnection(labConnection(2, { hostKey: labHost(0).hostKey, dialErrorLimit: 1 })));
    await expect(h.run({ argv: ["true"] })).rejects.toThrow(/cannot connect to povs@198\.18\.0\.13:22: host key mismatch/);
    expect(await eventually(async () => brokers().length === before.length)).toBe(true); // the failed broker exited
  });

  it("ends with one broker when two provider processes start one at the same time", async () => {
    closeAllHosts();
    const conn = parseConnection(labConnection(2));
    const label = "povs@198.18.0.13:22";
    const socket = brokerSocketPath(socketDir, `race-${Date.now()}`, brokerScript());
    const [a, b] = await Promise.all([brokerFor(socket, conn, 2, label), brokerFor(socket, conn, 2, label)]);
    expect([a.started, b.started]).toEqual([true, true]); // neither found one: both started one
    const [ra, rb] = await Promise.all([a.client.run("echo a", 10_000), b.client.run("echo b", 10_000)]);
    expect([ra.code, rb.code]).toEqual([0, 0]);
    // The second to listen found the first's socket answering and left: one broker on that socket.
    expect(await eventually(async () => localPids(socket).length === 1)).toBe(true);
    a.client.close();
    b.client.close();
  });
});
