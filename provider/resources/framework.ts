import type * as dynamic from "@pulumi/pulumi/dynamic";
import type { z } from "zod";
import { parseConnection, describeConnection, withoutSafeApply, type Connection } from "../schema/connection";
import { hostFor, type SshHost } from "../transport/pool";
import { RemoteCommandError, withResourceContext } from "../transport/errors";
import { forgetFacts, mutate } from "../host/facts";
import { isVsctlWrite, vsctlWrite } from "../ovs/merge";
import type { RemoteCommand } from "../transport/command";
import type { RestoreEntry } from "../host/restore-file";
import { entryDiff, restoreHooks } from "./restore";
import { useRevertPlan } from "../transport/safe-apply-run";
import { REVERT_PLAN } from "../host/revert-plan";

/**
 * What every resource module shares: input checking that tolerates preview unknowns, an exact diff, and the
 * plumbing from inputs to a pooled SSH host, and `kindModule()`, which makes a kind's six engine functions
 * (check, diff, create, read, update, delete) from what is specific to it. Each resource module keeps its own
 * life cycle on one screen and exports those six (the closure serializer writes a `require()` of the module).
 */

export { UNKNOWN, OWNER_KEY, baseInputs } from "../schema/base";

useRevertPlan(REVERT_PLAN); // what a safe-apply revert saves and restores on a host (transport/safe-apply-run.ts)
import { UNKNOWN } from "../schema/base";

export { containsUnknown, nestingDepth, MAX_INPUT_DEPTH } from "../schema/unknowns";
import { containsUnknown, nestingDepth, MAX_INPUT_DEPTH } from "../schema/unknowns";

function valueAt(obj: unknown, path: PropertyKey[]): unknown {
  let cur: unknown = obj;
  for (const k of path) {
    if (cur === UNKNOWN) return UNKNOWN;
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[k];
  }
  return cur;
}

export { parseInputs, parseStoredInputs } from "../schema/parse-inputs";
import { parseInputs, parseStoredInputs, strip } from "../schema/parse-inputs";

/**
 * Validate inputs. A failure per bad property, with the property path; values not known yet (preview) are
 * not judged. Returns the normalized inputs (defaults applied) when everything is known.
 */
export function checkInputs<S extends z.ZodType>(schema: S, news: Record<string, unknown>): dynamic.CheckResult {
  const input = strip(news);
  // Schema parsing and the unknown search recurse: too deep an input is refused before either runs.
  const tooDeep = Object.keys(input).filter((k) => nestingDepth(input[k]) > MAX_INPUT_DEPTH);
  if (tooDeep.length) return { inputs: news, failures: tooDeep.map((property) => ({ property, reason: `must not nest deeper than ${MAX_INPUT_DEPTH} levels` })) };
  const r = schema.safeParse(input);
  const failures: dynamic.CheckFailure[] = [];
  if (!r.success) {
    for (const issue of r.error.issues) {
      const path = issue.path as PropertyKey[];
      // An unknown anywhere on the path (or below it) means we cannot judge yet.
      let unknownOnPath = false;
      for (let i = 0; i <= path.length; i++) if (valueAt(input, path.slice(0, i)) === UNKNOWN) unknownOnPath = true;
      if (unknownOnPath || containsUnknown(valueAt(input, path))) continue;
      failures.push({ property: path.map(String).join(".") || "(inputs)", reason: issue.message });
    }
  }
  if (failures.length === 0 && input.connection !== undefined && !containsUnknown(input.connection)) {
    try {
      parseConnection(input.connection);
    } catch (e) {
      failures.push({ property: "connection", reason: (e as Error).message });
    }
  }
  if (failures.length) return { inputs: news, failures };
  if (!r.success) return { inputs: news };
  return { inputs: r.data as Record<string, unknown> };
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a === null || b === null) {
    return isEmpty(a) && isEmpty(b);
  }
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (typeof a === "object" && typeof b === "object") {
    const ka = Object.keys(a as object).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
    const kb = Object.keys(b as object).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
    if (ka.length !== kb.length) return false;
    return ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return false;
}

/** undefined, null, [] and {} all mean "nothing declared". */
function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === "object") return Object.values(v as object).every((x) => x === undefined);
  return false;
}

export interface DiffRules {
  /** Input keys whose change needs a new object (OVS/iproute2 cannot change them in place). */
  replaceKeys: readonly string[];
  /** Input keys that name the object on its host: if they stay the same across a replace, delete first. */
  identityKeys: readonly string[];
}

