import * as fs from "node:fs";
import * as path from "node:path";
import { parseConnection } from "../../provider/schema/connection";
import { closeAllHosts, hostFor, transportStats } from "../../provider/transport/pool";
import { HOSTILE } from "../helpers/hostile";
import { LAB_DIR, labConnection, labHost, labPassword, onHost } from "../helpers/lab";

jest.setTimeout(60_000);
afterAll(() => closeAllHosts());

/** sshd's per-connection processes for our login user on lab host #i ("sshd: povs@notty" and friends). */
async function userSessions(i: number): Promise<number[]> {
  const r = await onHost(i, ["pgrep", "-f", `^sshd: ${labHost(i).user}`], { reject: false });
  return r.stdout.split("\n").filter(Boolean).map(Number);
}

/** Established TCP connections to the host's sshd, counted on the host itself. */
async function sshdConnections(i: number): Promise<number> {
  const r = await onHost(i, ["ss", "-Htn", "state", "established", "( sport = :22 )"]);
  return r.stdout.split("\n").filter((l) => l.trim()).length;
}

describe("SSH transport against real sshd on the lab", () => {
  it("authenticates with a key and runs commands as root through sudo -n", async () => {
    const h = hostFor(parseConnection(labConnection(0)));
    expect((await h.run({ argv: ["id", "-un"] })).stdout.trim()).toBe("root");
    const show = await h.run({ argv: ["ovs-vsctl", "br-exists", labHost(0).underlayBridge] });
    expect(show.code).toBe(0);
  });

  it("authenticates with a password", async () => {
    const h = hostFor(parseConnection(labConnection(1, { privateKey: undefined, password: labPassword() })));
    expect((await h.run({ argv: ["whoami"] })).stdout.trim()).toBe("root");
  });

  it("refuses a wrong host key, naming expected and offered fingerprints", async () => {
    const wrong = labHost(1).hostKey; // host 2's key presented for host 1
    const h = hostFor(parseConnection(labConnection(0, { hostKey: wrong, dialErrorLimit: 1 })));
    await expect(h.run({ argv: ["true"] })).rejects.toThrow(/host key mismatch.*expected SHA256:.*offered ssh-ed25519 SHA256:/s);
  });

  it("refuses an unknown host when no key is pinned and none is known", async () => {
    const h = hostFor(parseConnection(labConnection(0, { hostKey: undefined, knownHostsPath: "/nonexistent", dialErrorLimit: 1 })));
    await expect(h.run({ argv: ["true"] })).rejects.toThrow(/not in \/nonexistent|no host key/);
  });

  it("passes hostile arguments to the remote command literally", async () => {
    const h = hostFor(parseConnection(labConnection(0)));
    for (const s of HOSTILE.filter((x) => x !== "")) {
      const r = await h.run({ argv: ["printf", "%s", s] });
      expect(r.stdout).toBe(s);
    }
  });

  it("runs 50 commands over exactly one TCP connection", async () => {
    closeAllHosts();
    const before = await sshdConnections(2);
    const opened = transportStats.connectionsOpened;
    const h = hostFor(parseConnection(labConnection(2)));
    await Promise.all(Array.from({ length: 50 }, (_, k) => h.run({ argv: ["echo", String(k)] })));
    expect(transportStats.connectionsOpened - opened).toBe(1);
    expect((await sshdConnections(2)) - before).toBe(1);
  });

  it("runs every round trip in one long-lived root shell per connection (no sudo per round trip)", async () => {
    closeAllHosts();
    const h = hostFor(parseConnection(labConnection(1)));
    // The command's parent is the round trip's subshell; that subshell's parent is the session's shell.
    const shellOf = async () => (await h.run({ argv: ["sh", "-c", "ps -o ppid= -p $PPID"] })).stdout.trim();
    const first = await shellOf();
    await h.runBatch([{ argv: ["true"] }, { argv: ["true"] }]);
    expect(await shellOf()).toBe(first);
    const ps = await onHost(1, ["ps", "-o", "user=,args=", "-p", first]);
    expect(ps.stdout.trim()).toMatch(/^root\s+sh -s$/);
  });

  it("times a command out, names it, and runs the next one in a new shell", async () => {
    closeAllHosts(); // a host allows the longest command timeout any connection to it asked for
    const h = hostFor(parseConnection(labConnection(1, { commandTimeout: 1 })));
    await expect(h.run({ argv: ["sleep", "3"] })).rejects.toThrow(/on povs@198\.18\.0\.12:22: command timed out after 1s: sleep 3/);
    expect((await h.run({ argv: ["echo", "next"] })).stdout).toBe("next\n");
  });

  it("reconnects after the connection's sshd process is killed", async () => {
    const h = hostFor(parseConnection(labConnection(2)));
    await h.run({ argv: ["true"] });
    const sessions = await userSessions(2);
    expect(sessions.length).toBeGreaterThan(0);
    await onHost(2, ["kill", "-9", ...sessions.map(String)]);
    const opened = transportStats.connectionsOpened;
    expect((await h.run({ argv: ["echo", "back"] })).stdout.trim()).toBe("back");
    expect(transportStats.connectionsOpened - opened).toBe(1);
  });

  it("never waits forever while every SSH process of the host is killed over and over (handshakes too)", async () => {
    // Killing sshd's children and grandchildren every ~30 ms lands in every phase: pre-auth, auth, the shell
    // starting, a script running. Each round trip must end: with its answer, or with an error naming the host.
    closeAllHosts();
    const h = hostFor(parseConnection(labConnection(2, { perDialTimeout: 5, commandTimeout: 20, dialErrorLimit: 3 })));
    const listener = fs.readFileSync(path.join(LAB_DIR, labHost(2).name, "ssh", "sshd.pid"), "utf8").trim();
    expect(listener).toMatch(/^\d+$/);
    const { execa } = await import("execa");
    const killLoop = 'end=$(($(date +%s) + 8)); n=0; while [ "$(date +%s)" -lt "$end" ]; do for p in $(pgrep -P "$1"); do ' +
      'n=$((n+1)); pkill -KILL -P "$p"; kill -KILL "$p"; done 2>/dev/null; sleep 0.03; done; echo "$n"';
    const killer = execa("sh", ["-c", killLoop, "sh", listener]);
    const outcome = { answered: 0, failed: 0, hung: 0 };
    const errors = new Set<string>();
    const deadline = Date.now() + 8000;
    for (let k = 0; Date.now() < deadline; k++) {
      let timer: NodeJS.Timeout | undefined;
      const hang = new Promise<"hung">((r) => (timer = setTimeout(() => r("hung"), 45_000)));
      const r = await Promise.race([h.run({ argv: ["echo", String(k)] }).then((x) => x.stdout === `${k}\n`, (e: Error) => e), hang]);
      clearTimeout(timer);
      if (r === "hung") outcome.hung++;
      else if (r === true) outcome.answered++;
      else if (r instanceof Error) {
        outcome.failed++;
        errors.add(r.message.replace(/\d+/g, "N"));
        expect(r.message).toMatch(/povs@198\.18\.0\.13:22/);
      }
      if (outcome.hung) break;
    }
    const killed = Number((await killer).stdout.trim());
    console.log(`kill loop: ${killed} sshd processes killed; round trips ${JSON.stringify(outcome)}; errors seen: ${[...errors].join(" | ")}`);
    expect(outcome.hung).toBe(0);
    expect(killed).toBeGreaterThan(10);
    expect((await h.run({ argv: ["echo", "after"] })).stdout).toBe("after\n");
  });

  it("reports the host, command, exit code and stderr of a failing command", async () => {
    const h = hostFor(parseConnection(labConnection(0)));
    await expect(h.run({ argv: ["ovs-vsctl", "br-to-vlan", "no-such-br"] })).rejects.toThrow(
      /on povs@198\.18\.0\.11:22: command failed \(exit code 1\): ovs-vsctl br-to-vlan no-such-br\n.*no bridge named no-such-br/s,
    );
  });

  it("runs a batch of commands in one round trip", async () => {
    const h = hostFor(parseConnection(labConnection(0)));
    const trips = transportStats.roundTrips;
    const res = await h.runBatch([{ argv: ["echo", "a"] }, { argv: ["sh", "-c", "exit 4"] }, { argv: ["cat"], stdin: "x\n" }]);
    expect(transportStats.roundTrips - trips).toBe(1);
    expect(res.map((r) => r?.code)).toEqual([0, 4, 0]);
    expect(res[2]?.stdout).toBe("x\n");
  });
});
