import * as crypto from "node:crypto";
import type { RemoteCommand } from "../transport/command";
import { OWNER_KEY } from "../shared/ownership";

/**
 * Rules of the iptables `nat` table, in the host or in a named namespace: argv builders, the owner comment,
 * and the parser of `iptables -t nat -S CHAIN`. The match and target options are always built in the order
 * iptables itself prints them (-s -d -i -o -p, the protocol's match, the comment, -j and the target's options),
 * so a rule reads back as it was written.
 */

export const NAT_CHAINS = ["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"] as const;
export type NatChain = (typeof NAT_CHAINS)[number];
export const NAT_TARGETS = ["MASQUERADE", "SNAT", "DNAT", "RETURN", "ACCEPT"] as const;
export type NatTarget = (typeof NAT_TARGETS)[number];
export const NAT_PROTOCOLS = ["tcp", "udp", "icmp"] as const;

export interface NatSpec {
  namespace?: string;
  chain: NatChain;
  /** Match values; a leading "!" negates ("!198.18.160.0/20" is `! -d 198.18.160.0/20`). */
  source?: string;
  destination?: string;
  inInterface?: string;
  outInterface?: string;
  protocol?: (typeof NAT_PROTOCOLS)[number];
  destinationPort?: number;
  jump: NatTarget;
  toSource?: string;
  toDestination?: string;
  /** Where a new rule goes: "last" appends (-A), "first" inserts at the top (-I CHAIN 1). */
  position?: "first" | "last";
}

/** Seconds iptables waits for the xtables lock (another iptables running) instead of failing at once. */
const LOCK_WAIT = "5";

/** The comment that marks a rule as ours: the owner's hash (owners may hold spaces, quotes, any length). */
export function ownerComment(owner: string): string {
  return `${OWNER_KEY}=${crypto.createHash("sha256").update(owner).digest("hex").slice(0, 16)}`;
}

/** iptables in the host, or inside a named namespace through `ip netns exec`. */
export function iptablesArgv(namespace: string | undefined, ...args: string[]): string[] {
  const ipt = ["iptables", "-w", LOCK_WAIT, ...args];
  return namespace ? ["ip", "netns", "exec", namespace, ...ipt] : ipt;
}

function negatable(flag: string, v: string | undefined): string[] {
  if (v === undefined) return [];
  return v.startsWith("!") ? ["!", flag, v.slice(1)] : [flag, v];
}

/** The rule's options after the chain, exactly as `iptables -S` prints them; `comment` undefined: without one. */
export function ruleArgs(s: NatSpec, comment: string | undefined): string[] {
  return [
    ...negatable("-s", s.source),
    ...negatable("-d", s.destination),
    ...negatable("-i", s.inInterface),
    ...negatable("-o", s.outInterface),
    ...(s.protocol ? ["-p", s.protocol] : []),
    ...(s.destinationPort !== undefined ? ["-m", s.protocol!, "--dport", String(s.destinationPort)] : []),
    ...(comment !== undefined ? ["-m", "comment", "--comment", comment] : []),
    "-j",
    s.jump,
    ...(s.toSource !== undefined ? ["--to-source", s.toSource] : []),
    ...(s.toDestination !== undefined ? ["--to-destination", s.toDestination] : []),
  ];
}

export function addArgv(s: NatSpec, comment: string): string[] {
  const where = s.position === "first" ? ["-I", s.chain, "1"] : ["-A", s.chain];
  return iptablesArgv(s.namespace, "-t", "nat", ...where, ...ruleArgs(s, comment));
}

/** Replace rule number `n` (1-based) of the chain in place: the rule keeps its position among the others. */
export function replaceArgv(s: NatSpec, n: number, comment: string): string[] {
  return iptablesArgv(s.namespace, "-t", "nat", "-R", s.chain, String(n), ...ruleArgs(s, comment));
}

/** `iptables -C`: exit 0 when exactly this rule (matches, comment, target) is in the chain, 1 when not. */
export function checkCmd(s: NatSpec, comment: string | undefined): RemoteCommand {
  return { argv: iptablesArgv(s.namespace, "-t", "nat", "-C", s.chain, ...ruleArgs(s, comment)) };
}

export function listCmd(namespace: string | undefined, chain: NatChain): RemoteCommand {
  return { argv: iptablesArgv(namespace, "-t", "nat", "-S", chain) };
}

/** Delete one rule by its exact text (as listed): a rule is only ever deleted by what we read of it. */
export function deleteArgv(namespace: string | undefined, chain: string, args: readonly string[]): string[] {
  return iptablesArgv(namespace, "-t", "nat", "-D", chain, ...args);
}

/** Split one line of `iptables -S` into arguments: whitespace separated, "double quoted" with \" and \\ escapes. */
export function tokenize(line: string): string[] {
  const out: string[] = [];
  let cur: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') {
      cur ??= "";
      for (i++; i < line.length && line[i] !== '"'; i++) {
        if (line[i] === "\\" && i + 1 < line.length) i++;
        cur += line[i];
      }
    } else if (/\s/.test(c)) {
      if (cur !== undefined) out.push(cur);
      cur = undefined;
    } else {
      cur = (cur ?? "") + c;
    }
  }
  if (cur !== undefined) out.push(cur);
  return out;
}

export interface ListedRule {
  chain: string;
  /** The options after `-A CHAIN`, unquoted: what `-D CHAIN ...args` deletes. */
  args: string[];
  comment?: string;
}

/** The rules (`-A` lines) of `iptables -S` output; policies (`-P`) and chain declarations (`-N`) are skipped. */
export function parseList(stdout: string): ListedRule[] {
  const rules: ListedRule[] = [];
  for (const line of stdout.split("\n")) {
    const t = tokenize(line.trim());
    if (t[0] !== "-A" || t.length < 2) continue;
    const args = t.slice(2);
    const c = args.indexOf("--comment");
    rules.push({ chain: t[1], args, comment: c >= 0 ? args[c + 1] : undefined });
  }
  return rules;
}

/** Options of a listed rule in NatSpec form; `unknown` holds what this model does not cover. */
export function parseRuleArgs(args: readonly string[]): Partial<NatSpec> & { unknown: string[] } {
  const out: Partial<NatSpec> & { unknown: string[] } = { unknown: [] };
  const matchField: Record<string, "source" | "destination" | "inInterface" | "outInterface"> = { "-s": "source", "-d": "destination", "-i": "inInterface", "-o": "outInterface" };
  let neg = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const hasValue = i + 1 < args.length;
    if (a === "!") {
      neg = true;
      continue;
    }
    if (Object.hasOwn(matchField, a) && hasValue) out[matchField[a]] = (neg ? "!" : "") + args[++i];
    else if (a === "-p" && hasValue) out.protocol = args[++i] as NatSpec["protocol"];
    else if (a === "-m" && (args[i + 1] === out.protocol || args[i + 1] === "comment")) i++; // implied by -p / --comment
    else if (a === "--dport" && hasValue) out.destinationPort = Number(args[++i]);
    else if (a === "--comment" && hasValue) i++;
    else if (a === "-j" && hasValue) out.jump = args[++i] as NatTarget;
    else if (a === "--to-source" && hasValue) out.toSource = args[++i];
    else if (a === "--to-destination" && hasValue) out.toDestination = args[++i];
    else out.unknown.push(...(neg ? ["!", a] : [a]));
    neg = false;
  }
  return out;
}

export function describeRule(s: NatSpec): string {
  return `nat ${s.chain} ${ruleArgs(s, undefined).join(" ")}${s.namespace ? ` in namespace ${s.namespace}` : ""}`;
}
