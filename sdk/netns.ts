import * as pulumi from "@pulumi/pulumi";
import * as provider from "../provider/resources/netns";
import type { ConnectionArgs } from "./connection";
import { OvsResource } from "./internal";

/** Inputs of a {@link NetNamespace}. */
export interface NetNamespaceArgs {
  /** How to reach the host (secret). */
  connection: pulumi.Input<ConnectionArgs>;
  /**
   * Name of the namespace under /run/netns (what `ip -n NAME` and VethPair's `namespace` refer to). Unique per
   * host. Changing it replaces the namespace.
   */
  name: pulumi.Input<string>;
  /**
   * Adopt a docker container's namespace (container name or ID) instead of creating a new one: it is linked as
   * /run/netns/NAME and re-linked after the container restarts (refresh reports the stale link, up repairs it).
   * Deleting the resource removes only the link, never the container. Changing it replaces the resource.
   */
  container?: pulumi.Input<string>;
  /** Take over a namespace (or /run/netns link) of that name that already exists and was not created by pulumi-ovs. */
  adopt?: pulumi.Input<boolean>;
}

/**
 * A network namespace (`ip netns add`, loopback up), or a docker container's namespace made usable by name.
 * pulumi-ovs marks the namespaces it manages in the alias of their `lo`.
 */
export class NetNamespace extends OvsResource {
  /** Name of the namespace under /run/netns. */
  declare readonly name: pulumi.Output<string>;
  /** The docker container whose namespace this is, when it was adopted from one. */
  declare readonly container: pulumi.Output<string | undefined>;
  /** Inode of the namespace (net:[INODE]). */
  declare readonly inode: pulumi.Output<number | undefined>;
  /** Container namespaces: the container's current PID (0 while it is not running). */
  declare readonly pid: pulumi.Output<number | undefined>;
  /** Container namespaces: the PID /run/netns/NAME points at; differs from pid once the container restarted. */
  declare readonly linkedPid: pulumi.Output<number | undefined>;
  /** Container namespaces: the full container ID. */
  declare readonly containerId: pulumi.Output<string | undefined>;
  /** How the host is reached (secret). */
  declare readonly connection: pulumi.Output<ConnectionArgs>;

  constructor(name: string, args: NetNamespaceArgs, opts?: pulumi.CustomResourceOptions) {
    super(provider, "NetNamespace", name, args, ["inode", "pid", "linkedPid", "containerId"], opts);
  }
}
