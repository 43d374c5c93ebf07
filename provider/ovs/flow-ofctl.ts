import type { RemoteCommand } from "../transport/command";
import { type FlowLinePayload, flowFileRule, parseFlowsRule } from "./merge";
import { cookieHex } from "./flow-format";

/**
 * The ovs-ofctl command lines FlowEntry runs: which OpenFlow versions to speak, dump-flows, parse-flow, and
 * adds/deletes through a flow file that merges with other flow changes on the same bridge (ovs/merge.ts).
 * Building them is pure; running them is the transport's job.
 */

export const OPENFLOW_VERSIONS = ["OpenFlow10", "OpenFlow11", "OpenFlow12", "OpenFlow13", "OpenFlow14", "OpenFlow15"] as const;

/**
 * The `-O` list for a bridge: the versions its `protocols` column allows (all of them when empty). ovs-ofctl
 * negotiates the highest one, which can express every action (OpenFlow 1.0 cannot express push_vlan or
 * goto_table), and dump-flows then prints flows in that version's syntax. Reads and writes use the same list,
 * so the printed form of a flow stays stable while the bridge's protocols do.
 */
export function ofVersions(bridgeProtocols: readonly string[]): string {
  const known = OPENFLOW_VERSIONS.filter((v) => bridgeProtocols.includes(v));
  return (known.length ? known : OPENFLOW_VERSIONS).join(",");
}

/** --bundle (one transaction on the switch) needs OpenFlow 1.4 or later. */
export function supportsBundle(versions: string): boolean {
  return /OpenFlow1[45]/.test(versions);
}

function ofctl(versions: string, ...args: string[]): string[] {
  return ["ovs-ofctl", "--timeout=30", "-O", versions, ...args];
}

/**
 * ovs-ofctl that changes a bridge's flows. --no-names: otherwise ovs-ofctl first fetches every port's
 * description to map names, which dominates the command's cost on a bridge with many ports; the flows we
 * send name ports by number only (validation rejects names).
 */
function ofctlWrite(versions: string, ...args: string[]): string[] {
  return ofctl(versions, "--no-names", ...args);
}

/** Every flow of a bridge, port numbers not names (names depend on the terminal otherwise). */
export function dumpFlowsArgv(bridge: string, versions: string): string[] {
  return ofctl(versions, "--no-names", "dump-flows", bridge);
}

/** Parse a flow on the host without touching any switch: validation by the OVS that will run it. */
export function parseFlowArgv(versions: string, flow: string): string[] {
  return ofctl(versions, "parse-flow", flow);
}

/** parse-flow as a command that merges with other flows' into one `parse-flows -` (ovs/merge.ts). */
export function parseFlowCommand(versions: string, flow: string): RemoteCommand {
  return { argv: parseFlowArgv(versions, flow), read: true, merge: { rule: parseFlowsRule, key: versions, payload: { flow, argv: ofctl(versions, "parse-flows", "-") } } };
}

/** The flow file command for a bridge: --bundle (atomic on the switch) where the versions allow it. */
function flowFileArgv(bridge: string, versions: string): string[] {
  return ofctlWrite(versions, ...(supportsBundle(versions) ? ["--bundle"] : []), "add-flows", bridge, "-");
}

function flowFileHint(bridge: string, versions: string, line: string): RemoteCommand["merge"] {
  const payload: FlowLinePayload = { line, argv: flowFileArgv(bridge, versions), bridge, versions };
  return { rule: flowFileRule, key: `${bridge}\0${versions}`, payload };
}

/** Add (or overwrite: an OpenFlow ADD replaces a flow with the same table, priority and match) one flow read from stdin. */
export function addFlowCommand(bridge: string, versions: string, flow: string): { argv: string[]; stdin: string } {
  return { argv: flowFileArgv(bridge, versions), stdin: `${flow}\n` };
}

/**
 * One flow added on its own with every OpenFlow version offered (the restore script's form: it runs without
 * knowing the bridge's protocols; ovs-ofctl negotiates the highest the bridge allows, as ofVersions() does).
 */
export function addFlowArgv(bridge: string, flow: string): string[] {
  return ofctlWrite(OPENFLOW_VERSIONS.join(","), "add-flow", bridge, flow);
}

/** addFlowCommand whose line joins the file of other flow changes on the bridge in the same round trip. */
export function addFlowMergeable(bridge: string, versions: string, flow: string): RemoteCommand {
  return { ...addFlowCommand(bridge, versions, flow), merge: flowFileHint(bridge, versions, flow) };
}

/** The del-flows spec of exactly one flow; the `/-1` mask makes the cookie part of the match. */
function strictSpec(cookie: bigint, table: number, priority: number, match: string): string {
  return [`cookie=${cookieHex(cookie)}/-1`, `table=${table}`, `priority=${priority}`, ...(match ? [match] : [])].join(",");
}

/** Delete exactly one flow: this table, priority and match, and only if it carries this cookie. */
export function delFlowStrictArgv(bridge: string, versions: string, cookie: bigint, table: number, priority: number, match: string): string[] {
  return ofctlWrite(versions, "--strict", "del-flows", bridge, strictSpec(cookie, table, priority, match));
}

/** delFlowStrictArgv as a command that, beside other flow changes on the bridge, becomes a `delete_strict` line of their file. */
export function delFlowStrictCommand(bridge: string, versions: string, cookie: bigint, table: number, priority: number, match: string): RemoteCommand {
  const spec = strictSpec(cookie, table, priority, match);
  return { argv: ofctlWrite(versions, "--strict", "del-flows", bridge, spec), merge: flowFileHint(bridge, versions, `delete_strict ${spec}`) };
}
