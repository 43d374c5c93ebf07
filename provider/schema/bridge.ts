import { z } from "zod";
import { bridgeName, ovsMap } from "./common";
import { baseInputs, OWNER_KEY } from "./base";

const protocol = z.enum(["OpenFlow10", "OpenFlow11", "OpenFlow12", "OpenFlow13", "OpenFlow14", "OpenFlow15"]);

/** OpenFlow controller targets as ovs-vsctl set-controller takes them. */
const controllerTarget = z
  .string()
  .regex(/^(tcp|ssl|ptcp|pssl):[0-9a-fA-F.:\[\]]*(:\d{1,5})?$|^(unix|punix):\/[A-Za-z0-9_./-]+$/, "must be an OpenFlow target like tcp:198.18.0.1:6653");

const noOwnerKey = (m: Record<string, string> | undefined) => !m || !(OWNER_KEY in m);

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
      .optional()
      .transform((c) => (c ? [...new Set(c)].sort() : c)),
  })
  .strict();

export type BridgeInputs = z.output<typeof bridgeSchema>;
export const bridgeInputKeys = Object.keys(bridgeSchema.shape);
