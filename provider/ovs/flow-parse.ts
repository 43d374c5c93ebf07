import { DEFAULT_PRIORITY, FLOW_FLAGS, FLOW_KEYS, VOLATILE, type Flow, type MatchField } from "./flow-model";

/**
 * Reading OVS's flow text into the typed model: `ovs-ofctl dump-flows` output, add-flow syntax, and the
 * output of `ovs-ofctl parse-flow`. Everything here is pure.
 *
 * Text is split at `actions=`; the part before it is a list of `key[=value]` tokens separated by commas or
 * blanks, the part after it a list of actions separated by commas. Both are scanned with bracket depth, so
 * `learn(table=20,...,output:NXM_OF_IN_PORT[])`, `resubmit(,1)` and `packet_type=(1,0x800)` stay whole.
 */

const OPEN: Record<string, string> = { "(": ")", "[": "]", "{": "}" };
const CLOSE = new Set(Object.values(OPEN));

/** Where brackets do not balance, in words; undefined when they do. */
export function bracketProblem(s: string): string | undefined {
  const stack: string[] = [];
  for (const ch of s) {
    if (ch in OPEN) stack.push(OPEN[ch]);
    else if (CLOSE.has(ch)) {
      const want = stack.pop();
      if (want === undefined) return `has a '${ch}' without a matching opening bracket`;
      if (want !== ch) return `has '${ch}' where '${want}' was expected`;
    }
  }
  return stack.length ? `has an unclosed bracket (missing '${stack[stack.length - 1]}')` : undefined;
}

/**
 * Split at separator characters that are not inside (), [] or {}. Empty pieces are kept (callers decide
 * whether `a,,b` is an error); throws on unbalanced brackets.
 */
