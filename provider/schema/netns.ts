import { z } from "zod";
import { containerRef, netnsName } from "./common";
import { baseInputs } from "./base";

/**
 * NetNamespace: a named network namespace (`ip netns add`), or a docker container's namespace made visible
 * to `ip netns` / `ip -n` under the same kind of name (a link /run/netns/NAME -> /proc/PID/ns/net).
 */
export const netnsSchema = z
  .object({
    ...baseInputs,
    /** Name under /run/netns; what `ip -n NAME` and VethPair.namespace refer to. */
    name: netnsName,
    /** Adopt this docker container's namespace (name or ID) instead of creating a new namespace. */
    container: containerRef.optional(),
  })
  .strict();

export type NetnsInputs = z.output<typeof netnsSchema>;
export const netnsInputKeys = Object.keys(netnsSchema.shape);
