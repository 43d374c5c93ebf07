import type { CommandResult, MergeRule, RemoteCommand } from "../transport/command";

/**
 * How OVS commands from different resources combine into one command when they meet in one round trip
 * (transport/coalesce.ts does the grouping). Pure.
 */

const ok = (stdout = ""): CommandResult => ({ code: 0, stdout, stderr: "" });

/** The global part of every ovs-vsctl write we build (vsctl.ts): what merged transactions keep once. */
export const VSCTL_PREFIX = ["ovs-vsctl", "--timeout=30"] as const;

/**
 * ovs-vsctl writes: one transaction, the members' commands chained with `--`. OVSDB applies a transaction
 * entirely or not at all, so a failed one changed nothing and its members are retried alone. Writes print
 * nothing, so members get empty output (stderr warnings such as "Error detected while setting up" belong to
 * no member in particular and are dropped: the Interface row's error column says the same per port).
 */
export const vsctlRule: MergeRule = {
  name: "ovs-vsctl",
  merge(members) {
    const argv: string[] = [...VSCTL_PREFIX];
    members.forEach((m, i) => {
      if (i > 0) argv.push("--");
      argv.push(...m.argv.slice(VSCTL_PREFIX.length));
    });
    return { argv };
  },
  split(merged, members) {
    return merged.code === 0 ? members.map(() => ok()) : undefined;
  },
};

/** Whether argv was made by ovs-vsctl() (vsctl.ts), whose writes may share one transaction. */
export function isVsctlWrite(argv: readonly string[]): boolean {
  return argv[0] === VSCTL_PREFIX[0] && argv[1] === VSCTL_PREFIX[1];
}

/** A write made by ovs-vsctl() that may share a transaction with other resources' writes. */
export function vsctlWrite(argv: string[]): RemoteCommand {
  if (!isVsctlWrite(argv)) throw new Error(`not an ovs-vsctl write: ${argv.join(" ")}`);
  return { argv, merge: { rule: vsctlRule, key: "" } };
}

/** One line of an `ovs-ofctl add-flows BR -` file: `add ...` or `delete_strict ...`. */
export interface FlowLinePayload {
  line: string;
  /** argv of the merged command (same for every member with this key). */
  argv: string[];
  bridge: string;
  versions: string;
}

/**
 * Flow changes on one bridge: one `add-flows` file (with --bundle when the bridge speaks OpenFlow 1.4+, one
 * atomic transaction on the switch), each member one line. A failed file is retried line by line.
 */
export const flowFileRule: MergeRule = {
  name: "ovs-ofctl-flows",
  merge(members) {
    const first = members[0].merge!.payload as FlowLinePayload;
    return { argv: first.argv, stdin: members.map((m) => `${(m.merge!.payload as FlowLinePayload).line}\n`).join("") };
  },
  split(merged, members) {
    return merged.code === 0 ? members.map(() => ok()) : undefined;
  },
};

/**
 * `parse-flow` of many flows as one `parse-flows -`: ovs-ofctl prints one `OFPT_FLOW_MOD ... ADD ...` line per
 * flow, in order. Anything unexpected (a failure, a warning on stderr that would belong to one flow, a line
 * count that does not match) and the members run alone, so each gets exactly what parse-flow says about it.
 */
export const parseFlowsRule: MergeRule = {
  name: "ovs-ofctl-parse-flows",
  merge(members) {
    const first = members[0].merge!.payload as { argv: string[] };
    return { argv: first.argv, stdin: members.map((m) => `${(m.merge!.payload as { flow: string }).flow}\n`).join(""), read: true };
  },
  split(merged, members) {
    if (merged.code !== 0 || merged.stderr.trim() !== "") return undefined;
    const lines = merged.stdout.split("\n");
    const header = lines.filter((l) => /^(usable|chosen) protocols?:/.test(l));
    const mods = lines.filter((l) => /^OFPT_FLOW_MOD\b.*: ADD\b/.test(l));
    if (mods.length !== members.length) return undefined;
    return mods.map((l) => ok([...header, l, ""].join("\n")));
  },
};