/** Where an object lives: a changed host or port is a different object. */
function connectionTarget(c: unknown): string | undefined {
  if (c === undefined || containsUnknown(c)) return c === undefined ? undefined : UNKNOWN;
  const o = c as { host?: string; port?: number };
  return `${o.host}:${o.port ?? 22}`;
}

/**
 * Exact diff of declared inputs. `olds` are the old outputs (inputs + computed values), `news` the checked
 * inputs. Returns changes=false only when nothing differs, and sets replaces/deleteBeforeReplace explicitly.
 */
export function diffInputs(keys: readonly string[], rules: DiffRules, olds: Record<string, unknown>, news: Record<string, unknown>): dynamic.DiffResult {
  const changed: string[] = [];
  for (const k of keys) {
    if (k === "connection") {
      // Credentials may rotate in place; the target host may not.
      if (connectionTarget(olds.connection) !== connectionTarget(news.connection)) changed.push(k);
      else if (!deepEqual(withoutSafeApply(olds.connection), withoutSafeApply(news.connection))) changed.push("connection.credentials");
      continue;
    }
    if (containsUnknown(news[k]) || !deepEqual(olds[k], news[k])) changed.push(k);
  }
  const replaces = changed.filter((k) => rules.replaceKeys.includes(k) || k === "connection");
  const sameIdentity =
    connectionTarget(olds.connection) === connectionTarget(news.connection) &&
    rules.identityKeys.every((k) => !containsUnknown(news[k]) && deepEqual(olds[k], news[k]));
  return {
    changes: changed.length > 0,
    replaces,
    deleteBeforeReplace: replaces.length > 0 && sameIdentity,
  };
}

/** The pooled SSH host for a resource's connection. */
export function hostOf(inputs: { connection?: unknown }): { host: SshHost; conn: Connection } {
  const conn = parseConnection(inputs.connection);
  return { host: hostFor(conn), conn };
}

/** Run a provider step with errors that name the resource and the host. */
export async function step<T>(kind: string, name: string, conn: { connection?: unknown }, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    let where = "";
    try {
      const host = describeConnection(parseConnection(conn.connection));
      // Transport errors already say "on HOST"; others get it here.
      if (!String((e as Error)?.message).includes(host)) where = ` on ${host}`;
    } catch {
      /* connection itself invalid: the message says so */
    }
    throw withResourceContext(e, `${kind} "${name}"${where}`);
  }
}

/** Refuse to touch an object that exists but is not ours, unless the user said adopt. */
export function assertOwnable(kind: string, name: string, existingOwner: string | undefined, owner: string, adopt: boolean | undefined): void {
  if (existingOwner === owner || adopt) return;
  const who = existingOwner ? `pulumi-ovs resource "${existingOwner}"` : "something other than pulumi-ovs";
  throw new Error(
    `${kind} "${name}" already exists on the host and is managed by ${who}. ` +
      "Set `adopt: true` on this resource to take ownership of it explicitly (it will then be deleted with the stack).",
  );
}

/** Drop undefined members (recursively): the engine's wire format has no "undefined". */
export function compact<T>(v: T): T {
  if (Array.isArray(v)) return v.map(compact) as T;
  if (v && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).map(([k, x]) => [k, compact(x)])) as T;
  }
  return v;
}

/**
 * Create without a check-then-act race: try the exclusive form (fails if the object exists); only if it
 * exists, look at it fresh, let `whenExists` decide (ownership, adopt) and return the converging form.
 */
export async function createOrAdopt(host: SshHost, exclusive: () => string[], whenExists: () => Promise<string[]>): Promise<void> {
  try {
    await mutate(host, write(exclusive()));
  } catch (e) {
    if (!(e instanceof RemoteCommandError) || !/already exists/.test(e.stderr)) throw e;
    forgetFacts(host);
    await mutate(host, write(await whenExists()));
  }
}

/** A write; ovs-vsctl writes may share one transaction with other resources' (ovs/merge.ts). */
export function write(argv: string[]): RemoteCommand {
  return isVsctlWrite(argv) ? vsctlWrite(argv) : { argv };
}

/**
 * A read's answer. The inputs go back only when the host differs from what the state declares: a read that
 * returns none leaves the state's inputs as they are (the engine's RefreshStep), and each set returned is one
 * more protobuf Struct the SDK's provider host builds and sends, a large share of a big refresh's CPU.
 */
export function readResult(id: string, props: object, inputs: object, declared: object): dynamic.ReadResult {
  return deepEqual(inputs, compact(declared)) ? { id, props } : { id, props, inputs: inputs as Record<string, unknown> };
}

/** A resource kind's zod input schema: an object schema (refinements allowed), whose keys are the inputs. */
export type InputSchema = z.ZodObject;

