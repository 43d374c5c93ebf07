import { z } from "zod";
import * as net from "node:net";
import { IF_NAME_MAX, IF_NAME_PATTERN } from "../shared/names";
import { canonicalCidr, canonicalIp, canonicalMac, cidrProblem, ipProblem, macProblem, mapKeyProblem, mapSizeProblem, mapValueProblem } from "../shared/values";

/**
 * Shared validators. Every value that reaches a remote shell passes one of these first: the quoting helper
 * makes injection impossible, these make nonsense impossible (and give the user a reason, per property).
 */

/** Linux interface names: at most 15 bytes (IFNAMSIZ 16 incl. NUL), no '/', whitespace, ':' or leading '-'. */
export const ifName = z
  .string()
  .min(1, "must not be empty")
  .max(IF_NAME_MAX, `must be at most ${IF_NAME_MAX} characters (Linux IFNAMSIZ)`)
  .regex(IF_NAME_PATTERN, "may contain only letters, digits, '_', '.', '-' and must not start with '-' or '.'")
  .refine((s) => s !== "." && s !== "..", "must not be '.' or '..'");

/** OVS bridge names are interface names too (the bridge has a same-named internal port). */
export const bridgeName = ifName;

/** Names of network namespaces (files under /run/netns). */
export const netnsName = z
  .string()
  .min(1, "must not be empty")
  .max(64, "must be at most 64 characters")
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/, "may contain only letters, digits, '_', '.', '-' and must not start with '-' or '.'");

/** A docker container name or ID. */
export const containerRef = z
  .string()
  .min(1, "must not be empty")
  .max(128, "must be at most 128 characters")
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "must be a docker container name or ID ([A-Za-z0-9][A-Za-z0-9_.-]*)");

/** A zod string checked by one of the shared rules (provider/shared/values.ts), which names the problem. */
export function ruled(problem: (s: string) => string | undefined) {
  return z.string().superRefine((s, ctx) => {
    const p = problem(s);
    if (p) ctx.addIssue({ code: "custom", message: p });
  });
}

/** Canonical by Node already: isIPv4 refuses leading zeros, so the text is the one ip prints. */
export const ipv4 = z.string().refine((s) => net.isIPv4(s), "must be an IPv4 address");
/** IPv4 or IPv6 without %scope, stored as `ip` prints it (IPv6 lower-case and compressed). */
export const ipAddress = ruled(ipProblem).transform(canonicalIp);

/** An address with prefix length, e.g. 198.18.1.2/24 or 2001:db8::1/64, stored as `ip -j addr` prints it. */
export const cidr = ruled(cidrProblem).transform(canonicalCidr);

export function isCidr(s: string): boolean {
  return cidrProblem(s) === undefined;
}

/** Unicast MAC other than all zeros (the only kind an interface takes), stored lower-case as the kernel prints it. */
export const mac = ruled(macProblem).transform(canonicalMac);

export const vlanId = z.number().int("must be an integer").min(0, "must be 0..4095").max(4095, "must be 0..4095");

export const mtu = z.number().int("must be an integer").min(68, "must be at least 68").max(65535, "must be at most 65535");

/**
 * Keys and values of OVS maps (external_ids, other_config, options). Keys keep a plain charset on top of the
 * shared map rules (ovs-vsctl's map syntax gives '=', ',' and quotes a meaning of their own).
 */
const OVS_MAP_KEY = /^[A-Za-z0-9_][A-Za-z0-9_.:-]*$/;
export function ovsMapKeyProblem(k: string): string | undefined {
  return mapKeyProblem(k) ?? (OVS_MAP_KEY.test(k) ? undefined : "may contain only letters, digits, '_', '.', ':', '-'");
}
export const ovsMapValue = ruled(mapValueProblem);

/**
 * A string map whose keys are judged on the raw input, before zod builds its output: zod's record silently
 * drops a "__proto__" key and reports other bad keys only as "Invalid key in record", without the reason.
 */
export function stringMap(keyProblem: (k: string) => string | undefined, value: z.ZodType<string, string>) {
  // z.custom (no check of its own) keeps the declared input type a string map, as sdk/args-check.ts compares.
  return z
    .custom<Record<string, string>>()
    .superRefine((m: unknown, ctx) => {
      if (!m || typeof m !== "object" || Array.isArray(m)) return; // the record below names the type
      for (const k of Object.keys(m)) {
        const p = keyProblem(k);
        if (p) ctx.addIssue({ code: "custom", path: [k], message: p });
      }
      const p = mapSizeProblem(Object.fromEntries(Object.entries(m).map(([k, v]) => [k, String(v)])));
      if (p) ctx.addIssue({ code: "custom", message: p });
    })
    .pipe(z.record(z.string(), value));
}
export const ovsMap = stringMap(ovsMapKeyProblem, ovsMapValue);

/** Set to true to take over an object that already exists on the host and was not created by pulumi-ovs. */
export const adopt = z.boolean().optional();
