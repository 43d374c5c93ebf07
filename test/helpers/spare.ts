import * as path from "node:path";
import { REPO_ROOT } from "./lab";

/** What a command printed and its exit code. */
export interface Ran {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** `scripts/lab/lab.sh ARGS...` (never throws: the exit code is part of the answer). */
export async function lab(...args: string[]): Promise<Ran> {
  const { execa } = await import("execa");
  const r = await execa("bash", [path.join(REPO_ROOT, "scripts/lab/lab.sh"), ...args], { reject: false });
  return { stdout: String(r.stdout), stderr: String(r.stderr), exitCode: r.exitCode ?? -1 };
}

/** Poll `probe` every 0.5 s until it says yes, for at most `seconds`. */
export async function eventually(probe: () => Promise<boolean>, seconds = 15): Promise<boolean> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    if (await probe()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * Packets on a spare lab host (lab.sh spare-up): commands run as root inside it, ICMP from a namespace (or
 * docker:NAME), and a TCP message between two of its namespaces.
 */
export function spareHost(name: string) {
  const on = (...argv: string[]) => lab("exec", name, "--", ...argv);
  return {
    on,
    async pings(from: string, to: string, count = 2): Promise<boolean> {
      const inside = from.startsWith("docker:") ? ["docker", "exec", from.slice(7)] : ["ip", "netns", "exec", from];
      return (await on(...inside, "ping", "-c", String(count), "-W", "1", "-i", "0.2", to)).exitCode === 0;
    },
    async tcpWorks(listenIn: string, from: string, to: string, port = 5001): Promise<boolean> {
      const token = `povs-${Math.random().toString(36).slice(2, 10)}`;
      const listener = on("ip", "netns", "exec", listenIn, "timeout", "6", "nc", "-l", "-p", String(port));
      await new Promise((r) => setTimeout(r, 400));
      await on("ip", "netns", "exec", from, "sh", "-c", `echo ${token} | timeout 4 nc -N -w 2 ${to} ${port}`);
      return (await listener).stdout.includes(token);
    },
  };
}
