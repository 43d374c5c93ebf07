import type * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import type { bridgeSchema } from "../provider/schema/bridge";
import type { connectionSchema } from "../provider/schema/connection";
import type { containerSchema } from "../provider/schema/container";
import type { flowSchema } from "../provider/schema/flow";
import type { natSchema } from "../provider/schema/nat";
import type { netnsSchema } from "../provider/schema/netns";
import type { portSchema } from "../provider/schema/port";
import type { routeSchema } from "../provider/schema/route";
import type { tunnelSchema } from "../provider/schema/tunnel";
import type { vethSchema } from "../provider/schema/veth";
import type { OvsBridgeArgs } from "./bridge";
import type { ConnectionArgs } from "./connection";
import type { DockerContainerArgs } from "./container";
import type { FlowEntryArgs } from "./flow";
import type { NatRuleArgs } from "./nat";
import type { NetNamespaceArgs } from "./netns";
import type { OvsPortArgs } from "./port";
import type { RouteArgs } from "./route";
import type { GreTunnelArgs, VxlanTunnelArgs } from "./tunnel";
import type { VethPairArgs } from "./veth";

/**
 * Compile-time check (types only, nothing runs): every resource's SDK Args (what users write, with the TSDoc the
 * API reference shows) must declare exactly the inputs its zod schema in provider/schema accepts, with the same
 * types and the same optionality. A field added, renamed, retyped or made required on one side only fails
 * `tsc --noEmit`, naming the field, e.g. "Types of property 'onlyInSchema' are incompatible. Type '"mtu"' is not
 * assignable to type 'never'".
 *
 * Compared: `pulumi.Unwrap<Args>` (every `pulumi.Input<T>` unwrapped, deeply) against `z.input<schema>` (what
 * the schema accepts, before defaults and transforms: a field with a default is optional on both sides).
 *
 * Exceptions, on purpose:
 * - `owner` (every schema): not an input users write; the SDK sets it from the resource's identity (internal.ts).
 * - `connection` (every schema): `z.unknown()` there, because check() validates it apart with connectionSchema
 *   (so a bad connection gets one failure naming its fields, never its secret values); ConnectionArgs is
 *   checked against connectionSchema below instead, and its jump host against the schema's `proxy`.
 * - GreTunnel `dstPort`: the GRE schema has the key only to reject it ("only applies to VXLAN"); GreTunnelArgs
 *   does not offer it.
 * - ContainerAttachment and TunnelMesh are components: their Args have no schema (they build resources whose
 *   Args are checked here), so they are not listed.
 */

/** Two types are the same when each is assignable to the other (no distribution over unions). */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/** How an SDK Args type and a schema's input type differ: every member is `never` when they agree. */
export interface ArgsVsSchema<A, S> {
  /** Fields only the SDK Args declare. */
  onlyInSdk: Exclude<keyof A, keyof S>;
  /** Fields only the schema accepts. */
  onlyInSchema: Exclude<keyof S, keyof A>;
  /** Fields both declare, with different types (or optional on one side only). */
  differing: { [K in keyof A & keyof S]-?: Same<A[K], S[K]> extends true ? never : K }[keyof A & keyof S];
}

/** Compiles only when nothing differs. */
type Agree<D extends { onlyInSdk: never; onlyInSchema: never; differing: never }> = D;

/** The SDK side: inputs unwrapped. */
type Sdk<Args> = pulumi.Unwrap<Args>;
/** The schema side, without the fields the SDK sets itself or checks apart (see the exceptions above). */
type Schema<S extends z.ZodType, Skip extends string = never> = Omit<z.input<S>, "owner" | "connection" | Skip>;
/** Args without their connection (checked once, as ConnectionArgs). */
type Args<A> = Omit<Sdk<A>, "connection">;

export type BridgeArgsCheck = Agree<ArgsVsSchema<Args<OvsBridgeArgs>, Schema<typeof bridgeSchema>>>;
export type PortArgsCheck = Agree<ArgsVsSchema<Args<OvsPortArgs>, Schema<typeof portSchema>>>;
export type VxlanTunnelArgsCheck = Agree<ArgsVsSchema<Args<VxlanTunnelArgs>, Schema<ReturnType<typeof tunnelSchema>>>>;
export type GreTunnelArgsCheck = Agree<ArgsVsSchema<Args<GreTunnelArgs>, Schema<ReturnType<typeof tunnelSchema>, "dstPort">>>;
export type ContainerArgsCheck = Agree<ArgsVsSchema<Args<DockerContainerArgs>, Schema<typeof containerSchema>>>;
export type FlowArgsCheck = Agree<ArgsVsSchema<Args<FlowEntryArgs>, Schema<typeof flowSchema>>>;
export type NetnsArgsCheck = Agree<ArgsVsSchema<Args<NetNamespaceArgs>, Schema<typeof netnsSchema>>>;
export type VethArgsCheck = Agree<ArgsVsSchema<Args<VethPairArgs>, Schema<typeof vethSchema>>>;
export type RouteArgsCheck = Agree<ArgsVsSchema<Args<RouteArgs>, Schema<typeof routeSchema>>>;
export type NatArgsCheck = Agree<ArgsVsSchema<Args<NatRuleArgs>, Schema<typeof natSchema>>>;

/** Every resource's `connection` is a ConnectionArgs (the schemas take it as unknown: checked here instead). */
type ConnectionInput = z.input<typeof connectionSchema>;
export type ConnectionArgsCheck = Agree<ArgsVsSchema<Omit<Sdk<ConnectionArgs>, "proxy">, Omit<ConnectionInput, "proxy">>>;
export type ProxyArgsCheck = Agree<ArgsVsSchema<Sdk<NonNullable<ConnectionArgs["proxy"]>>, NonNullable<ConnectionInput["proxy"]>>>;
/** And every Args' connection is exactly that type. */
type ConnectionOf<A> = A extends { connection: pulumi.Input<infer C> } ? Same<C, ConnectionArgs> : false;
export type ConnectionFieldsCheck = Agree<{
  onlyInSdk: never;
  onlyInSchema: never;
  differing: {
    [K in keyof AllArgs]: ConnectionOf<AllArgs[K]> extends true ? never : K;
  }[keyof AllArgs];
}>;
interface AllArgs {
  OvsBridge: OvsBridgeArgs;
  OvsPort: OvsPortArgs;
  VxlanTunnel: VxlanTunnelArgs;
  GreTunnel: GreTunnelArgs;
  DockerContainer: DockerContainerArgs;
  FlowEntry: FlowEntryArgs;
  NetNamespace: NetNamespaceArgs;
  VethPair: VethPairArgs;
  Route: RouteArgs;
  NatRule: NatRuleArgs;
}
