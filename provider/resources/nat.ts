import type { RemoteCommand } from "../transport/command";
import type { SshHost } from "../transport/pool";
import { natSchema, type NatInputs } from "../schema/nat";
import { addArgv, checkCmd, deleteArgv, describeRule, listCmd, ownerComment, parseList, parseRuleArgs, replaceArgv, ruleArgs, type ListedRule } from "../iptables/nat";
import { isNoNamespace, missingTool, missingToolError, noNamespaceError } from "../ip/batch";
import { query, writeThenRead, type Outcome } from "../host/facts";
import { assertOwnable, compact, kindModule, readResult } from "./framework";
import { PHASE } from "../host/restore-file";

/**
 * NatRule: one iptables nat rule (`iptables -t nat -A POSTROUTING -s NET ! -d NET -o DEV -j MASQUERADE`) in
 * the host or a named namespace. Ours carry `-m comment --comment pulumi-ovs-owner=<hash of the owner>`;
 * only rules with that comment are ever deleted, each by its exact listed text. `iptables -C` answers "is
 * exactly this rule there". This module's exports are the dynamic provider.
 */

const KIND = "NatRule";
const rules = { replaceKeys: ["namespace", "chain"], identityKeys: ["namespace", "chain"] };

/** Fields that make up the rule itself (what `iptables -S` shows). */
const RULE_FIELDS = ["source", "destination", "inInterface", "outInterface", "protocol", "destinationPort", "jump", "toSource", "toDestination"] as const;

export interface NatOutputs extends NatInputs {
  /** The rule as iptables lists it (options after `-A CHAIN`), when a refresh found it differing from the declared one. */
  liveRule?: string[];
}

export interface NatLive {
  /** Our rules (by comment) in the chain, as listed. */
  ours: ListedRule[];
  /** Exactly the declared rule with our comment is there. */
  exact: boolean;
  /** The declared rule without any comment is there (made by hand, e.g. the seed's own command). */
  foreignTwin: boolean;
  /** Its rule number (1-based) in the chain, when `iptables -S` lists it exactly as we would write it. */
  twinNumber?: number;
}

function probeCmds(want: NatInputs): RemoteCommand[] {
  return [listCmd(want.namespace, want.chain), checkCmd(want, ownerComment(want.owner)), checkCmd(want, undefined)];
}

function failure(what: string, r: Outcome): Error {
  if (r && missingTool(r)) return missingToolError(r);
  return new Error(`${what} failed${r ? ` (exit code ${r.code}): ${r.stderr.trim()}` : ": did not run"}`);
}

/**
 * `iptables -C`: 0 there, 1 not there; anything else is an error, not an answer. Not run (a read-back stops
 * at the first -C that says "not there") counts as not there.
 */
function checked(r: Outcome): boolean {
  if (r === undefined || r.code === 1) return false;
  if (r.code === 0) return true;
  throw failure("iptables -C", r);
}

/** What the chain holds for this rule; undefined when its namespace is gone. */
export function parseProbe(results: readonly Outcome[], want: NatInputs): NatLive | undefined {
  const [list, exact, twin] = results;
  if (list?.code !== 0) {
    if (want.namespace && list && isNoNamespace(list.stderr)) return undefined;
    throw failure(`iptables -t nat -S ${want.chain}`, list);
  }
  const comment = ownerComment(want.owner);
  const rules = parseList(list.stdout);
  const plain = ruleArgs(want, undefined).join("\0");
  const at = rules.findIndex((r) => r.args.join("\0") === plain);
  const foreignTwin = checked(twin);
  return { ours: rules.filter((r) => r.comment === comment), exact: checked(exact), foreignTwin, ...(foreignTwin && at >= 0 ? { twinNumber: at + 1 } : {}) };
}

/** Declared inputs with the rule fields the host has instead (the rule as listed, in input form). */
export function liveInputs(declared: NatInputs, listed: ListedRule): NatInputs {
  const parsed = parseRuleArgs(listed.args);
  const rest = Object.fromEntries(Object.entries(declared).filter(([k]) => !(RULE_FIELDS as readonly string[]).includes(k)));
  const fields = Object.fromEntries(RULE_FIELDS.map((k) => [k, parsed[k]]));
  return compact({ ...rest, ...fields } as NatInputs);
}

