import * as fs from "node:fs";

/** The machine's CPU ticks so far (all cores; USER_HZ, 100 a second on Linux): busy and total, from /proc/stat. */
export function machineCpu(): { busy: number; total: number } {
  const f = fs.readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - f[3] - (f[4] ?? 0), total };
}
