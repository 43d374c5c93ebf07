import type { CommandResult, MergeRule, RemoteCommand } from "../transport/command";
import { isIfName } from "../shared/names";

/**
 * How OVS commands from different resources combine into one command when they meet in one round trip
 * (transport/coalesce-plan.ts does the grouping). Pure.
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
    const bodies = members.map((m) => vsctlArgvOf(m).slice(VSCTL_PREFIX.length));
    // --no-wait is global: the merged transaction may skip the wait only if every member may.
    const argv: string[] = [...VSCTL_PREFIX, ...(bodies.every((b) => b[0] === NO_WAIT) ? [NO_WAIT] : [])];
    bodies.forEach((b, i) => {
      if (i > 0) argv.push("--");
      argv.push(...(b[0] === NO_WAIT ? b.slice(1) : b));
    });
    const taps = members.flatMap((m) => (m.merge?.payload as VsctlPayload | undefined)?.releaseTaps ?? []);
    return { argv: releasingTapsIfWorthIt(taps, argv) };
  },
  split(merged, members) {
    return merged.code === 0 ? members.map(() => ok()) : undefined;
  },
};

/**
 * ovs-vsctl's global option to commit without waiting for ovs-vswitchd to apply the change (vsctl.ts
 * `noWait`); always right after VSCTL_PREFIX in the argv we build.
 */
export const NO_WAIT = "--no-wait";

/** Whether argv was made by ovs-vsctl() (vsctl.ts), whose writes may share one transaction. */
export function isVsctlWrite(argv: readonly string[]): boolean {
  return argv[0] === VSCTL_PREFIX[0] && argv[1] === VSCTL_PREFIX[1];
}

/** A write made by ovs-vsctl() that may share a transaction with other resources' writes. */
export function vsctlWrite(argv: string[]): RemoteCommand {
  if (!isVsctlWrite(argv)) throw new Error(`not an ovs-vsctl write: ${argv.join(" ")}`);
  return { argv, merge: { rule: vsctlRule, key: "" } };
}

/** What a vsctl write carries beyond its argv when it releases tap devices first. */
interface VsctlPayload {
  vsctl: string[];
  releaseTaps: Tap[];
}

/** A tap device as OVS has it open: its name and kernel ifindex (both must match on the host). */
export interface Tap {
  name: string;
  ifindex: number;
}

/** The ovs-vsctl argv of a vsctl write (without the tap release around it). */
export function vsctlArgvOf(m: RemoteCommand): string[] {
  return (m.merge?.payload as VsctlPayload | undefined)?.vsctl ?? m.argv;
}

/**
 * An ovs-vsctl write that removes ports whose devices are taps (internal ports of a netdev bridge: the
 * userspace datapath backs each with a tap that ovs-vswitchd holds open). Left to ovs-vswitchd, each tap goes
 * on its own as it closes the file, and the kernel waits out an RCU grace period per device, one after another.
 * Deleted first in ONE netlink request (`ip link del group`), they wait out one grace period together
 * (figures: docs/benchmarks.md, "Figures behind code choices"); ovs-vswitchd then finds
 * them gone and only drops its rows. Only tun devices with both the name and the ifindex OVS reported are
 * touched (a device of that name that is not the one OVS holds is left alone), and nothing if the group
 * number is in use; if anything about it fails, the ovs-vsctl write still removes the ports the slow way.
 *
 * That one grace period is paid inside the round trip, so a round trip with fewer than TAP_RELEASE_MIN taps
 * leaves them to ovs-vswitchd, which a `--no-wait` removal does not wait for.
 */
export function vsctlWriteReleasingTaps(argv: string[], taps: Tap[]): RemoteCommand {
  const cmd = vsctlWrite(argv);
  if (taps.length === 0) return cmd;
  tapArgs(taps); // validated now, not only when a merge releases them
  return { argv: releasingTapsIfWorthIt(taps, argv), merge: { ...cmd.merge!, payload: { vsctl: argv, releaseTaps: taps } satisfies VsctlPayload } };
}

