import { flowSchema, type FlowInputs } from "../schema/flow";
import type { Flow } from "../ovs/flow-model";
import { droppedMatchFields, parseActions, parseDumpFlows, parseMatch, parsedFlowMatch } from "../ovs/flow-parse";
import { actionsText, cookieHex, flowKey, formatFlow, keyOf, matchText } from "../ovs/flow-format";
import { cookieFor } from "../ovs/flow-cookies";
import { addFlowArgv, addFlowMergeable, delFlowStrictCommand, dumpFlowsArgv, ofVersions, parseFlowCommand } from "../ovs/flow-ofctl";
import { PHASE } from "../host/restore-file";
import type { BridgeRow } from "../ovs/ovsdb";
import { liveFlows as sharedFlows, mutate, ovsState } from "../host/facts";
import type { SshHost } from "../transport/pool";
import { RemoteCommandError } from "../transport/errors";
import { shellJoin } from "../transport/quote";
import { assertOwnable, compact, containsUnknown, kindModule, readResult } from "./framework";

/**
 * FlowEntry: one OpenFlow flow on a bridge, marked with a cookie derived from its owner. This module's exports
 * are the dynamic provider.
 *
 * OVS prints a flow differently from how it was written (`dl_type=0x0800` -> `ip`, `load:` -> `set_field:`),
 * so FlowEntry lets OVS normalize: after writing, it reads the flow back and keeps the printed match and
 * actions as outputs; a refresh compares the live printed form with those, never with the user's text.
 */

const KIND = "FlowEntry";

/**
 * Table, priority and match are the flow's identity in OpenFlow: changing one makes another flow. The old and
 * the new flow carry the same cookie (same owner), and two differently spelled matches can be the same flow to
 * OVS (`dl_type=0x0800` and `ip`), so a match-only change deletes first: creating first could overwrite the
 * old flow in place, and deleting the old one would then remove the new one. A new bridge, table or priority
 * is provably another flow: create first, then delete the old one (strictly, by its own table/priority/match).
 */
const rules = { replaceKeys: ["bridge", "table", "priority", "match"], identityKeys: ["bridge", "table", "priority"] };

export interface FlowOutputs extends FlowInputs {
  /** The cookie on the live flow ("0x..."); normally cookieFor(owner). */
  cookie: string;
  /** The match as dump-flows prints it (without priority). */
  normalizedMatch: string;
  /** The actions as dump-flows prints them. */
  normalizedActions: string;
}

/** A short description for errors: the flow's identity. */
export function flowLabel(i: { bridge: string; table: number; priority: number; match: string }): string {
  return `${i.bridge} table=${i.table},priority=${i.priority}${i.match ? `,${i.match}` : ""}`;
}

/** The add-flow text FlowEntry writes for `want`. */
export function flowText(want: FlowInputs): string {
  const flow: Flow = {
    cookie: cookieFor(want.owner),
    table: want.table,
    priority: want.priority,
    match: parseMatch(want.match),
    actions: parseActions(want.actions),
    idleTimeout: want.idleTimeout || undefined,
    hardTimeout: want.hardTimeout || undefined,
    flags: [],
  };
  return formatFlow(flow);
}

/** A flow that OVS on the host refused, naming the property at fault. */
export class FlowRejectedError extends Error {
  constructor(readonly property: string, value: string, argv: string[], detail: string) {
    super(`${property} ${JSON.stringify(value)} is not accepted by ovs-ofctl on the host: ${detail.trim()}\n(command: ${shellJoin(argv)})`);
    this.name = "FlowRejectedError";
  }
}

/** ovs-ofctl's complaint, with a hint where the cause is not obvious. */
export function explain(output: string | undefined, versions: string): string {
  const detail = (output || "no output").trim();
  // parse-flow has no switch to ask for port names; numbers are also what dump-flows prints.
  if (/invalid or unknown port/.test(detail)) return `${detail} (use OpenFlow port numbers, e.g. an OvsPort's ofport output, not port names)`;
  if (/no usable protocol/.test(detail)) return `${detail} (the bridge allows ${versions})`;
  return detail;
}

/**
 * Let the host's own ovs-ofctl parse the flow before anything changes (`parse-flow` touches no switch): the
 * match alone first, so a failure names the right property, then the whole flow with the bridge's OpenFlow
 * versions. Returns the match as OVS prints it, for the ownership check.
 */