/** What a kind's life-cycle steps get: the pooled host, and the inputs parsed by the framework. */
export interface HostContext {
  host: SshHost;
  conn: Connection;
}

/**
 * What a resource kind declares; `kindModule()` makes the engine's six functions from it. Each step runs inside
 * `step()` (errors name the kind, the resource and the host) with inputs already parsed by the schema.
 * `parseOld: true` makes update() parse the old outputs too (before its step, as create/read parse theirs).
 */
export interface KindSpec<S extends InputSchema, Old extends boolean = false> {
  kind: string;
  schema: S;
  rules: DiffRules;
  /** The resource in error messages; default: its `name` input. */
  label?: (inputs: z.output<S>) => string;
  /** Adjust the exact input diff (e.g. state-only drift that asks for an update). */
  diff?: (d: dynamic.DiffResult, olds: Record<string, unknown>, news: Record<string, unknown>) => dynamic.DiffResult;
  parseOld?: Old;
  create(c: HostContext & { want: z.output<S> }): Promise<dynamic.CreateResult>;
  read(c: HostContext & { id: string; props: Record<string, unknown>; declared: z.output<S> }): Promise<dynamic.ReadResult>;
  /** `props`: the old outputs (computed values included). */
  update(c: HostContext & { want: z.output<S>; old: Old extends true ? z.output<S> : undefined; props: Record<string, unknown> }): Promise<dynamic.UpdateResult>;
  delete(c: HostContext & { props: Record<string, unknown>; old: z.output<S> }): Promise<void>;
  /** What a reboot drops of the object, as restore steps from the kind's own builders (resources/restore.ts). */
  restore?: (inputs: z.output<S>, outs?: Record<string, unknown>) => Omit<RestoreEntry, "label"> | undefined;
}

/** Old inputs as stored, or undefined when they no longer parse (then nothing can be put back for them). */
function storedOrNothing<S extends InputSchema>(schema: S, olds: Record<string, unknown>): z.output<S> | undefined {
  try {
    return parseStoredInputs(schema, olds);
  } catch {
    return undefined;
  }
}

function priorOf<I>(inputs: I | undefined, outs: Record<string, unknown>): { inputs: I; outs: Record<string, unknown> } | undefined {
  return inputs === undefined ? undefined : { inputs, outs };
}

/** The dynamic provider functions of a kind (what its module under provider/resources exports). */
export function kindModule<S extends InputSchema, Old extends boolean = false>(spec: KindSpec<S, Old>) {
  const { kind, schema, rules } = spec;
  const keys = Object.keys(schema.shape);
  const label = spec.label ?? ((i: z.output<S>) => String((i as { name?: unknown }).name));
  const run = <T>(inputs: z.output<S>, fn: (c: HostContext) => Promise<T>) =>
    step(kind, label(inputs), inputs as { connection?: unknown }, () => fn(hostOf(inputs as { connection?: unknown })));
  const restore = restoreHooks(kind, label, spec.restore);
  return {
    async check(_olds: Record<string, unknown>, news: Record<string, unknown>): Promise<dynamic.CheckResult> {
      return checkInputs(schema, news);
    },
    async diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<dynamic.DiffResult> {
      const d = entryDiff(diffInputs(keys, rules, olds, news), olds);
      return spec.diff ? spec.diff(d, olds, news) : d;
    },
    async create(raw: Record<string, unknown>): Promise<dynamic.CreateResult> {
      const want = parseInputs(schema, raw);
      return run(want, (c) => restore.around(c, want, "create", (rc) => spec.create({ ...rc, want })));
    },
    async read(id: string, props: Record<string, unknown>): Promise<dynamic.ReadResult> {
      const declared = parseStoredInputs(schema, props);
      return run(declared, async (c) => {
        restore.prefetch(c, declared);
        return restore.check(c, declared, await spec.read({ ...c, id, props, declared }));
      });
    },
    async update(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<dynamic.UpdateResult> {
      const old = (spec.parseOld ? parseStoredInputs(schema, olds) : undefined) as Old extends true ? z.output<S> : undefined;
      const want = parseInputs(schema, news);
      return run(want, (c) => restore.around(c, want, "update", (rc) => spec.update({ ...rc, want, old, props: olds }), priorOf(old ?? storedOrNothing(schema, olds), olds)));
    },
    async delete(_id: string, props: Record<string, unknown>): Promise<void> {
      const old = parseStoredInputs(schema, props);
      await run(old, (c) => restore.around(c, old, "delete", (rc) => spec.delete({ ...rc, props, old }), { inputs: old, outs: props }));
    },
  };
}
