import * as fs from "node:fs";

/** The machine's CPU ticks so far (all cores; USER_HZ, 100 a second on Linux): busy and total, from /proc/stat. */
export function machineCpu(): { busy: number; total: number } {
  const f = fs.readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - f[3] - (f[4] ?? 0), total };
}

/** utime+stime+cutime+cstime (ticks) and parent of every live process, from /proc. */
function processTable(): Map<number, { ppid: number; ticks: number }> {
  const table = new Map<number, { ppid: number; ticks: number }>();
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, "utf8");
      // Fields after the command name (which may hold spaces): ppid is the 4th field, utime..cstime the 14th-17th.
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ").map(Number);
      table.set(Number(name), { ppid: f[1], ticks: f[11] + f[12] + f[13] + f[14] });
    } catch {
      /* gone meanwhile */
    }
  }
  return table;
}

/**
 * CPU seconds the lab's simulated hosts have used so far: each host's ovsdb-server, ovs-vswitchd and sshd
 * listener, with the children they reaped (every ovs-vsctl, ip and shell a round trip started; the per-connection
 * sshd is the listener's child, and its children are reaped up the chain once a connection closes), plus every
 * live process under the sshd listener: a connection that outlives the phase (PULUMI_OVS_PERSIST) keeps its
 * shell's reaped commands out of the listener's count until it closes. On a real deployment this work happens on
 * the hosts, not beside the engine.
 */
export function labCpu(hostDirs: readonly string[]): number {
  const table = processTable();
  const children = new Map<number, number[]>();
  for (const [pid, p] of table) children.set(p.ppid, [...(children.get(p.ppid) ?? []), pid]);
  const subtree = (pid: number): number => (table.get(pid)?.ticks ?? 0) + (children.get(pid) ?? []).reduce((n, c) => n + subtree(c), 0);
  let ticks = 0;
  for (const dir of hostDirs) {
    for (const pidFile of ["run/ovsdb-server.pid", "run/ovs-vswitchd.pid", "ssh/sshd.pid"]) {
      try {
        const pid = Number(fs.readFileSync(`${dir}/${pidFile}`, "utf8").trim());
        ticks += pidFile === "ssh/sshd.pid" ? subtree(pid) : (table.get(pid)?.ticks ?? 0);
      } catch {
        /* a host without that process (not up): nothing to count */
      }
    }
  }
  return ticks / 100;
}