/**
 * Writes that leave exactly one rule with our comment in the chain, the declared one: none when that is
 * already so; otherwise delete every rule of ours (by its listed text) and add the declared one. `creating`:
 * an unmarked identical rule is someone else's unless the user says adopt; adopting replaces it in place with
 * our comment added (`iptables -R`: it keeps its position among the chain's other rules, which decides which
 * rule a packet meets first), or, when the listing does not show where it is, swaps it for ours.
 */
export function natWrites(want: NatInputs, live: NatLive, creating: boolean): RemoteCommand[] {
  if (live.exact && live.ours.length === 1) return [];
  const adopted: RemoteCommand[] = [];
  if (creating && live.foreignTwin) {
    assertOwnable(KIND, describeRule(want), undefined, want.owner, want.adopt);
    if (live.twinNumber !== undefined && live.ours.length === 0) return [{ argv: replaceArgv(want, live.twinNumber, ownerComment(want.owner)) }];
    adopted.push({ argv: deleteArgv(want.namespace, want.chain, ruleArgs(want, undefined)) });
  }
  const stale = live.ours.map((r) => ({ argv: deleteArgv(want.namespace, r.chain, r.args) }));
  return [...adopted, ...stale, { argv: addArgv(want, ownerComment(want.owner)) }];
}

async function probe(host: SshHost, want: NatInputs): Promise<NatLive | undefined> {
  return parseProbe(await query(host, probeCmds(want)), want);
}

/** Probe (1 round trip), then writes + read-back (1 round trip). */
async function converge(host: SshHost, want: NatInputs, creating: boolean): Promise<void> {
  const live = await probe(host, want);
  if (!live) throw noNamespaceError(want.namespace!);
  const after = parseProbe(await writeThenRead(host, natWrites(want, live, creating), probeCmds(want)), want);
  if (!after?.exact || after.ours.length !== 1) throw new Error("the rule is not in the chain as declared right after it was written");
}

const p = kindModule({
  kind: KIND,
  schema: natSchema,
  rules,
  // Added unless exactly this rule (with our comment) is already in the chain.
  restore: (want) => ({ phase: PHASE.nat, steps: [{ argv: addArgv(want, ownerComment(want.owner)), unless: checkCmd(want, ownerComment(want.owner)).argv }] }),
  label: describeRule,
  diff(d, olds) {
    // A refresh that found our rule altered in a way the fields cannot show (options this model does not cover).
    if (!d.changes && Array.isArray(olds.liveRule)) return { ...d, changes: true };
    return d;
  },
  async create({ host, conn, want }) {
    await converge(host, want, true);
    const key = ownerComment(want.owner).split("=")[1];
    return { id: `${conn.host}/nat/${want.namespace ?? "-"}/${want.chain}/${key}`, outs: compact(want) };
  },
  async read({ host, id, declared }) {
    const live = await probe(host, declared);
    if (!live || live.ours.length === 0) return {}; // gone: the engine drops it, up adds it again
    if (live.exact) return { id, props: compact(declared) }; // exactly as declared: the state's inputs stay
    const inputs = liveInputs(declared, live.ours[0]);
    return readResult(id, { ...inputs, liveRule: live.ours[0].args }, inputs, declared);
  },
  async update({ host, want }) {
    await converge(host, want, false);
    return { outs: compact(want) };
  },
  async delete({ host, old }) {
    const live = await probe(host, old);
    if (!live || live.ours.length === 0) return; // gone (with its namespace, maybe); unmarked rules are never ours
    const deletes = live.ours.map((r) => ({ argv: deleteArgv(old.namespace, r.chain, r.args) }));
    const after = parseProbe(await writeThenRead(host, deletes, [listCmd(old.namespace, old.chain)]), old);
    if (after && after.ours.length > 0) throw new Error(`rules with our comment are still in the chain: ${after.ours.map((r) => r.args.join(" ")).join("; ")}`);
  },
});
// The dynamic provider: what the engine calls.
export const { check, diff, create, read, update } = p;
const remove = p.delete;
export { remove as delete };
