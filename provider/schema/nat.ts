import { z } from "zod";
import * as net from "node:net";
import { baseInputs } from "./base";
import { netnsName } from "./common";
import { ipv4Network } from "../ip/route";
import { NAT_CHAINS, NAT_PROTOCOLS, NAT_TARGETS } from "../iptables/nat";

/** A leading "!" (optionally followed by spaces) negates a match; normalized to "!value". */
function splitNegation(s: string): { neg: boolean; value: string } {
  const m = /^!\s*(.*)$/.exec(s);
  return m ? { neg: true, value: m[1] } : { neg: false, value: s };
}

/**
 * An IPv4 address or network for -s / -d, optionally negated. Normalized to what `iptables -S` prints:
 * network form with prefix length (198.18.41.7/24 -> 198.18.41.0/24, 198.18.41.7 -> 198.18.41.7/32).
 */
const addressMatch = z
  .string()
  .refine((s) => {
    // Decimal without leading zeros: iptables reads numbers with strtoul base 0 (010 is 8, 08 an error).
    const m = /^([^/]+)(?:\/(0|[1-9]\d?))?$/.exec(splitNegation(s).value);
    return !!m && net.isIPv4(m[1]) && (m[2] === undefined || Number(m[2]) <= 32);
  }, 'must be an IPv4 address or network, optionally negated with "!" (e.g. "!198.18.160.0/20")')
  .transform((s) => {
    const { neg, value } = splitNegation(s);
    const [addr, len] = value.split("/");
    const n = len === undefined ? 32 : Number(len);
    return `${neg ? "!" : ""}${ipv4Network(addr, n)}/${n}`;
  });

/** An interface name for -i / -o; a trailing "+" matches every name with that prefix (iptables' wildcard). */
const interfaceMatch = z
  .string()
  .refine((s) => /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}\+?$|^\+$/.test(splitNegation(s).value), 'must be an interface name (a trailing "+" is a wildcard), optionally negated with "!"')
  .transform((s) => {
    const { neg, value } = splitNegation(s);
    return `${neg ? "!" : ""}${value}`;
  });

/** SNAT/DNAT targets: IPv4 address or range, optional port or port range (ports need protocol tcp or udp). */
const natTo = z.string().refine((s) => {
  // Ports without leading zeros, for the same reason as prefix lengths above (iptables would read 010 as 8).
  const m = /^(\d+\.\d+\.\d+\.\d+)(?:-(\d+\.\d+\.\d+\.\d+))?(?::([1-9]\d{0,4})(?:-([1-9]\d{0,4}))?)?$/.exec(s);
  if (!m || !net.isIPv4(m[1]) || (m[2] !== undefined && !net.isIPv4(m[2]))) return false;
  return [m[3], m[4]].every((p) => p === undefined || (Number(p) >= 1 && Number(p) <= 65535));
}, "must be ADDRESS[-ADDRESS][:PORT[-PORT]] with IPv4 addresses, e.g. 198.19.0.11 or 198.18.41.2:8080");

/**
 * NatRule: one rule of the iptables `nat` table (IPv4), in the host or a named namespace, marked as ours by an
 * owner comment. Everything but namespace and chain changes in place (the old rule is swapped for the new one).
 */
export const natSchema = z
  .object({
    ...baseInputs,
    /** Named namespace (NetNamespace.name) whose nat table holds the rule; the host's when unset. */
    namespace: netnsName.optional(),
    chain: z.enum(NAT_CHAINS).default("POSTROUTING"),
    source: addressMatch.optional(),
    destination: addressMatch.optional(),
    inInterface: interfaceMatch.optional(),
    outInterface: interfaceMatch.optional(),
    protocol: z.enum(NAT_PROTOCOLS).optional(),
    destinationPort: z.number().int("must be an integer").min(1, "must be 1..65535").max(65535, "must be 1..65535").optional(),
    jump: z.enum(NAT_TARGETS).default("MASQUERADE"),
    toSource: natTo.optional(),
    toDestination: natTo.optional(),
    position: z.enum(["first", "last"]).default("last"),
  })
  .strict()
  .superRefine((v, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
    const post = ["POSTROUTING", "INPUT"];
    const pre = ["PREROUTING", "OUTPUT"];
    if ((v.jump === "MASQUERADE" || v.jump === "SNAT") && !post.includes(v.chain)) issue("jump", `${v.jump} only works in POSTROUTING (or INPUT)`);
    if (v.jump === "DNAT" && !pre.includes(v.chain)) issue("jump", "DNAT only works in PREROUTING (or OUTPUT)");
    if (v.jump === "SNAT" && v.toSource === undefined) issue("toSource", "is required for SNAT");
    if (v.jump === "DNAT" && v.toDestination === undefined) issue("toDestination", "is required for DNAT");
    if (v.toSource !== undefined && v.jump !== "SNAT") issue("toSource", "only applies to SNAT");
    if (v.toDestination !== undefined && v.jump !== "DNAT") issue("toDestination", "only applies to DNAT");
    if (v.inInterface !== undefined && (v.chain === "POSTROUTING" || v.chain === "OUTPUT")) issue("inInterface", `cannot be matched in ${v.chain} (iptables allows -i only in PREROUTING and INPUT)`);
    if (v.outInterface !== undefined && (v.chain === "PREROUTING" || v.chain === "INPUT")) issue("outInterface", `cannot be matched in ${v.chain} (iptables allows -o only in OUTPUT and POSTROUTING)`);
    const portful = v.protocol === "tcp" || v.protocol === "udp";
    if (v.destinationPort !== undefined && !portful) issue("destinationPort", 'needs protocol "tcp" or "udp"');
    for (const k of ["toSource", "toDestination"] as const) {
      if (v[k]?.includes(":") && !portful) issue(k, 'a port needs protocol "tcp" or "udp"');
    }
  });

export type NatInputs = z.output<typeof natSchema>;
export const natInputKeys = Object.keys(natSchema.shape);
