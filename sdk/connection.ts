import type * as pulumi from "@pulumi/pulumi";

/**
 * How pulumi-ovs reaches a host: the shape users know from pulumi-command's remote `Connection`.
 * The whole object is stored as a secret.
 */
export interface ConnectionArgs {
  /** Host name or IP address of the host's sshd. */
  host: pulumi.Input<string>;
  /** sshd port. Default 22. */
  port?: pulumi.Input<number>;
  /** Login user. Default "root". Any other user runs commands through `sudo -n` (passwordless sudo needed). */
  user?: pulumi.Input<string>;
  /** Password for password authentication. */
  password?: pulumi.Input<string>;
  /** Private key (PEM/OpenSSH text) for public key authentication. */
  privateKey?: pulumi.Input<string>;
  /** Passphrase of an encrypted private key. */
  privateKeyPassword?: pulumi.Input<string>;
  /** Path of an ssh-agent socket (e.g. process.env.SSH_AUTH_SOCK). */
  agentSocketPath?: pulumi.Input<string>;
  /** The host's public key ("ssh-ed25519 AAAA...") or its fingerprint ("SHA256:..."); verified on every connect. */
  hostKey?: pulumi.Input<string>;
  /** known_hosts file to verify the host key against when no hostKey is pinned. Default ~/.ssh/known_hosts. */
  knownHostsPath?: pulumi.Input<string>;
  /** Turn host key verification OFF. Anyone on the path can then impersonate the host. */
  dangerouslySkipHostKeyVerification?: pulumi.Input<boolean>;
  /** Run commands through `sudo -n`. Default: true unless user is root. */
  sudo?: pulumi.Input<boolean>;
  /** Seconds to wait for the SSH handshake. Default 15. */
  perDialTimeout?: pulumi.Input<number>;
  /** Connection attempts before giving up. Default 3. */
  dialErrorLimit?: pulumi.Input<number>;
  /** Seconds a single remote command may run. Default 120. */
  commandTimeout?: pulumi.Input<number>;
  /** Concurrent SSH channels on the one pooled connection. Default 8 (OpenSSH allows 10). */
  maxChannels?: pulumi.Input<number>;
  /**
   * Safe apply, in seconds (10 to 3600): before a change to this host's links, addresses, routes, bridges, ports
   * or flows, the provider arms a revert on the host that runs after this many seconds, and disarms it only once
   * it reached the host again on a new SSH connection. A change that cuts the way in undoes itself. Resources
   * that share a host share the setting: the longest asked for applies. Off by default. See docs/safe-apply.md.
   */
  rollbackAfter?: pulumi.Input<number>;
  /** A jump host, like `ssh -J`. */
  proxy?: pulumi.Input<Omit<ConnectionArgs, "proxy" | "restoreOnBoot" | "rollbackAfter">>;
  /**
   * Re-create what the stack declared on this host after a reboot, with nobody running `pulumi up`
   * (docs/reboot.md): the host keeps the stack's state in /var/lib/pulumi-ovs and, where systemd runs, a
   * `pulumi-ovs-restore.service` unit applies it at boot. Default true; false: nothing is written to the host.
   * Resources on one host should agree.
   */
  restoreOnBoot?: pulumi.Input<boolean>;
}
