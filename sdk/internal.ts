import * as pulumi from "@pulumi/pulumi";

/** Module of every pulumi-ovs type token: `pulumi-nodejs:dynamic/ovs:OvsPort`. */
export const TYPE_MODULE = "ovs";

/**
 * A stable identity for the declaring resource, written onto everything it creates on a host
 * (OVS external_ids, flow cookies, interface aliases, container labels), so that pulumi-ovs only ever
 * changes or deletes its own objects, and two stacks on one host never touch each other's.
 */
export function ownerId(kind: string, name: string): string {
  return `${pulumi.getProject()}/${pulumi.getStack()}/${kind}/${name}`;
}

/** Inputs for a dynamic resource: the args, the owner, the connection as a secret, output slots as undefined. */
function dynamicProps(kind: string, name: string, args: object, outputs: readonly string[]): Record<string, unknown> {
  const props: Record<string, unknown> = { ...args, owner: ownerId(kind, name) };
  if ("connection" in args) props.connection = pulumi.secret((args as { connection: unknown }).connection);
  for (const o of outputs) if (!(o in props)) props[o] = undefined;
  return props;
}

/** Keep the connection secret in state even if the engine sees it as a plain output. */
function dynamicOpts(opts: pulumi.CustomResourceOptions | undefined): pulumi.CustomResourceOptions {
  return { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "connection"] };
}

/**
 * Lowers V8's stack trace limit to 0 while a resource registers; returns what puts it back. While registering, the
 * SDK makes a promise for every input and output and stores a formatted stack on each (`debuggablePromise`, used
 * only by its promise-leak report), and for a large program that formatting is a large part of its CPU
 * (docs/benchmarks.md, "Figures behind code choices"). The source position the SDK records for a resource is
 * unaffected (it captures that with an unlimited stack of its own). PULUMI_DEBUG_PROMISE_LEAKS keeps full stacks.
 */
export function shortStacks(): () => void {
  if (process.env.PULUMI_DEBUG_PROMISE_LEAKS) return () => {};
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  return () => {
    Error.stackTraceLimit = limit;
  };
}

/** An error thrown while stacks were short, given the stack of the place it surfaces (the resource's constructor). */
export function restacked(e: unknown, at?: Function): unknown {
  if (e instanceof Error) Error.captureStackTrace(e, at);
  return e;
}

/**
 * Every pulumi-ovs resource: a dynamic resource with its own type token (`pulumi-nodejs:dynamic/ovs:<kind>`), its
 * owner, the connection as a secret and its output slots, registered with short stacks (above).
 */
export abstract class OvsResource extends pulumi.dynamic.Resource {
  constructor(provider: pulumi.dynamic.ResourceProvider, kind: string, name: string, args: object, outputs: readonly string[], opts?: pulumi.CustomResourceOptions) {
    const restore = shortStacks();
    try {
      super(provider, name, dynamicProps(kind, name, args, outputs), dynamicOpts(opts), TYPE_MODULE, kind);
    } catch (e) {
      restore(); // first: the error's new stack is captured at the caller's limit
      throw restacked(e, new.target);
    }
    restore();
  }
}
