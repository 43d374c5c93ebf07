import * as pulumi from "@pulumi/pulumi";
import * as provider from "../provider/resources/route";
import type { ConnectionArgs } from "./connection";
import { OvsResource } from "./internal";

/** Inputs of a {@link Route}. */
export interface RouteArgs {
  /** How to reach the host (secret). */
  connection: pulumi.Input<ConnectionArgs>;
  /** Named namespace (a NetNamespace's name) whose main table holds the route; the host's own when unset. Changing it replaces the route. */
  namespace?: pulumi.Input<string>;
  /**
   * "default", or an IPv4 network with prefix length (host bits clear), e.g. "198.18.42.0/24"; a bare
   * address means /32. Changing it replaces the route.
   */
  destination: pulumi.Input<string>;
  /** Next hop; must be on a connected subnet (of `dev` when set). Set `via`, `dev` or both. */
  via?: pulumi.Input<string>;
  /** Output interface, e.g. an internal OvsPort's name. */
  dev?: pulumi.Input<string>;
  /** Route metric (priority), default 0. With the destination it names the route's slot; changing it replaces the route. */
  metric?: pulumi.Input<number>;
  /** Preferred source address for traffic the host itself sends along this route. */
  src?: pulumi.Input<string>;
  /** Take over a route in this slot (destination + metric) that was not made by pulumi-ovs. */
  adopt?: pulumi.Input<boolean>;
}

/**
 * An IPv4 route (`ip [-n NS] route replace DEST via GW dev DEV metric M proto 198`). pulumi-ovs marks its
 * routes with protocol number 198 and never changes or deletes a route without it (unless adopt). When the
 * route's interface goes away, the kernel drops the route: refresh reports it gone and up adds it again.
 */
export class Route extends OvsResource {
  /** Namespace whose table holds the route; undefined: the host's. */
  declare readonly namespace: pulumi.Output<string | undefined>;
  /** Destination as the kernel reports it: "default" or "a.b.c.d/len". */
  declare readonly destination: pulumi.Output<string>;
  /** Next hop. */
  declare readonly via: pulumi.Output<string | undefined>;
  /** Output interface when declared. */
  declare readonly dev: pulumi.Output<string | undefined>;
  /** Route metric when declared. */
  declare readonly metric: pulumi.Output<number | undefined>;
  /** Preferred source address. */
  declare readonly src: pulumi.Output<string | undefined>;
  /** How the host is reached (secret). */
  declare readonly connection: pulumi.Output<ConnectionArgs>;

  constructor(name: string, args: RouteArgs, opts?: pulumi.CustomResourceOptions) {
    super(provider, "Route", name, args, [], opts);
  }
}
