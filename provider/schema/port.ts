import { z } from "zod";
import { baseInputs, OWNER_KEY } from "./base";
import { bridgeName, cidr, ifName, mac, mtu, netnsName, ovsMap, vlanId } from "./common";

const noOwnerKey = (m: Record<string, string> | undefined) => !m || !Object.hasOwn(m, OWNER_KEY);
export const portExternalIds = ovsMap.optional().refine(noOwnerKey, `must not set ${OWNER_KEY}: pulumi-ovs manages it`);
export const ofportRequest = z.number().int().min(1, "must be 1..65279").max(65279, "must be 1..65279");

export const portSchema = z
  .object({
    ...baseInputs,
    bridge: bridgeName,
    name: ifName,
    type: z.enum(["system", "internal", "patch"]).optional(),
    tag: vlanId.optional(),
    trunks: z
      .array(vlanId)
      .optional()
      .transform((t) => (t ? [...new Set(t)].sort((a, b) => a - b) : t)),
    vlanMode: z.enum(["access", "trunk", "native-tagged", "native-untagged"]).optional(),
    protected: z.boolean().optional(),
    peer: ifName.optional(),
    ofportRequest: ofportRequest.optional(),
    mtuRequest: mtu.optional(),
    mac: mac.optional(),
    externalIds: portExternalIds,
    interfaceExternalIds: portExternalIds,
    options: ovsMap.optional(),
    addresses: z
      .array(cidr)
      .optional()
      .transform((a) => (a ? [...new Set(a)].sort() : a)), // each already canonical (schema/common.ts cidr)
    up: z.boolean().optional(),
    netns: netnsName.optional(),
    /** Management move: this NIC's addresses and routes move to this internal port of the same bridge. */
    moveAddressesTo: ifName.optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.type === "patch" && !v.peer) ctx.addIssue({ code: "custom", path: ["peer"], message: "is required for a patch port" });
    if (v.peer && v.type !== "patch") ctx.addIssue({ code: "custom", path: ["peer"], message: 'only applies to type "patch"' });
    for (const k of ["addresses", "up", "netns", "mac"] as const) {
      if (v[k] !== undefined && v.type !== "internal") {
        ctx.addIssue({ code: "custom", path: [k], message: 'only applies to type "internal" (the host side of other ports is not ours to configure)' });
      }
    }
    if (v.moveAddressesTo !== undefined && (v.type ?? "system") !== "system") {
      ctx.addIssue({ code: "custom", path: ["moveAddressesTo"], message: 'only applies to a NIC (type "system"): its addresses and routes move to that internal port' });
    }
    if (v.moveAddressesTo !== undefined && v.moveAddressesTo === v.name) ctx.addIssue({ code: "custom", path: ["moveAddressesTo"], message: "must name another port (the bridge's internal port)" });
    if (v.options && Object.hasOwn(v.options, "peer")) ctx.addIssue({ code: "custom", path: ["options"], message: "set the patch peer with `peer`, not options" });
  });

export type PortInputs = z.output<typeof portSchema>;
export const portInputKeys = Object.keys(portSchema.shape);