export function splitTopLevel(s: string, isSep: (ch: string) => boolean): string[] {
  const problem = bracketProblem(s);
  if (problem) throw new Error(`"${s}" ${problem}`);
  const out: string[] = [];
  let depth = 0;
  let cur = "";
  for (const ch of s) {
    if (ch in OPEN) depth++;
    else if (CLOSE.has(ch)) depth--;
    if (depth === 0 && isSep(ch)) {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

/** Match tokens are separated by commas and/or blanks, as ovs-ofctl accepts. */
export const isCommaOrBlank = (ch: string) => ch === "," || ch === " ";

/** `a=1, b c` -> [{a,1},{b},{c}]. */
export function parseMatch(text: string): MatchField[] {
  return splitTopLevel(text, isCommaOrBlank)
    .filter((t) => t !== "")
    .map((t) => {
      const eq = t.indexOf("=");
      return eq < 0 ? { key: t } : { key: t.slice(0, eq), value: t.slice(eq + 1) };
    });
}

/** Actions split at top-level commas: `learn(a,b),output:1` -> ["learn(a,b)", "output:1"]. */
export function parseActions(text: string): string[] {
  const t = text.trim();
  if (t === "") return [];
  return splitTopLevel(t, (ch) => ch === ",");
}

/** The first `action=`/`actions=` keyword outside brackets (OVS accepts both spellings). */
function actionsStart(line: string): { at: number; len: number } | undefined {
  let depth = 0;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch in OPEN) depth++;
    else if (CLOSE.has(ch)) depth--;
    if (depth !== 0 || (i > 0 && !isCommaOrBlank(line[i - 1]))) continue;
    const m = /^actions?=/.exec(line.slice(i));
    if (m) return { at: i, len: m[0].length };
  }
  return undefined;
}

function intValue(key: string, v: string | undefined): number {
  if (v === undefined || !/^\d+$/.test(v)) throw new Error(`${key} must be a number, got ${JSON.stringify(v)}`);
  return Number(v);
}

/**
 * Parse one flow: a dump-flows line (` cookie=0x0, duration=1.2s, table=0, ..., priority=600,tcp,... actions=drop`)
 * or add-flow syntax (`table=0,priority=600,tcp actions=drop`). Volatile statistics are skipped. A cookie
 * with a mask (`cookie=0x1/-1`, filter syntax) keeps only the value.
 */
export function parseFlow(line: string): Flow {
  const text = line.trim();
  const start = actionsStart(text);
  if (!start) throw new Error(`flow has no actions: ${JSON.stringify(text)}`);
  const head = text.slice(0, start.at);
  const flow: Flow = { cookie: 0n, table: 0, priority: DEFAULT_PRIORITY, match: [], actions: parseActions(text.slice(start.at + start.len)), flags: [] };
  for (const f of parseMatch(head)) {
    if (VOLATILE.has(f.key)) continue;
    if (FLOW_FLAGS.has(f.key) && f.value === undefined) flow.flags.push(f.key);
    else if (f.key === "cookie") flow.cookie = parseCookie(f.value ?? "");
    else if (f.key === "table") flow.table = intValue("table", f.value);
    else if (f.key === "priority") flow.priority = intValue("priority", f.value);
    else if (f.key === "idle_timeout") flow.idleTimeout = intValue("idle_timeout", f.value) || undefined;
    else if (f.key === "hard_timeout") flow.hardTimeout = intValue("hard_timeout", f.value) || undefined;
    else if (f.key === "importance") flow.importance = intValue("importance", f.value) || undefined;
    else if (FLOW_KEYS.has(f.key)) continue; // out_port/out_group: filters, not part of a flow
    else flow.match.push(f);
  }
  return flow;
}

/** `0x1f` or `0x1f/-1` or `31` -> 31n. */
export function parseCookie(v: string): bigint {
  const value = v.split("/")[0];
  if (!/^(0x[0-9a-fA-F]{1,16}|\d{1,20})$/.test(value)) throw new Error(`bad cookie ${JSON.stringify(v)}`);
  return BigInt(value);
}

/** Every flow of a dump-flows reply; header lines (`NXST_FLOW reply (xid=0x4):`, `OFPST_FLOW reply (OF1.3) ...`) are skipped. */
export function parseDumpFlows(text: string): Flow[] {
  return text
    .split("\n")
    .filter((l) => l.trim() !== "" && !/^\S*ST_FLOW reply\b/.test(l.trim()) && /\bactions?=/.test(l))
    .map(parseDumpedFlow);
}

/**
 * Each write reads its bridge's flows back, so the same flow text (statistics aside) is dumped many times in
 * one deployment: it is parsed once and the frozen result shared after that.
 */
const parsedFlows = new Map<string, Flow>();
const PARSED_FLOWS_MAX = 100_000;
const STATISTICS = / (?:duration|n_packets|n_bytes|idle_age|hard_age)=[^ ,]*,/g;

function parseDumpedFlow(line: string): Flow {
  const at = line.indexOf(" actions=");
  if (at < 0) return parseFlow(line);
  const key = line.slice(0, at).replace(STATISTICS, "") + line.slice(at);
  let flow = parsedFlows.get(key);
  if (!flow) {
    flow = freezeFlow(parseFlow(line));
    if (parsedFlows.size >= PARSED_FLOWS_MAX) parsedFlows.clear();
    parsedFlows.set(key, flow);
  }
  return flow;
}

function freezeFlow(f: Flow): Flow {
  for (const x of [...f.match, ...f.actions]) Object.freeze(x);
  Object.freeze(f.match);
  Object.freeze(f.actions);
  Object.freeze(f.flags);
  return Object.freeze(f);
}

/**
 * The match OVS made of a flow, from `ovs-ofctl parse-flow` output (`... ADD table:3 priority=11,ip,dl_src=...
 * cookie:0x5 idle:10 actions=drop`), without the priority. Undefined if the output has no ADD line.
 */
export function parsedFlowMatch(stdout: string): MatchField[] | undefined {
  const line = stdout.split("\n").find((l) => /: ADD /.test(l) || /: ADD$/.test(l));
  if (!line) return undefined;
  let rest = line.slice(line.indexOf(": ADD") + 5).trim();
  const at = actionsStart(rest);
  if (at) rest = rest.slice(0, at.at);
  // Flow-mod metadata prints as `key:value` (table:3, cookie:0x5, idle:10); match fields as key[=value].
  return parseMatch(rest).filter((f) => !(f.value === undefined && f.key.includes(":")) && f.key !== "priority" && !FLOW_FLAGS.has(f.key));
}

/** OVS logs this when it silently drops match fields whose prerequisites are missing (nw_dst without ip). */
export function droppedMatchFields(stderr: string): { pre: string; post: string } | undefined {
  const pre = /\bpre: (.*)$/m.exec(stderr);
  const post = /\bpost: (.*)$/m.exec(stderr);
  if (!/normalization changed ofp_match/.test(stderr) || !pre || !post) return undefined;
  return { pre: pre[1].trim(), post: post[1].trim() };
}
