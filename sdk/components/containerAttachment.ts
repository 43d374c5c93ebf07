import * as pulumi from "@pulumi/pulumi";
import type { ConnectionArgs } from "../connection";
import { NetNamespace } from "../netns";
import { VethPair } from "../veth";
import { OvsPort } from "../port";
import { ownerId } from "../internal";
import { shortIfName } from "./names";

/** Inputs of a {@link ContainerAttachment}. */
export interface ContainerAttachmentArgs {
  /** How to reach the container's host (secret). */
  connection: pulumi.Input<ConnectionArgs>;
  /** Container name or ID: a DockerContainer's `name`, or @pulumi/docker's `container.name`. */
  container: pulumi.Input<string>;
  /** OVS bridge to plug the container into. */
  bridge: pulumi.Input<string>;
  /** Interface name inside the container. Default "eth1" (as pipework). */
  ifName?: pulumi.Input<string>;
  /** Address with prefix length inside the container, e.g. "198.18.10.2/24" (pipework's IP/len). */
  address?: pulumi.Input<string>;
  /** Default gateway inside the container (pipework's @gateway). */
  gateway?: pulumi.Input<string>;
  /** MAC address inside the container. */
  mac?: pulumi.Input<string>;
  /** MTU of both veth ends (1400 leaves room for VXLAN/GRE over a 1500 underlay). */
  mtu?: pulumi.Input<number>;
  /** Access VLAN on the OVS port (pipework's @VID). */
  vlan?: pulumi.Input<number>;
  /** Name of the host end of the veth (default derived from this resource's name, ≤ 15 characters). */
  hostIfName?: pulumi.Input<string>;
  /** Ask OVS for this OpenFlow port number (1..65279), so flows can name the container's port statically. */
  ofportRequest?: pulumi.Input<number>;
  /**
   * Take over an attachment that pipework or ovs-docker made, as it is: its namespace link, veth (name it with
   * `hostIfName`) and OVS port are adopted in place, so no packet is lost. Then the stack owns and deletes them.
   */
  adopt?: pulumi.Input<boolean>;
}

/**
 * pipework / ovs-docker in one resource: the container's network namespace, a veth pair with one end inside
 * the container (addressed, with gateway, MAC, MTU) and the other end on an OVS bridge (with a VLAN tag).
 * TX checksum offload is turned off on both ends, which TCP needs with OVS's userspace datapath.
 * After the container restarts (new PID, fresh namespace), `pulumi up --refresh` plugs it in again.
 */
export class ContainerAttachment extends pulumi.ComponentResource {
  /** The container's network namespace, linked under /run/netns. */
  readonly namespace: NetNamespace;
  /** The veth pair: one end on the host (and the bridge), the other inside the container. */
  readonly veth: VethPair;
  /** The OVS port of the veth's host end. */
  readonly port: OvsPort;
  /** Name of the host end of the veth (also the OVS port name). */
  readonly hostIfName: pulumi.Output<string>;
  /** OpenFlow port number of the container's port, for flows. */
  readonly ofport: pulumi.Output<number | undefined>;
  /** MAC address of the interface inside the container. */
  readonly mac: pulumi.Output<string>;

  constructor(name: string, args: ContainerAttachmentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pulumi-ovs:index:ContainerAttachment", name, {}, opts);
    const child = { parent: this };
    const key = ownerId("ContainerAttachment", name);
    const hostIf = args.hostIfName ?? shortIfName("pv", key);
    const ifName = args.ifName ?? "eth1";
    const adopt = args.adopt;
    this.namespace = new NetNamespace(`${name}-ns`, { connection: args.connection, name: shortIfName("ctr-", key, 20), container: args.container, adopt }, child);
    this.veth = new VethPair(
      `${name}-veth`,
      {
        connection: args.connection,
        name: hostIf,
        peerName: ifName,
        peerNamespace: this.namespace.name,
        peerAddresses: args.address ? pulumi.output(args.address).apply((a) => [a]) : undefined,
        peerGateway: args.gateway,
        peerMac: args.mac,
        mtu: args.mtu,
        txChecksumOffload: false,
        peerTxChecksumOffload: false,
        adopt,
      },
      child,
    );
    // ovs-docker's marks (Interface external_ids), so `ovs-docker del-port/set-vlan BR IFACE CONTAINER` find this port.
    const ovsDocker = { container_id: args.container, container_iface: ifName };
    this.port = new OvsPort(
      `${name}-port`,
      { connection: args.connection, bridge: args.bridge, name: this.veth.name, tag: args.vlan, ofportRequest: args.ofportRequest, interfaceExternalIds: ovsDocker, adopt },
      child,
    );
    this.hostIfName = this.veth.name;
    this.ofport = this.port.ofport;
    this.mac = this.veth.peerMacAddress;
    this.registerOutputs({ hostIfName: this.hostIfName, ofport: this.ofport, mac: this.mac });
  }
}
