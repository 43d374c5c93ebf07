import { DEFAULT_PRIORITY, type Flow, type MatchField } from "./flow-model";

/**
 * Flows back to text: the canonical dump-flows form a refresh compares, the add-flow form FlowEntry writes,
 * and the table/priority/match key that identifies a flow in OpenFlow. Everything here is pure.
 */

export function matchText(fields: readonly MatchField[]): string {
  return fields.map((f) => (f.value === undefined ? f.key : `${f.key}=${f.value}`)).join(",");
}

export function actionsText(actions: readonly string[]): string {
  return actions.join(",");
}

export function cookieHex(c: bigint): string {
  return `0x${c.toString(16)}`;
}

const orDefault = (p: number) => (p === DEFAULT_PRIORITY ? [] : [`priority=${p}`]);

/** The match as OVS prints it: priority first (omitted when default), then the fields. */
export function matchWithPriority(flow: Pick<Flow, "priority" | "match">): string {
  return [...orDefault(flow.priority), matchText(flow.match)].filter((x) => x !== "").join(",");
}

/**
 * Canonical text in dump-flows layout without the volatile statistics: what a refresh compares, and what the
 * round-trip tests check against captured output.
 */
export function formatDumpFlow(f: Flow): string {
  const meta = [`cookie=${cookieHex(f.cookie)}`, `table=${f.table}`];
  if (f.idleTimeout) meta.push(`idle_timeout=${f.idleTimeout}`);
  if (f.hardTimeout) meta.push(`hard_timeout=${f.hardTimeout}`);
  // OVS prints flags as bare words followed by a blank, then importance, then the match.
  let text = meta.map((m) => `${m}, `).join("") + f.flags.map((x) => `${x} `).join("");
  if (f.importance) text += `importance=${f.importance}, `;
  const match = matchWithPriority(f);
  return `${text}${match ? `${match} ` : ""}actions=${actionsText(f.actions)}`;
}

/** add-flow syntax, every field explicit: what FlowEntry writes. */
export function formatFlow(f: Flow): string {
  const parts = [`cookie=${cookieHex(f.cookie)}`, `table=${f.table}`, `priority=${f.priority}`];
  if (f.idleTimeout) parts.push(`idle_timeout=${f.idleTimeout}`);
  if (f.hardTimeout) parts.push(`hard_timeout=${f.hardTimeout}`);
  if (f.importance) parts.push(`importance=${f.importance}`);
  parts.push(...f.flags);
  const match = matchText(f.match);
  if (match) parts.push(match);
  return `${parts.join(",")},actions=${actionsText(f.actions)}`;
}

/** A flow's identity in OpenFlow: table, priority and match (in OVS's printed form). */
export function flowKey(table: number, priority: number, match: string): string {
  return `${table}/${priority}/${match}`;
}

/** Keys of dumped flows (frozen, so a key cannot go stale): every resource looks its flow up in the same dump. */
const keys = new WeakMap<Flow, string>();

export function keyOf(f: Flow): string {
  let k = keys.get(f);
  if (k === undefined) {
    k = flowKey(f.table, f.priority, matchText(f.match));
    if (Object.isFrozen(f)) keys.set(f, k);
  }
  return k;
}