/**
 * Taps a round trip must remove before it releases them itself: below this, ovs-vswitchd's own removal of each
 * tap costs less than the grace period the release adds to the round trip; above it, far more
 * (docs/benchmarks.md, "Figures behind code choices").
 */
export const TAP_RELEASE_MIN = 3;

/** argv, after releasing the taps first when there are at least TAP_RELEASE_MIN of them (alone or merged alike). */
function releasingTapsIfWorthIt(taps: readonly Tap[], argv: string[]): string[] {
  return taps.length >= TAP_RELEASE_MIN ? releasingTaps(taps, argv) : argv;
}

/**
 * The fixed script: $1 a device group number, then taps as NAME:IFINDEX (validated interface names), `--`, the
 * command to run afterwards. The names never enter the script text: they are arguments.
 */
const RELEASE_TAPS = [
  'g=$1; shift; names=""',
  'while [ $# -gt 0 ] && [ "$1" != -- ]; do names="$names $1"; shift; done; shift',
  'if [ -z "$(ip -o link show group "$g" 2>/dev/null)" ]; then',
  '  ours=$(ip -o link show type tun 2>/dev/null | awk -v want="$names" \'BEGIN { n = split(want, a, " "); for (i = 1; i <= n; i++) w[a[i]] = 1 } { i = $1; sub(/:$/, "", i); d = $2; sub(/:$/, "", d); if ((d ":" i) in w) print d }\')',
  '  if [ -n "$ours" ]; then',
  '    for d in $ours; do echo "link set dev $d group $g"; done | ip -force -batch - >/dev/null 2>&1',
  '    [ "$(ip -o link show group "$g" 2>/dev/null | wc -l)" -eq "$(echo "$ours" | wc -l)" ] && ip link del group "$g" >/dev/null 2>&1',
  "  fi",
  "fi",
  'exec "$@"',
].join("\n");

/** The script's NAME:IFINDEX arguments, validated, deduplicated and in order. */
function tapArgs(taps: readonly Tap[]): string[] {
  for (const t of taps) if (!isIfName(t.name) || !Number.isInteger(t.ifindex) || t.ifindex <= 0) throw new Error(`not a tap: ${JSON.stringify(t)}`);
  return [...new Set(taps.map((t) => `${t.name}:${t.ifindex}`))].sort();
}

function releasingTaps(taps: readonly Tap[], then: readonly string[]): string[] {
  const args = tapArgs(taps);
  return ["sh", "-c", RELEASE_TAPS, "povs-release-taps", String(groupOf(args)), ...args, "--", ...then];
}

/** The device group the release of these taps uses: from the taps (pure, so a merge is too), far from 0 (the default). */
export function tapReleaseGroup(taps: readonly Tap[]): number {
  return groupOf(tapArgs(taps));
}

function groupOf(args: readonly string[]): number {
  let h = 2166136261;
  for (const c of args.join(" ")) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  return 0x10000000 + (h % 0x60000000);
}

const FLOW_TABLE_WRITES = new Set(["add-flow", "add-flows", "mod-flows", "del-flows", "replace-flows"]);

/** An ovs-ofctl command that changes a flow table and nothing else. */
export function isFlowTableWrite(argv: readonly string[]): boolean {
  return argv[0] === "ovs-ofctl" && argv.some((a) => FLOW_TABLE_WRITES.has(a));
}

/**
 * An ovs-vsctl write whose every command adds, removes or changes ports and interfaces (add-port, del-port,
 * set/clear/add/remove on Port or Interface, removing a port from a bridge's `ports`): a transaction that
 * cannot change a flow table.
 */
export function isPortOnlyVsctl(argv: readonly string[]): boolean {
  if (!isVsctlWrite(argv)) return false;
  const commands: string[][] = [[]];
  for (const a of argv.slice(VSCTL_PREFIX.length)) a === "--" ? commands.push([]) : commands[commands.length - 1].push(a);
  return commands.every((c) => {
    const [name, table, , column] = c.filter((a) => !a.startsWith("--"));
    if (name === "add-port" || name === "del-port") return true;
    if (name === "remove" && table === "Bridge") return column === "ports";
    return ["set", "clear", "add", "remove"].includes(name) && (table === "Port" || table === "Interface");
  });
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
