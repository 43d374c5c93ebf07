import { z } from "zod";
import { baseInputs } from "./base";
import { bridgeName, ifName, ovsMap, ruled } from "./common";
import { ofportRequest, portExternalIds } from "./port";
import { canonicalIp, ipProblem, pickOwn } from "../shared/values";

export type TunnelType = "vxlan" | "gre";

/** VXLAN VNIs are 24 bits, GRE keys 32 bits; "flow" lets OpenFlow set the key (set_tunnel). */
function keyOf(type: TunnelType) {
  const max = type === "vxlan" ? 0xffffff : 0xffffffff;
  return z.union([z.number().int().min(0).max(max, `must be 0..${max}`), z.literal("flow")]);
}

/**
 * An address (canonical, no %scope) or "flow". One rule rather than a zod union, whose failure reads only
 * "Invalid input" and hides the reason.
 */
const ipOrFlow = ruled((s) => {
  if (s === "flow") return undefined;
  const p = ipProblem(s);
  return p === "must be an IPv4 or IPv6 address" ? `${p}, or "flow"` : p;
}).transform((s) => (s === "flow" ? s : canonicalIp(s)));

/** The typed fields and the Interface option each one sets. */
export const TYPED_OPTIONS = [
  ["remoteIp", "remote_ip"],
  ["localIp", "local_ip"],
  ["key", "key"],
  ["inKey", "in_key"],
  ["outKey", "out_key"],
  ["dstPort", "dst_port"],
  ["tos", "tos"],
  ["ttl", "ttl"],
] as const;

export function tunnelSchema(type: TunnelType) {
  return z
    .object({
      ...baseInputs,
      bridge: bridgeName,
      name: ifName,
      remoteIp: ipOrFlow,
      localIp: ipOrFlow.optional(),
      key: keyOf(type).optional(),
      inKey: keyOf(type).optional(),
      outKey: keyOf(type).optional(),
      dstPort: type === "vxlan" ? z.number().int().min(1).max(65535).optional() : z.undefined({ message: "only applies to VXLAN" }).optional(),
      tos: z.union([z.number().int().min(0).max(255), z.literal("inherit")]).optional(),
      ttl: z.union([z.number().int().min(1).max(255), z.literal("inherit")]).optional(),
      ofportRequest: ofportRequest.optional(),
      /** Split horizon: no normal-mode forwarding between protected ports (a full mesh needs it to avoid loops). */
      protected: z.boolean().optional(),
      externalIds: portExternalIds,
      /** Further interface options (e.g. csum, df_default); never one a typed field above sets (TYPED_OPTIONS). */
      options: ovsMap.optional(),
    })
    .strict()
    .superRefine((v, ctx) => {
      if (v.key !== undefined && (v.inKey !== undefined || v.outKey !== undefined)) {
        ctx.addIssue({ code: "custom", path: ["key"], message: "set either key, or inKey/outKey, not both" });
      }
      // One OVS option, one source: the typed value wins on the host, so the option as declared would mean
      // nothing and show as drift on every refresh.
      for (const [field, option] of TYPED_OPTIONS) {
        if (v.options && Object.hasOwn(v.options, option)) {
          ctx.addIssue({ code: "custom", path: ["options", option], message: `options.${option} sets the same OVS option as ${field}: set ${field} instead` });
        }
      }
    });
}

export type TunnelInputs = z.output<ReturnType<typeof tunnelSchema>>;

/** Interface options for a tunnel, as OVS stores them (all strings). */
export function tunnelOptions(t: TunnelInputs): Record<string, string> {
  const o: Record<string, string> = { ...t.options, remote_ip: t.remoteIp };
  const put = (k: string, v: string | number | undefined) => {
    if (v !== undefined) o[k] = String(v);
  };
  put("local_ip", t.localIp);
  put("key", t.key);
  put("in_key", t.inKey);
  put("out_key", t.outKey);
  put("dst_port", t.dstPort);
  put("tos", t.tos);
  put("ttl", t.ttl);
  return o;
}

/** The inverse of tunnelOptions for the keys the program declared. */
export function tunnelFromOptions(declared: TunnelInputs, live: Record<string, string>): Partial<TunnelInputs> {
  const num = (v: string | undefined) => (v === undefined ? undefined : /^\d+$/.test(v) ? Number(v) : v);
  const typed = {
    remoteIp: Object.hasOwn(live, "remote_ip") ? live.remote_ip : "",
    localIp: declared.localIp === undefined ? undefined : live.local_ip,
    key: declared.key === undefined ? undefined : num(live.key),
    inKey: declared.inKey === undefined ? undefined : num(live.in_key),
    outKey: declared.outKey === undefined ? undefined : num(live.out_key),
    dstPort: declared.dstPort === undefined ? undefined : num(live.dst_port),
    tos: declared.tos === undefined ? undefined : num(live.tos),
    ttl: declared.ttl === undefined ? undefined : num(live.ttl),
  } as Partial<TunnelInputs>;
  return { ...typed, options: pickOwn(live, declared.options) };
}
