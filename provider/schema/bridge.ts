import { z } from "zod";
import { bridgeName, ovsMap } from "./common";
import { baseInputs, OWNER_KEY } from "./base";
import { canonicalControllerTarget, controllerTargetProblem } from "../shared/values";

const protocol = z.enum(["OpenFlow10", "OpenFlow11", "OpenFlow12", "OpenFlow13", "OpenFlow14", "OpenFlow15"]);

/** OpenFlow controller targets as ovs-vsctl set-controller takes them (rule and why: shared/values.ts). */
const controllerTarget = z
  .string()
  .superRefine((s, ctx) => {
    const p = controllerTargetProblem(s);
    if (p) ctx.addIssue({ code: "custom", message: p });
  })
  .transform(canonicalControllerTarget);

const noOwnerKey = (m: Record<string, string> | undefined) => !m || !Object.hasOwn(m, OWNER_KEY);

export const bridgeSchema = z
  .object({
    ...baseInputs,
    name: bridgeName,
    datapathType: z.enum(["system", "netdev"]).optional(),
    failMode: z.enum(["standalone", "secure"]).optional(),
    protocols: z
      .array(protocol)
      .optional()
      .transform((p) => (p ? [...new Set(p)].sort() : p)),
    stpEnable: z.boolean().optional(),
    rstpEnable: z.boolean().optional(),
    mcastSnoopingEnable: z.boolean().optional(),
    externalIds: ovsMap.optional().refine(noOwnerKey, `must not set ${OWNER_KEY}: pulumi-ovs manages it`),
    otherConfig: ovsMap.optional(),
    controllers: z
      .array(controllerTarget)
      .max(64, "at most 64 controllers")
      .optional()
      .transform((c) => (c ? [...new Set(c)].sort() : c)),
  })
  .strict();

export type BridgeInputs = z.output<typeof bridgeSchema>;
export const bridgeInputKeys = Object.keys(bridgeSchema.shape);
