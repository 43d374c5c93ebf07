import { onHost } from "./lab";

/**
 * Real packets between namespaces the tests made on lab hosts. Every address is in 198.18.0.0/15 and every
 * probe is bounded in count and time.
 */

/** Command argv run inside a namespace of lab host #i (or in a docker container with `docker:NAME`). */
function inside(where: string, argv: string[]): string[] {
  if (where.startsWith("docker:")) return ["docker", "exec", where.slice(7), ...argv];
  return ["ip", "netns", "exec", where, ...argv];
}

/** true when `from` (a namespace on host #i) gets ICMP echo replies from `to`. */
export async function pings(i: number, from: string, to: string, count = 2): Promise<boolean> {
  const r = await onHost(i, inside(from, ["ping", "-c", String(count), "-W", "1", "-i", "0.2", to]), { reject: false });
  return r.exitCode === 0;
}

/**
 * true when a TCP connection from `from` (host #i) to `to:port`, listened on by `listenIn` (host #j), carries
 * a message. Uses busybox/netcat nc with timeouts; the listener is started first and always bounded. Starting it
 * can take longer than its head start (`docker exec` under load): while the connection is refused, the sender
 * tries again for up to 3 s (a connection that is dropped, as in the negative checks, is not retried sooner).
 */
export async function tcpWorks(opts: { listenHost: number; listenIn: string; from: number; fromIn: string; to: string; port?: number }): Promise<boolean> {
  const port = String(opts.port ?? 5001);
  const token = `povs-${Math.random().toString(36).slice(2, 10)}`;
  // busybox nc (containers) and netcat-openbsd (hosts) both understand `nc -l -p PORT` with a timeout wrapper.
  const listener = onHost(opts.listenHost, inside(opts.listenIn, ["timeout", "8", "nc", "-l", "-p", port]), { reject: false });
  await new Promise((r) => setTimeout(r, 400));
  // netcat-openbsd (hosts) needs -N to close after stdin's end; busybox nc (containers) has no -N.
  const nc = `timeout 4 nc ${opts.fromIn.startsWith("docker:") ? "" : "-N "}-w 2 ${opts.to} ${port}`;
  const retry = `end=$(( $(date +%s) + 3 )); while :; do echo ${token} | ${nc} && exit 0; [ "$(date +%s)" -ge "$end" ] && exit 1; sleep 0.2 2>/dev/null || sleep 1; done`;
  await onHost(opts.from, inside(opts.fromIn, ["sh", "-c", retry]), { reject: false });
  const got = await listener;
  return got.stdout.includes(token);
}

/**
 * Retry a positive probe until it succeeds or `seconds` pass (ARP/MAC learning settle after a repair), asking
 * every `everyMs`.
 */
export async function eventually(probe: () => Promise<boolean>, seconds = 10, everyMs = 500): Promise<boolean> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    if (await probe()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
