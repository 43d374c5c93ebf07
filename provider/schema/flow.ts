import { z } from "zod";
import { bridgeName } from "./common";
import { baseInputs } from "./base";
import { actionsProblems, matchProblems, normalizeMatchInput } from "../ovs/flow-validate";

/** One zod issue carrying every reason, so check() reports the property once with all that is wrong. */
function reasons(problems: (s: string) => string[]) {
  return (s: string, ctx: z.RefinementCtx) => {
    const found = problems(s);
    if (found.length) ctx.addIssue({ code: "custom", message: found.join("; ") });
  };
}

const timeout = z.number().int("must be an integer").min(0, "must be 0..65535 seconds (0: never)").max(65535, "must be 0..65535 seconds (0: never)");

export const flowSchema = z
  .object({
    ...baseInputs,
    bridge: bridgeName,
    table: z.number().int("must be an integer").min(0, "must be 0..254").max(254, "must be 0..254").default(0),
    priority: z.number().int("must be an integer").min(0, "must be 0..65535").max(65535, "must be 0..65535").default(32768),
    /** Match fields in ovs-ofctl syntax ("in_port=1,icmp,nw_dst=198.18.20.100"); "" matches every packet. */
    match: z
      .string()
      .default("")
      .superRefine(reasons(matchProblems))
      // One spelling for "a=1, b" and "a=1,b": blanks between fields are not a change.
      .transform((s) => (matchProblems(s).length ? s : normalizeMatchInput(s))),
    /** Actions in ovs-ofctl syntax ("output:2", "drop", "learn(...),output:1"). */
    actions: z.string().superRefine(reasons(actionsProblems)),
    idleTimeout: timeout.optional(),
    hardTimeout: timeout.optional(),
  })
  .strict();

export type FlowInputs = z.output<typeof flowSchema>;
export const flowInputKeys = Object.keys(flowSchema.shape);
