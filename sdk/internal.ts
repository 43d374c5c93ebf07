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
export function dynamicProps(kind: string, name: string, args: object, outputs: readonly string[]): Record<string, unknown> {
  const props: Record<string, unknown> = { ...args, owner: ownerId(kind, name) };
  if ("connection" in args) props.connection = pulumi.secret((args as { connection: unknown }).connection);
  for (const o of outputs) if (!(o in props)) props[o] = undefined;
  return props;
}

/** Keep the connection secret in state even if the engine sees it as a plain output. */
export function dynamicOpts(opts: pulumi.CustomResourceOptions | undefined): pulumi.CustomResourceOptions {
  return { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "connection"] };
}
