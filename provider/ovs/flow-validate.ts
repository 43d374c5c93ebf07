import { FLOW_FLAGS, FLOW_KEYS, VOLATILE } from "./flow-model";
import { bracketProblem, isCommaOrBlank, parseActions, parseMatch, splitTopLevel } from "./flow-parse";
import { matchText } from "./flow-format";
import { SHORTHANDS, canonicalField, fieldProblem } from "./flow-fields";
import { prerequisiteProblems } from "./flow-prerequisites";
import type { MatchField } from "./flow-model";

/**
 * Checks of a FlowEntry's `match` and `actions` text (schema/flow.ts), so that check() rejects what is not
 * OpenFlow syntax before anything reaches a host. Local grammar only; the host's ovs-ofctl has the last word.
 */

const SHELLISH = /[;&|`$<>\\'"!*?~#%{}]/g;

function charProblems(s: string, allowBlanks: boolean): string[] {
  const out: string[] = [];
  if (s.includes("\0")) out.push("must not contain NUL bytes");
  if (/[\r\n]/.test(s)) out.push("must be a single line (no newline)");
  else if (/[\x01-\x1f\x7f]/.test(s)) out.push("must not contain control characters (tabs included)");
  if (/[^\x00-\x7f]/.test(s)) out.push("must be plain ASCII");
  const bad = [...new Set((s.replace(/->/g, "").match(SHELLISH) ?? []))];
  if (bad.length) out.push(`must not contain ${bad.map((c) => `'${c}'`).join(" ")} (not part of OpenFlow syntax)`);
  if (!allowBlanks && / /.test(s)) out.push("must not contain blanks (separate actions with ',')");
  const b = bracketProblem(s);
  if (b) out.push(b);
  return out;
}

/** Fields FlowEntry sets itself, and statistics, must not hide inside `match`. */
const OWN_PROPERTY: Record<string, string> = {
  table: "use the table property",
  priority: "use the priority property",
  idle_timeout: "use the idleTimeout property",
  hard_timeout: "use the hardTimeout property",
  cookie: "pulumi-ovs sets the cookie (it marks the flow as this resource's)",
  actions: "put actions in the actions property",
  action: "put actions in the actions property",
};

const MATCH_TOKEN = /^[A-Za-z_][A-Za-z0-9_]*(=[A-Za-z0-9_.:/+\-()[\],]+)?$/;

/** Reasons `match` is not acceptable (empty: fine). */
export function matchProblems(s: string): string[] {
  const chars = charProblems(s, true);
  if (chars.length) return chars;
  if (s.length > 4096) return ["must be at most 4096 characters"];
  const out: string[] = [];
  const seen = new Set<string>();
  let protocols = 0;
  const fields: { canonical: MatchField; written: string }[] = [];
  for (const t of splitTopLevel(s, isCommaOrBlank).filter((x) => x !== "")) {
    const key = t.split("=")[0];
    if (!MATCH_TOKEN.test(t)) out.push(`"${t}" is not a field or field=value`);
    else if (Object.hasOwn(OWN_PROPERTY, key)) out.push(`must not set ${key}: ${OWN_PROPERTY[key]}`);
    else if (FLOW_FLAGS.has(key) || FLOW_KEYS.has(key) || VOLATILE.has(key)) out.push(`must not set ${key}: it is not a match field`);
    else {
      const f = parseMatch(t)[0];
      const problem = fieldProblem(f);
      if (problem) out.push(problem);
      else {
        // ovs-ofctl keeps only the last of a repeated field (and of two protocols), silently.
        const c = canonicalField(f);
        if (SHORTHANDS.has(c.key) && ++protocols > 1) out.push(`"${t}": a second protocol (OVS would keep only the last); write one of ip, tcp, arp, ...`);
        else if (seen.has(c.key)) out.push(`"${t}": ${c.key} is set twice (OVS would keep only the last)`);
        seen.add(c.key);
        fields.push({ canonical: c, written: f.key });
      }
    }
  }
  if (!out.length) out.push(...prerequisiteProblems(fields.map((f) => f.canonical), fields.map((f) => f.written)));
  // ovs-ofctl ends the match at the first "action" it meets, even inside a field name (`ip,action_x=1` is
  // installed as `ip`, and the strict delete of the declared text then fails for ever).
  if (/action/i.test(s) && !out.some((p) => /actions property/.test(p))) out.push('must not contain "action" anywhere (ovs-ofctl would end the match there): put actions in the actions property');
  return out;
}

/** `name`, a port number, `name:argument` or `name(arguments)` with an optional `->field` (check_pkt_larger). */
const ACTION_TOKEN = /^(?:[A-Za-z_][A-Za-z0-9_]*|\d+)(?:[:(][A-Za-z0-9_.:/+\-=>[\](),]*)?$/;

/** Reasons `actions` is not acceptable. */
export function actionsProblems(s: string): string[] {
  if (s.trim() === "") return ['must not be empty: write "drop" to drop packets'];
  const chars = charProblems(s, false);
  if (chars.length) return chars;
  if (s.length > 16384) return ["must be at most 16384 characters"];
  if (/^actions?=/.test(s)) return ['write only the actions, without "actions="'];
  const out: string[] = [];
  const list = parseActions(s);
  if (list.some((a) => a === "")) out.push("has an empty action (a stray ',')");
  for (const a of list.filter((x) => x !== "")) if (!ACTION_TOKEN.test(a)) out.push(`"${a}" is not an action (name, name:argument or name(arguments))`);
  if (list.length > 1 && list.includes("drop")) out.push('"drop" must be the only action');
  return out;
}

/**
 * The spelling FlowEntry keeps in its inputs and writes: single commas, OVS's names for aliased fields
 * (tcp_dst -> tp_dst, eth_src -> dl_src, a /32 prefix dropped), as dump-flows prints them.
 */
export function normalizeMatchInput(s: string): string {
  // The order stays as written (OVS prints the protocol first): existing state keeps its spelling.
  return matchText(parseMatch(s).map(canonicalField));
}
