/**
 * pulumi-ovs: declare Open vSwitch bridges, ports, tunnels, flows, network namespaces, veth pairs and
 * containers on many Linux hosts; Pulumi builds them over SSH.
 */
export type { ConnectionArgs } from "./connection";
export { OvsBridge, type OvsBridgeArgs } from "./bridge";
export { OvsPort, type OvsPortArgs } from "./port";
export { VxlanTunnel, GreTunnel, type VxlanTunnelArgs, type GreTunnelArgs, type TunnelArgs } from "./tunnel";
export { hostsFromConfig, type Host, type HostConfig } from "./config";
export { DockerContainer, type DockerContainerArgs } from "./container";
export { FlowEntry, type FlowEntryArgs } from "./flow";
export { NetNamespace, type NetNamespaceArgs } from "./netns";
export { VethPair, type VethPairArgs } from "./veth";
export { ContainerAttachment, type ContainerAttachmentArgs } from "./components/containerAttachment";
export { TunnelMesh, type TunnelMeshArgs, type MeshHost } from "./components/tunnelMesh";
export { topologyFromState, toMermaid, toSvg, type Topology, type TopoHost, type TopoBridge, type TopoPort, type TopoLink } from "./topology";
export { Route, type RouteArgs } from "./route";
export { NatRule, type NatRuleArgs } from "./nat";