export async function validateOnHost(host: SshHost, versions: string, want: FlowInputs): Promise<string> {
  const identity = `table=${want.table},priority=${want.priority}${want.match ? `,${want.match}` : ""},actions=drop`;
  // Independent reads: they merge with other FlowEntries' into one `parse-flows` per host and round trip.
  const cmds = [parseFlowCommand(versions, identity), parseFlowCommand(versions, flowText(want))];
  const [m, all] = await host.runBatch(cmds);
  if (!m || m.code !== 0) {
    throw new FlowRejectedError("match", want.match, cmds[0].argv, explain(m?.stderr || m?.stdout, versions));
  }
  const dropped = droppedMatchFields(m.stderr);
  if (dropped) {
    throw new FlowRejectedError(
      "match",
      want.match,
      cmds[0].argv,
      `OVS would drop fields whose prerequisites are missing (${dropped.pre} became ${dropped.post || "match-all"}); add the protocol, e.g. "ip", "tcp" or "arp"`,
    );
  }
  if (!all || all.code !== 0) {
    // The match passed alone, so what fails now is about the actions (or versions the bridge cannot carry them in).
    throw new FlowRejectedError("actions", want.actions, cmds[1].argv, explain(all?.stderr || all?.stdout, versions));
  }
  const fields = parsedFlowMatch(m.stdout);
  if (!fields) throw new Error(`unexpected ovs-ofctl parse-flow output: ${m.stdout.trim()}`);
  return matchText(fields);
}

/** Every flow on a bridge, one dump-flows per host and bridge however many FlowEntries read at once. */
export function liveFlows(host: SshHost, bridge: string, versions: string): Promise<Flow[]> {
  return sharedFlows(host, bridge, versions);
}

async function bridgeRow(host: SshHost, name: string): Promise<BridgeRow | undefined> {
  return (await ovsState(host)).bridges.get(name);
}

async function bridgeOrThrow(host: SshHost, name: string): Promise<BridgeRow> {
  const row = await bridgeRow(host, name);
  if (!row) throw new Error(`bridge ${name} does not exist on the host`);
  return row;
}

/**
 * Find the flow a FlowEntry stands for among the live flows: ours (cookie) at the expected identity first;
 * then any flow at that identity (it was re-added by hand under another cookie: still the flow the program
 * declares, with drifted content); then any flow with our cookie (its match was changed by hand).
 */
export function findFlow(flows: readonly Flow[], cookie: bigint, table: number, priority: number, match: string | undefined): Flow | undefined {
  const key = match === undefined ? undefined : flowKey(table, priority, match);
  const atKey = key === undefined ? [] : flows.filter((f) => keyOf(f) === key);
  return atKey.find((f) => f.cookie === cookie) ?? atKey[0] ?? flows.find((f) => f.cookie === cookie);
}

function outputs(inputs: FlowInputs, flow: Flow): FlowOutputs {
  return compact({ ...inputs, cookie: cookieHex(flow.cookie), normalizedMatch: matchText(flow.match), normalizedActions: actionsText(flow.actions) });
}

/**
 * What the host has, in input form: the declared text where the live flow still prints as it did after our
 * last write, the live printed text where it does not (so a refresh shows the drifted field).
 */
export function liveInputs(declared: FlowInputs, stored: { normalizedMatch?: unknown; normalizedActions?: unknown }, flow: Flow): FlowInputs {
  const liveMatch = matchText(flow.match);
  const liveActions = actionsText(flow.actions);
  const timeout = (declaredValue: number | undefined, live: number | undefined) => (declaredValue === undefined && !live ? undefined : live ?? 0);
  return {
    ...declared,
    table: flow.table,
    priority: flow.priority,
    match: stored.normalizedMatch === undefined || stored.normalizedMatch === liveMatch ? declared.match : liveMatch,
    actions: stored.normalizedActions === undefined || stored.normalizedActions === liveActions ? declared.actions : liveActions,
    idleTimeout: timeout(declared.idleTimeout, flow.idleTimeout),
    hardTimeout: timeout(declared.hardTimeout, flow.hardTimeout),
  };
}

/** Write the flow (an ADD overwrites the flow with the same table/priority/match atomically) and read it back. */
async function writeFlow(host: SshHost, versions: string, want: FlowInputs, match: string): Promise<Flow> {
  await mutate(host, addFlowMergeable(want.bridge, versions, flowText(want)));
  const cookie = cookieFor(want.owner);
  const flows = await liveFlows(host, want.bridge, versions);
  const flow = flows.find((f) => f.cookie === cookie && keyOf(f) === flowKey(want.table, want.priority, match)) ??
    // parse-flow and dump-flows print matches alike; should they ever differ, our cookie at this table and priority is ours.
    flows.find((f) => f.cookie === cookie && f.table === want.table && f.priority === want.priority);
  if (!flow) throw new Error(`flow is missing right after it was written (cookie ${cookieHex(cookie)})`);
  return flow;
}

