import { spawn } from "node:child_process";
import * as net from "node:net";

/**
 * `npm run bench -- --rtt MS`: a TCP relay on loopback per lab host that holds every chunk MS/2 ms in each
 * direction, so SSH to the lab behaves as over a link with that round-trip time (this kernel has no netem). Chunks
 * keep their order: timers of equal delay fire in the order they were set. Each relay is a process of its own,
 * so the benchmark's busy event loop (the program runs in it) does not stretch the delay.
 */
export interface Relay {
  port: number;
  close(): void;
}

function relay(targetHost: string, targetPort: number, rttMs: number): net.Server {
  const oneWay = rttMs / 2;
  const pipe = (from: net.Socket, to: net.Socket) => {
    from.on("data", (d: Buffer) => void setTimeout(() => to.destroyed || to.write(d), oneWay));
    from.on("end", () => void setTimeout(() => to.end(), oneWay));
    from.on("error", () => to.destroy());
    from.on("close", () => void setTimeout(() => to.destroy(), oneWay));
  };
  return net.createServer((client) => {
    const upstream = net.connect(targetPort, targetHost);
    for (const s of [client, upstream]) s.setNoDelay(true);
    pipe(client, upstream);
    pipe(upstream, client);
  });
}

/** Starts a relay process to host:port and resolves with the loopback port it listens on. */
export function startRelay(target: { host: string; port: number }, rttMs: number): Promise<Relay> {
  const child = spawn(process.execPath, [__filename, target.host, String(target.port), String(rttMs)], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`relay to ${target.host}:${target.port} exited (${code})`)));
    child.stdout!.once("data", (d: Buffer) => resolve({ port: Number(d.toString().trim()), close: () => child.kill() }));
  });
}

if (require.main === module) {
  const [host, port, rtt] = process.argv.slice(2);
  const server = relay(host, Number(port), Number(rtt));
  server.listen(0, "127.0.0.1", () => process.stdout.write(`${(server.address() as net.AddressInfo).port}\n`));
}
