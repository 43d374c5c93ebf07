import * as pulumi from "@pulumi/pulumi";
import type { ConnectionArgs } from "./connection";

/** One host of a stack, as the examples read it from config. */
export interface HostConfig {
  /** Short name used in resource names (e.g. "h1"). */
  name: string;
  /** sshd address. */
  host: string;
  /** sshd port. Default 22. */
  port?: number;
  /** Login user. Default "root". */
  user?: string;
  /** Pinned host key ("ssh-ed25519 AAAA..."). */
  hostKey?: string;
  /** Address of this host on the underlay network (tunnel endpoints). */
  underlayIp?: string;
  /** An unaddressed NIC that may be put into a bridge as a trunk (e.g. "eth1"). */
  trunkNic?: string;
}

export interface Host extends HostConfig {
  /** The connection for this host, secret (it carries the private key). */
  connection: pulumi.Output<ConnectionArgs>;
}

/**
 * Hosts from stack config: `hosts` (a JSON list of HostConfig) plus the secrets `privateKey` and/or
 * `password` shared by all of them. E.g.
 *   pulumi config set --path 'hosts[0].name' h1; pulumi config set --path 'hosts[0].host' 198.18.0.11
 *   pulumi config set --secret privateKey -- "$(cat ~/.ssh/id_ed25519)"
 */
export function hostsFromConfig(config: pulumi.Config = new pulumi.Config()): Host[] {
  const hosts = config.requireObject<HostConfig[]>("hosts");
  const privateKey = config.getSecret("privateKey");
  const password = config.getSecret("password");
  return hosts.map((h) => ({
    ...h,
    connection: pulumi.secret(
      pulumi.all([privateKey, password]).apply(([key, pw]) => ({
        host: h.host,
        port: h.port ?? 22,
        user: h.user ?? "root",
        hostKey: h.hostKey,
        ...(key ? { privateKey: key } : {}),
        ...(pw ? { password: pw } : {}),
      })),
    ),
  }));
}
