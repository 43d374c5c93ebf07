import * as path from "node:path";
import { REPO_ROOT } from "./lab";

/** What a command printed and its exit code. */
export interface Ran {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** A local command (never throws: the exit code is part of the answer); `timeout` in ms. */
export async function run(cmd: string, args: string[], opts: { input?: string; cwd?: string; timeout?: number } = {}): Promise<Ran> {
  const { execa } = await import("execa");
  const r = await execa(cmd, args, { reject: false, input: opts.input, cwd: opts.cwd, timeout: opts.timeout });
  return { stdout: String(r.stdout), stderr: String(r.stderr), exitCode: r.exitCode ?? -1 };
}

/** `scripts/lab/lab.sh ARGS...` (never throws: the exit code is part of the answer). */
export const lab = (...args: string[]): Promise<Ran> => run("bash", [path.join(REPO_ROOT, "scripts/lab/lab.sh"), ...args]);

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
