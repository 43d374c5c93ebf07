import * as pulumi from "@pulumi/pulumi";
import * as provider from "../provider/resources/container";
import type { ConnectionArgs } from "./connection";
import { OvsResource } from "./internal";

/** Inputs of a {@link DockerContainer}. */
export interface DockerContainerArgs {
  /** How to reach the docker host (secret). */
  connection: pulumi.Input<ConnectionArgs>;
  /** Container name. */
  name: pulumi.Input<string>;
  /** A local image (nothing is pulled), e.g. "pulumi-ovs/busybox:latest". */
  image: pulumi.Input<string>;
  /** Command and arguments, e.g. ["sleep", "infinity"]. */
  command?: pulumi.Input<pulumi.Input<string>[]>;
  /** Environment variables. */
  env?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Labels (pulumi-ovs adds its own ownership label). */
  labels?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** no, always, unless-stopped or on-failure[:N]. Changed in place. */
  restartPolicy?: pulumi.Input<string>;
  /** Default "none": pulumi-ovs does the wiring (ContainerAttachment). */
  networkMode?: pulumi.Input<string>;
  /** Added capabilities, e.g. ["NET_ADMIN"]. */
  capAdd?: pulumi.Input<pulumi.Input<string>[]>;
  /** Run privileged. */
  privileged?: pulumi.Input<boolean>;
  /** Container host name. */
  hostname?: pulumi.Input<string>;
  /** Keep it running (default true): a stopped container shows as drift and `pulumi up` starts it. */
  running?: pulumi.Input<boolean>;
  /** Take over a container that exists and was not created by pulumi-ovs (it is re-created from the program). */
  adopt?: pulumi.Input<boolean>;
}

/** A docker container on a host, created over SSH (`docker run`), labelled as ours. */
export class DockerContainer extends OvsResource {
  /** Container name. */
  declare readonly name: pulumi.Output<string>;
  /** The image the container runs. */
  declare readonly image: pulumi.Output<string>;
  /** Full container ID. */
  declare readonly containerId: pulumi.Output<string>;
  /** PID of the container's init process (changes when it restarts). */
  declare readonly pid: pulumi.Output<number>;
  /** Whether the container runs (after a refresh: whether it was running). */
  declare readonly running: pulumi.Output<boolean>;

  constructor(name: string, args: DockerContainerArgs, opts?: pulumi.CustomResourceOptions) {
    super(provider, "DockerContainer", name, args, ["containerId", "pid", "startedAt"], opts);
  }
}