const p = kindModule({
  kind: KIND,
  schema: flowSchema,
  rules,
  // After a reboot (or an ovs-vswitchd restart) the flow table is empty: add the flow again (an ADD overwrites).
  restore: (want) => ({ phase: PHASE.flow, steps: [{ argv: addFlowArgv(want.bridge, flowText(want)) }] }),
  label: flowLabel,
  diff(d, olds, news) {
    // A refresh found our flow under another cookie (re-added by hand): update, which writes our cookie again.
    const owner = olds.owner;
    if (!d.changes && typeof owner === "string" && !containsUnknown(news.owner) && typeof olds.cookie === "string" && olds.cookie !== cookieHex(cookieFor(owner))) {
      return { changes: true, replaces: [], deleteBeforeReplace: false };
    }
    return d;
  },
  async create({ host, conn, want }) {
    const versions = ofVersions((await bridgeOrThrow(host, want.bridge)).protocols);
    const match = await validateOnHost(host, versions, want);
    const cookie = cookieFor(want.owner);
    const existing = (await liveFlows(host, want.bridge, versions)).find((f) => keyOf(f) === flowKey(want.table, want.priority, match));
    // An ADD would silently take over a flow someone else wrote at the same table/priority/match.
    if (existing) assertOwnable(KIND, flowLabel(want), existing.cookie === cookie ? want.owner : undefined, want.owner, want.adopt);
    const flow = await writeFlow(host, versions, want, match);
    return { id: `${conn.host}/${want.bridge}/table=${want.table},priority=${want.priority},cookie=${cookieHex(cookie)}`, outs: outputs(want, flow) };
  },
  async read({ host, id, props, declared }) {
    // Both reads leave together (one round trip, not two): ovs-ofctl offered every OpenFlow version settles on
    // the highest the bridge allows, the version its own protocol list would give, so the dump need not wait
    // for the bridge row.
    const dump = liveFlows(host, declared.bridge, ofVersions([])).then(
      (flows) => ({ flows }),
      (error: unknown) => ({ error }),
    );
    const bridge = await bridgeRow(host, declared.bridge);
    if (!bridge) return {}; // the bridge is gone, and its flows with it
    const got = await dump;
    if ("error" in got) {
      const e = got.error;
      // Deleted between the two reads. Anything else (unreachable host, ovs-vswitchd down) must not look like "gone".
      if (e instanceof RemoteCommandError && /is not a bridge or a socket/.test(e.stderr)) return {};
      throw e;
    }
    const flows: Flow[] = got.flows;
    const stored = props as { normalizedMatch?: unknown; normalizedActions?: unknown };
    const flow = findFlow(flows, cookieFor(declared.owner), declared.table, declared.priority, typeof stored.normalizedMatch === "string" ? stored.normalizedMatch : undefined);
    if (!flow) return {};
    const inputs = compact(liveInputs(declared, stored, flow));
    return readResult(id, outputs(inputs, flow), inputs, declared);
  },
  async update({ host, want }) {
    const versions = ofVersions((await bridgeOrThrow(host, want.bridge)).protocols);
    const match = await validateOnHost(host, versions, want);
    // Same table/priority/match (anything else is a replacement): the ADD swaps actions and timeouts in one
    // step, restores a flow deleted by hand, and puts our cookie back on one re-added by hand.
    return { outs: outputs(want, await writeFlow(host, versions, want, match)) };
  },
  async delete({ host, old, props }) {
    const bridge = await bridgeRow(host, old.bridge);
    if (!bridge) return; // gone with its bridge
    // Strict, and only with our cookie: never another owner's flow, nor the flow of our own replacement. The
    // match is the one dump-flows printed back: a match accepted by an earlier, laxer check may read otherwise
    // on the host (`ip,action_x=1` was installed as `ip`), and only the printed text finds the flow.
    const stored = (props as { normalizedMatch?: unknown }).normalizedMatch;
    const match = typeof stored === "string" ? stored : old.match;
    try {
      await mutate(host, delFlowStrictCommand(old.bridge, ofVersions(bridge.protocols), cookieFor(old.owner), old.table, old.priority, match), { readBack: false });
    } catch (e) {
      // The bridge went away after the snapshot we looked at (flow writes keep it; the failed write made the
      // host's sections be read afresh): gone with its bridge too.
      if (e instanceof RemoteCommandError && /is not a bridge or a socket/.test(e.stderr) && !(await bridgeRow(host, old.bridge))) return;
      throw e;
    }
  },
});
// The dynamic provider: what the engine calls.
export const { check, diff, create, read, update } = p;
const remove = p.delete;
export { remove as delete };
