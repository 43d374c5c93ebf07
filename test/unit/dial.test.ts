import * as net from "node:net";
import { parseConnection } from "../../provider/schema/connection";
import { authOrder, closeAllHosts, hostFor } from "../../provider/transport/pool";

/**
 * A connection cut before the SSH handshake is done (sshd's pre-auth process killed, a middlebox reset) makes
 * ssh2 emit 'close' without 'error' and clear its own handshake timer: a dial that only listened for 'error'
 * waited forever, and every later round trip to that host queued behind it (a CI run hung for an hour on it).
 */
async function server(onSocket: (s: net.Socket) => void): Promise<{ port: number; accepted: () => number; close: () => void }> {
  let accepted = 0;
  const sockets: net.Socket[] = [];
  const srv = net.createServer((s) => {
    accepted++;
    sockets.push(s);
    s.on("error", () => undefined);
    onSocket(s);
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
  return {
    port: (srv.address() as net.AddressInfo).port,
    accepted: () => accepted,
    close: () => {
      sockets.forEach((s) => s.destroy());
      srv.close();
    },
  };
}

const conn = (port: number, perDialTimeout = 30) =>
  parseConnection({ host: "127.0.0.1", port, user: "nobody", password: "not-a-secret", dangerouslySkipHostKeyVerification: true, dialErrorLimit: 2, perDialTimeout });

describe("dialing a host whose connection is cut during the handshake", () => {
  afterEach(() => closeAllHosts());

  it.each([
    ["closes at once", (s: net.Socket) => s.end()],
    ["sends its banner, then closes", (s: net.Socket) => s.end("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n")],
    ["sends its banner, then resets", (s: net.Socket) => s.write("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n", () => setTimeout(() => s.resetAndDestroy(), 20))],
  ])("fails with a clear error when the server %s (tried again, never waits forever)", async (_what, behave) => {
    const srv = await server(behave);
    try {
      const t0 = Date.now();
      await expect(hostFor(conn(srv.port)).run({ argv: ["true"] })).rejects.toThrow(/nobody@127\.0\.0\.1:\d+.*(connection lost|ECONNRESET)/i);
      expect(srv.accepted()).toBe(2); // dialErrorLimit: a cut connection is worth another try
      expect(Date.now() - t0).toBeLessThan(10_000);
    } finally {
      srv.close();
    }
  });

  it("gives up after perDialTimeout when the server says nothing at all", async () => {
    const srv = await server(() => undefined);
    try {
      const t0 = Date.now();
      await expect(hostFor(conn(srv.port, 1)).run({ argv: ["true"] })).rejects.toThrow(/nobody@127\.0\.0\.1:\d+.*(timed out|handshake)/i);
      expect(Date.now() - t0).toBeLessThan(10_000);
    } finally {
      srv.close();
    }
  });
});

test("authentication tries a key, then the agent, then the password, and never asks for 'none' first", () => {
  expect(authOrder({ privateKey: "k", agentSocketPath: "/a", password: "p" })).toEqual(["publickey", "agent", "password"]);
  expect(authOrder({ password: "p" })).toEqual(["password"]);
  expect(authOrder({ privateKey: "k" })).toEqual(["publickey"]);
  // Nothing to offer: ssh2's own default ("none"), so the server's refusal names what it wants.
  expect(authOrder({})).toBeUndefined();
});
