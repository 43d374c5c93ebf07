import type { z } from "zod";
import { bridgeSchema } from "../../provider/schema/bridge";
import { flowSchema } from "../../provider/schema/flow";
import { natSchema } from "../../provider/schema/nat";
import { netnsSchema } from "../../provider/schema/netns";
import { portSchema } from "../../provider/schema/port";
import { routeSchema } from "../../provider/schema/route";
import { tunnelSchema } from "../../provider/schema/tunnel";
import { vethSchema } from "../../provider/schema/veth";
import { buildNamespaces, buildNat, buildRoutes, buildVeths } from "./build-ip";
import { buildOvs } from "./build-ovs";
import { managementInterfaces } from "./links";
import { Context, isRef, type DiscoverOptions, type HostInput, type HostModel, type Kind, type Resource, type Value } from "./model";

/** One host's facts -> the resources that declare them, each checked against the provider's own schema. */
export function buildHost(host: HostInput, opts: DiscoverOptions): HostModel {
  const ctx = new Context(host, opts);
  const mgmt = managementInterfaces(host.facts, host.address);
  const namespaces = buildNamespaces(ctx);
  buildVeths(ctx, namespaces, mgmt);
  buildOvs(ctx, mgmt);
  buildRoutes(ctx, namespaces, mgmt);
  buildNat(ctx, namespaces, mgmt);
  const resources = validated(ctx);
  return { host: host.name, address: host.address, hostname: host.facts.hostname, resources, skipped: ctx.skipped, filtered: ctx.filtered };
}

const SCHEMAS: Partial<Record<Kind, z.ZodTypeAny>> = {
  OvsBridge: bridgeSchema, OvsPort: portSchema, VxlanTunnel: tunnelSchema("vxlan"), GreTunnel: tunnelSchema("gre"), FlowEntry: flowSchema,
  NetNamespace: netnsSchema, VethPair: vethSchema, Route: routeSchema, NatRule: natSchema,
};

/**
 * Keep the resources whose inputs the provider accepts (references resolved to the names they stand for); a
 * refused one is listed as skipped with the provider's reasons, and so is everything that refers to it.
 */
function validated(ctx: Context): Resource[] {
  const kept = new Map<string, Resource>();
  const dropped = new Set<string>();
  const resolve = (v: Value | undefined): unknown => {
    if (isRef(v)) return resolve(kept.get(v.ref)?.args[v.prop]);
    if (Array.isArray(v)) return v.map(resolve);
    return v;
  };
  for (const r of ctx.resources) {
    const refs = Object.values(r.args).filter(isRef).map((x) => x.ref);
    const missing = refs.find((x) => dropped.has(x));
    if (missing) {
      dropped.add(r.name);
      ctx.skip(describe(r), `it depends on ${missing}, which was skipped`);
      continue;
    }
    const schema = SCHEMAS[r.kind];
    if (schema) {
      const args = Object.fromEntries(Object.entries(r.args).filter(([, v]) => v !== undefined).map(([k, v]) => [k, resolve(v)]));
      const parsed = schema.safeParse({ ...args, owner: ctx.ownerOf(r.kind, r.name), connection: {} });
      if (!parsed.success) {
        dropped.add(r.name);
        ctx.skip(describe(r), `the provider refuses its inputs: ${parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}`);
        continue;
      }
    }
    kept.set(r.name, r);
  }
  return [...kept.values()];
}

function describe(r: Resource): string {
  return `${r.kind} ${r.name}${typeof r.args.name === "string" ? ` (name ${JSON.stringify(r.args.name)})` : ""}`;
}
