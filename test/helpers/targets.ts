import type { ProviderModule } from "./provider";
import * as bridge from "../../provider/resources/bridge";
import * as port from "../../provider/resources/port";
import * as vxlan from "../../provider/resources/vxlan";
import * as gre from "../../provider/resources/gre";
import * as netns from "../../provider/resources/netns";
import * as veth from "../../provider/resources/veth";
import * as flow from "../../provider/resources/flow";
import * as container from "../../provider/resources/container";
import * as route from "../../provider/resources/route";
import * as nat from "../../provider/resources/nat";

/**
 * One valid input set per resource kind (and per shape of a kind: trunk and patch ports, a container's
 * namespace): the base that the hostile corpus and the input property tests change one property of.
 */

export const CONN = { host: "198.18.0.11", port: 22, user: "povs", privateKey: "not-a-real-key" };
const owner = (k: string) => `proj/stack/${k}/x`;

export type Inputs = Record<string, unknown>;
export interface Target {
  resource: string;
  mod: ProviderModule;
  base: Inputs;
}

export const T = {
  bridge: {
    resource: "OvsBridge", mod: bridge,
    base: { connection: CONN, owner: owner("OvsBridge"), name: "br0", datapathType: "netdev", failMode: "secure", protocols: ["OpenFlow13"], externalIds: { k: "v" }, otherConfig: { "hwaddr": "02:00:00:00:00:01" }, controllers: ["tcp:198.18.0.1:6653"] },
  },
  port: {
    resource: "OvsPort", mod: port,
    base: { connection: CONN, owner: owner("OvsPort"), bridge: "br0", name: "p0", type: "internal", tag: 100, vlanMode: "access", mac: "02:00:00:00:00:02", externalIds: { k: "v" }, options: { k: "v" }, addresses: ["198.18.1.2/24"], netns: "ns0" },
  },
  trunk: { resource: "OvsPort", mod: port, base: { connection: CONN, owner: owner("OvsPort"), bridge: "br0", name: "eth1", trunks: [100, 200], vlanMode: "trunk" } },
  patch: { resource: "OvsPort", mod: port, base: { connection: CONN, owner: owner("OvsPort"), bridge: "br0", name: "pa0", type: "patch", peer: "pa1" } },
  vxlan: {
    resource: "VxlanTunnel", mod: vxlan,
    base: { connection: CONN, owner: owner("VxlanTunnel"), bridge: "br0", name: "vx0", remoteIp: "198.19.0.12", localIp: "198.19.0.11", key: 100, dstPort: 4789, tos: "inherit", ttl: 64, options: { csum: "true" }, externalIds: { k: "v" } },
  },
  gre: {
    resource: "GreTunnel", mod: gre,
    base: { connection: CONN, owner: owner("GreTunnel"), bridge: "br0", name: "gre0", remoteIp: "198.19.0.12", inKey: 5, outKey: 6, ttl: "inherit", options: { csum: "true" } },
  },
  netns: { resource: "NetNamespace", mod: netns, base: { connection: CONN, owner: owner("NetNamespace"), name: "ns0" } },
  ctrns: { resource: "NetNamespace", mod: netns, base: { connection: CONN, owner: owner("NetNamespace"), name: "ctr-ns0", container: "web" } },
  veth: {
    resource: "VethPair", mod: veth,
    base: {
      connection: CONN, owner: owner("VethPair"), name: "v0", namespace: "nsa", peerName: "eth0", peerNamespace: "nsb", mtu: 1400, mac: "02:00:00:00:00:03", peerMac: "02:00:00:00:00:04",
      addresses: ["198.18.1.1/24"], peerAddresses: ["198.18.1.2/24"], gateway: "198.18.1.2", peerGateway: "198.18.1.1",
    },
  },
  flow: { resource: "FlowEntry", mod: flow, base: { connection: CONN, owner: owner("FlowEntry"), bridge: "br0", table: 0, priority: 100, match: "ip,nw_dst=198.18.1.2", actions: "output:2", idleTimeout: 0 } },
  container: {
    resource: "DockerContainer", mod: container,
    base: {
      connection: CONN, owner: owner("DockerContainer"), name: "web", image: "pulumi-ovs/busybox:latest", command: ["sleep", "3600"], env: { A: "b" }, labels: { "com.example.role": "x" },
      restartPolicy: "no", networkMode: "none", capAdd: ["NET_ADMIN"], hostname: "web",
    },
  },
  route: { resource: "Route", mod: route, base: { connection: CONN, owner: owner("Route"), namespace: "ns0", destination: "198.18.42.0/24", via: "198.18.1.1", dev: "eth0", metric: 10, src: "198.18.1.2" } },
  nat: {
    resource: "NatRule", mod: nat,
    base: { connection: CONN, owner: owner("NatRule"), chain: "POSTROUTING", source: "198.18.1.0/24", outInterface: "eth0", protocol: "tcp", destinationPort: 80, jump: "MASQUERADE", position: "last" },
  },
} satisfies Record<string, Target>;
