import { plan } from "../../provider/transport/coalesce";
import { MERGED_ARGV_BYTES_MAX, argvBytes } from "../../provider/transport/merge-chunks";
import { vsctlWrite } from "../../provider/ovs/merge";

/** A port write carrying a large external_ids value, as a resource with a full map would. */
const bigWrite = (i: number) =>
  vsctlWrite(["ovs-vsctl", "--timeout=30", "set", "Port", `p${i}`, `external_ids:big="${"x".repeat(40_000)}"`]);

describe("merged ovs-vsctl transactions stay under ARG_MAX", () => {
  it("cuts a merge group into chunks whose arguments fit in half of ARG_MAX", () => {
    const subs = Array.from({ length: 100 }, (_, i) => ({ cmds: [bigWrite(i)], stopOnError: false }));
    const { waves } = plan(subs);
    const sizes = waves[0].map((j) => argvBytes(j.cmd.argv));
    expect(waves[0].length).toBeGreaterThan(1);
    for (const s of sizes) expect(s).toBeLessThanOrEqual(MERGED_ARGV_BYTES_MAX);
    // Every member's port is in exactly one merged command.
    const ports = waves[0].flatMap((j) => j.cmd.argv.filter((a) => /^p\d+$/.test(a)));
    expect(ports.sort()).toEqual(subs.map((_, i) => `p${i}`).sort());
  });

  it("keeps small writes in one transaction", () => {
    const subs = Array.from({ length: 300 }, (_, i) => ({ cmds: [vsctlWrite(["ovs-vsctl", "--timeout=30", "set", "Port", `p${i}`, "tag=5"])], stopOnError: false }));
    expect(plan(subs).waves[0]).toHaveLength(1);
  });
});
