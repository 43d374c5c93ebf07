import type { z } from "zod";

/** The inputs part of what the engine hands a provider function (the serialized provider is no input). */
export function strip(news: Record<string, unknown>): Record<string, unknown> {
  const { __provider: _p, ...rest } = news;
  return rest;
}

/** Parse inputs that check() accepted (create/update/read get the same, now fully known). */
export function parseInputs<S extends z.ZodType>(schema: S, raw: Record<string, unknown>): z.output<S> {
  // Old outputs carry computed fields too; only the schema's own keys are inputs.
  const shape = (schema as unknown as { shape?: Record<string, unknown> }).shape;
  const input = shape ? Object.fromEntries(Object.entries(raw).filter(([k]) => Object.hasOwn(shape, k))) : strip(raw);
  const r = schema.safeParse(input);
  if (!r.success) {
    const reasons = r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`invalid inputs: ${reasons}`);
  }
  return r.data;
}

/**
 * Parse inputs kept in state by an earlier run. They were check()'s output then, so they already are in the
 * output shape; when a rule tightened since refuses one of them, the stored value is used as it is (so that a
 * stack written before can still be refreshed and destroyed) — but only a value that is plain data, which every
 * earlier version's rules also required: identifiers and tokens without blanks or shell metacharacters, maps
 * without control characters. Anything else fails as create would.
 */
export function parseStoredInputs<S extends z.ZodType>(schema: S, raw: Record<string, unknown>): z.output<S> {
  const shape = (schema as unknown as { shape?: Record<string, unknown> }).shape;
  const own = (k: string) => (shape ? Object.hasOwn(shape, k) : true);
  const input = Object.fromEntries(Object.entries(raw).filter(([k]) => own(k)));
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const failing = [...new Set(r.error.issues.map((i) => String(i.path[0] ?? "")))];
  if (failing.some((k) => k === "" || k === "connection" || !plainData(input[k]))) return parseInputs(schema, raw);
  return input as z.output<S>;
}

const PLAIN_TOKEN = /^[A-Za-z0-9_.:/,=+\-()[\]>]*$/;
const PLAIN_KEY = /^[A-Za-z0-9_.:/-]+$/;
function plainData(v: unknown): boolean {
  if (v === undefined || v === null || typeof v === "number" || typeof v === "boolean") return true;
  if (typeof v === "string") return PLAIN_TOKEN.test(v);
  if (Array.isArray(v)) return v.every(plainData);
  if (typeof v !== "object") return false;
  return Object.entries(v).every(([k, x]) => PLAIN_KEY.test(k) && (typeof x === "string" ? !/[\u0000-\u001f\u007f-\u009f]/.test(x) : plainData(x)));
}

