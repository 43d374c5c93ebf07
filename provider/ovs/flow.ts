import * as crypto from "node:crypto";
import type { RemoteCommand } from "../transport/command";
import { type FlowLinePayload, flowFileRule, parseFlowsRule } from "./merge";

/**
 * A typed OpenFlow flow model (after digitalocean/go-openvswitch ovs/flow.go and actionparser.go): parse
 * `ovs-ofctl dump-flows` text and add-flow syntax into flows, marshal them back, and build the ovs-ofctl argv
 * that FlowEntry runs. Everything here is pure.
 *
 * Text is split at `actions=`; the part before it is a list of `key[=value]` tokens separated by commas or
 * blanks, the part after it a list of actions separated by commas. Both are scanned with bracket depth, so
 * `learn(table=20,...,output:NXM_OF_IN_PORT[])`, `resubmit(,1)` and `packet_type=(1,0x800)` stay whole.
 */

/** One match field as OVS prints it: `in_port=1`, or a bare shorthand such as `icmp`. */
export interface MatchField {
  key: string;
  value?: string;
}

export interface Flow {
  cookie: bigint;
  table: number;
  /** OpenFlow's default priority (32768) when the text names none, as OVS does. */
  priority: number;
  match: MatchField[];
  actions: string[];
  /** Seconds; absent means permanent (OVS prints nothing for 0). */
  idleTimeout?: number;
  hardTimeout?: number;
  importance?: number;
  /** Flow-mod flags OVS prints as bare words: send_flow_rem, check_overlap, reset_counts, ... */
  flags: string[];
}

export const DEFAULT_PRIORITY = 32768;

/** Statistics that change on their own: never part of a flow's identity or of drift. */
const VOLATILE = new Set(["duration", "n_packets", "n_bytes", "idle_age", "hard_age"]);
/** Flow-mod flags: bare words before the match in dump-flows output. */
export const FLOW_FLAGS = new Set(["send_flow_rem", "check_overlap", "reset_counts", "no_packet_counts", "no_byte_counts"]);
/** Keys of the flow entry itself rather than of its match. */
const FLOW_KEYS = new Set(["cookie", "table", "priority", "idle_timeout", "hard_timeout", "importance", "out_port", "out_group"]);

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

const isCommaOrBlank = (ch: string) => ch === "," || ch === " ";

/** `a=1, b c` -> [{a,1},{b},{c}]: match tokens, separated by commas and/or blanks like ovs-ofctl accepts. */
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

export function matchText(fields: readonly MatchField[]): string {
  return fields.map((f) => (f.value === undefined ? f.key : `${f.key}=${f.value}`)).join(",");
}

export function actionsText(actions: readonly string[]): string {
  return actions.join(",");
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

export function cookieHex(c: bigint): string {
  return `0x${c.toString(16)}`;
}

/** Every flow of a dump-flows reply; header lines (`NXST_FLOW reply (xid=0x4):`, `OFPST_FLOW reply (OF1.3) ...`) are skipped. */
export function parseDumpFlows(text: string): Flow[] {
  return text
    .split("\n")
    .filter((l) => l.trim() !== "" && !/^\S*ST_FLOW reply\b/.test(l.trim()) && /\bactions?=/.test(l))
    .map(parseDumpedFlow);
}

/**
 * Each write reads its bridge's flows back, so a deployment of N flows sees each flow in about N/batch dumps:
 * a flow is parsed once per distinct text (statistics aside) and shared, frozen, after that.
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

// ---- Identity and ownership ----

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

const ALL_ONES = (1n << 64n) - 1n;

/**
 * The cookie that marks a FlowEntry's flow: the first 64 bits of sha256(owner). 0 (what hand-written flows
 * carry) and all-ones (reserved by OpenFlow) are skipped by taking the next 64 bits.
 */
export function cookieFor(owner: string): bigint {
  let c = cookies.get(owner);
  if (c === undefined) {
    // Four bad windows in a row are practically impossible; rehashing keeps even that case well defined.
    c = cookieFromDigest(crypto.createHash("sha256").update(owner, "utf8").digest()) ?? cookieFor(`${owner}\0`);
    if (cookies.size >= COOKIES_MAX) cookies.clear();
    cookies.set(owner, c);
  }
  return c;
}

/** Every engine call on a flow needs its cookie (a destroy of 1000 flows hashed 1000 owners, some twice). */
const cookies = new Map<string, bigint>();
const COOKIES_MAX = 16_384;

/** The first 64-bit window of a digest that is neither 0 nor all-ones. */
export function cookieFromDigest(digest: Buffer): bigint | undefined {
  for (let i = 0; i + 8 <= digest.length; i += 8) {
    const c = digest.readBigUInt64BE(i);
    if (c !== 0n && c !== ALL_ONES) return c;
  }
  return undefined;
}

// ---- Validation of user text (check), before anything reaches a host ----

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

/** Reasons `match` is not acceptable (empty: fine). Local grammar only; the host's ovs-ofctl has the last word. */
export function matchProblems(s: string): string[] {
  const chars = charProblems(s, true);
  if (chars.length) return chars;
  if (s.length > 4096) return ["must be at most 4096 characters"];
  const out: string[] = [];
  for (const t of splitTopLevel(s, isCommaOrBlank).filter((x) => x !== "")) {
    const key = t.split("=")[0];
    if (!MATCH_TOKEN.test(t)) out.push(`"${t}" is not a field or field=value`);
    else if (key in OWN_PROPERTY) out.push(`must not set ${key}: ${OWN_PROPERTY[key]}`);
    else if (FLOW_FLAGS.has(key) || FLOW_KEYS.has(key) || VOLATILE.has(key)) out.push(`must not set ${key}: it is not a match field`);
  }
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

/** Match tokens separated by single commas: the spelling FlowEntry keeps in its inputs and writes. */
export function normalizeMatchInput(s: string): string {
  return matchText(parseMatch(s));
}

// ---- ovs-ofctl argv ----

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
 * description to map names, ~3x the command's cost on a busy bridge (lab, 333 ports: 17-26 ms against 6-7 ms);
 * the flows we send name ports by number only (validation rejects names).
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

/** addFlowCommand whose line joins the file of other flow changes on the bridge in the same round trip. */
export function addFlowMergeable(bridge: string, versions: string, flow: string): RemoteCommand {
  return { ...addFlowCommand(bridge, versions, flow), merge: flowFileHint(bridge, versions, flow) };
}

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
