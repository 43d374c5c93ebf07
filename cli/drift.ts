/**
 * `pulumi-ovs drift`: a refresh-preview of a stack (`pulumi preview --refresh --diff --json`, nothing is
 * written) turned into a readable list of the resources whose hosts no longer match the program.
 */

/** One step of `pulumi preview --json` (the fields this command reads). */
export interface PreviewStep {
  op: string;
  urn: string;
  oldState?: { type?: string; inputs?: Record<string, unknown> } | null;
  newState?: { type?: string; inputs?: Record<string, unknown> } | null;
  diffReasons?: string[] | null;
  replaceReasons?: string[] | null;
  detailedDiff?: Record<string, unknown> | null;
}

export interface Drift {
  urn: string;
  /** update, replace, create (missing on the host), delete (no longer in the program), ... */
  op: string;
  /** The resource's type without the `pulumi-nodejs:dynamic/ovs:` (or component `pulumi-ovs:index:`) module: `VethPair`. */
  type: string;
  name: string;
  /** What differs: `mtu: 9000 => 1500`, or a field name when the values are not known. */
  fields: string[];
}

/** Steps that change nothing on the hosts or in the state. */
const QUIET = new Set(["same", "refresh", "read", "discard", "discard-replaced", "remove-pending-replace"]);
/** Inputs that are plumbing, not host state. */
const IGNORED_INPUTS = new Set(["__provider", "connection"]);
/** Pulumi's marker of a secret value in JSON state. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

function show(v: unknown): string {
  if (v && typeof v === "object" && SECRET_SIG in (v as Record<string, unknown>)) return "[secret]";
  return v === undefined ? "(unset)" : JSON.stringify(v);
}

/** `urn:pulumi:stack::project::parent$ovs:type::name` -> ["VethPair", "name"]. */
export function typeAndName(urn: string): { type: string; name: string } {
  const parts = urn.split("::");
  const typeChain = parts[2] ?? "";
  const type = (typeChain.split("$").pop() ?? typeChain).replace(/^pulumi-nodejs:dynamic\/ovs:|^pulumi-ovs:index:/, "");
  return { type, name: parts.slice(3).join("::") || urn };
}

/** Fields whose old (as refreshed from the hosts) and new (the program's) inputs differ, with both values. */
export function changedInputs(olds: Record<string, unknown>, news: Record<string, unknown>): string[] {
  const keys = [...new Set([...Object.keys(olds), ...Object.keys(news)])].filter((k) => !IGNORED_INPUTS.has(k) && !k.startsWith("__"));
  return keys.filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k])).map((k) => `${k}: ${show(olds[k])} => ${show(news[k])}`);
}

/** Order of precedence when one resource has several steps (a replacement is create-replacement, replace, delete-replacement). */
const RANK: Record<string, number> = { replace: 3, "create-replacement": 2, "delete-replacement": 1 };

/**
 * The drifted resources of a `pulumi preview --refresh --json` document: every step that would change something
 * (not same/refresh/read), one entry per resource. Dynamic providers report no detailed diff, so the fields are
 * found by comparing the step's old inputs (what refresh read from the hosts) with its new inputs (the
 * program's); the engine's diffReasons/detailedDiff names are the fallback.
 */
export function driftFromPreview(doc: unknown): Drift[] {
  const steps = ((doc as { steps?: PreviewStep[] } | null)?.steps ?? []).filter((s) => s && !QUIET.has(s.op));
  const byUrn = new Map<string, PreviewStep>();
  for (const s of steps) {
    const prev = byUrn.get(s.urn);
    if (!prev || (RANK[s.op] ?? 0) > (RANK[prev.op] ?? 0)) byUrn.set(s.urn, prev ? { ...prev, ...s, oldState: s.oldState ?? prev.oldState, newState: s.newState ?? prev.newState } : s);
  }
  const out: Drift[] = [];
  for (const s of byUrn.values()) {
    const type = s.newState?.type ?? s.oldState?.type ?? "";
    if (type === "pulumi:pulumi:Stack" || type.startsWith("pulumi:providers:") || /::pulumi:pulumi:Stack::|::pulumi:providers:/.test(s.urn)) continue;
    const op = RANK[s.op] ? "replace" : s.op;
    let fields: string[];
    if (op === "create") fields = ["missing on the host"];
    else if (op === "delete") fields = ["no longer in the program"];
    else {
      fields = changedInputs(s.oldState?.inputs ?? {}, s.newState?.inputs ?? {});
      if (fields.length === 0) fields = [...new Set([...(s.replaceReasons ?? []), ...(s.diffReasons ?? []), ...Object.keys(s.detailedDiff ?? {})])];
    }
    out.push({ urn: s.urn, op, ...typeAndName(s.urn), fields });
  }
  return out;
}

/** The readable report: "no drift: ..." or "DRIFT: N resource(s) of stack S no longer match their hosts:" and one line each. */
export function formatDrift(stack: string, drifts: Drift[]): string {
  if (drifts.length === 0) return `no drift: stack ${stack} matches its hosts\n`;
  const lines = [`DRIFT: ${drifts.length} resource(s) of stack ${stack} no longer match their hosts:`];
  for (const d of drifts) lines.push(`  ${d.op.padEnd(8)} ${d.type} ${d.name}${d.fields.length ? `  (${d.fields.join(", ")})` : ""}`);
  lines.push(`run \`pulumi up --refresh --stack ${stack}\` to repair`);
  return lines.join("\n") + "\n";
}

/** The JSON document in pulumi's stdout (tolerating anything printed before it). */
export function parsePreviewJson(stdout: string): unknown {
  const start = stdout.indexOf("{");
  if (start < 0) throw new Error("pulumi preview printed no JSON");
  return JSON.parse(stdout.slice(start));
}

/** Error diagnostics of a preview document, for the message when the preview failed. */
export function previewErrors(doc: unknown): string[] {
  const diags = (doc as { diagnostics?: { severity?: string; message?: string; urn?: string }[] } | null)?.diagnostics ?? [];
  return diags.filter((d) => d.severity === "error").map((d) => `${d.urn ? `${typeAndName(d.urn).name}: ` : ""}${(d.message ?? "").trim()}`);
}
