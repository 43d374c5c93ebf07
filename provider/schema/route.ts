import { z } from "zod";
import { baseInputs } from "./base";
import { ifName, ipv4, netnsName } from "./common";
import { canonicalRouteDestination, routeDestinationProblem } from "../shared/values";

/**
 * "default", an IPv4 network with prefix length (host bits clear, as the kernel demands), or a bare address
 * (a /32). Normalized to the form `ip -j route` reports back: "default" or "a.b.c.d/len".
 */
export const routeDestination = z
  .string()
  .superRefine((s, ctx) => {
    const p = routeDestinationProblem(s);
    if (p) ctx.addIssue({ code: "custom", message: p });
  })
  .transform(canonicalRouteDestination);

/**
 * Route: one IPv4 route in the main table of the host or of a named namespace, marked as ours by its
 * protocol number. Its slot on the host is (namespace, destination, metric).
 */
export const routeSchema = z
  .object({
    ...baseInputs,
    /** Named namespace (NetNamespace.name) holding the route; the host's own table when unset. */
    namespace: netnsName.optional(),
    destination: routeDestination,
    /** Next hop (must be on a connected subnet of `dev`, or of some interface when dev is unset). */
    via: ipv4.optional(),
    /** Output interface. */
    dev: ifName.optional(),
    metric: z.number().int("must be an integer").min(0, "must be 0..4294967295").max(4294967295, "must be 0..4294967295").optional(),
    /** Preferred source address (must be an address of this host/namespace). */
    src: ipv4.optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.via === undefined && v.dev === undefined) {
      ctx.addIssue({ code: "custom", path: ["via"], message: "set via (a gateway), dev (an interface) or both" });
    }
  });

export type RouteInputs = z.output<typeof routeSchema>;
export const routeInputKeys = Object.keys(routeSchema.shape);
