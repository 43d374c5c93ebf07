import * as fs from "node:fs";

/** The machine's CPU ticks so far (all cores; USER_HZ, 100 a second on Linux): busy and total, from /proc/stat. */
export function machineCpu(): { busy: number; total: number } {
  const f = fs.readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - f[3] - (f[4] ?? 0), total };
}

/**
 * CPU seconds the lab's simulated hosts have used so far: each host's ovsdb-server, ovs-vswitchd and sshd
 * listener, with the children they reaped (every ovs-vsctl, ip and shell a round trip started; the per-connection
 * sshd is the listener's child, and its children are reaped up the chain once a connection closes). On a real
 * deployment this work happens on the hosts, not beside the engine.
 */
export function labCpu(hostDirs: readonly string[]): number {
  let ticks = 0;
  for (const dir of hostDirs) {
    for (const pidFile of ["run/ovsdb-server.pid", "run/ovs-vswitchd.pid", "ssh/sshd.pid"]) {
      try {
        const pid = fs.readFileSync(`${dir}/${pidFile}`, "utf8").trim();
        // Fields after the command name (which may hold spaces): utime is the 14th field, cstime the 17th.
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ").map(Number);
        ticks += f[11] + f[12] + f[13] + f[14];
      } catch {
        /* a host without that process (not up): nothing to count */
      }
    }
  }
  return ticks / 100;
}
