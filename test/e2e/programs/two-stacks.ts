import * as pulumi from "@pulumi/pulumi";
import { FlowEntry, NetNamespace, OvsBridge, OvsPort, VethPair, hostsFromConfig } from "pulumi-ovs";

/**
 * One of two stacks sharing a host (lab h2) and even a bridge neither of them created (`shared`, made by
 * hand): its own bridge with a namespace on a veth, plus an internal port and a flow on the shared bridge.
 * Config: suffix (this stack's), role ("a" | "b"), shared (bridge name), octet (its flow's address),
 * steal (optional: also declare a bridge of this name — another stack's).
 */
export async function program() {
  const config = new pulumi.Config();
  const s = config.require("suffix");
  const role = config.require("role");
  const shared = config.require("shared");
  const [, h2] = hostsFromConfig(config);
  const c = h2.connection;

  const own = new OvsBridge("own", { connection: c, name: `t${role}${s}`, datapathType: "netdev" });
  const ns = new NetNamespace("ns", { connection: c, name: `tn${role}${s}` });
  const veth = new VethPair("veth", { connection: c, name: `tv${role}${s}`, peerName: "eth0", peerNamespace: ns.name, peerAddresses: [`198.18.160.${config.requireNumber("octet")}/24`] });
  new OvsPort("own-port", { connection: c, bridge: own.name, name: veth.name });
  new OvsPort("shared-port", { connection: c, bridge: shared, name: `ti${role}${s}`, type: "internal", tag: 10 });
  const flow = new FlowEntry("shared-flow", { connection: c, bridge: shared, priority: 200, match: `ip,nw_dst=198.18.161.${config.requireNumber("octet")}`, actions: "drop" });

  const steal = config.get("steal");
  if (steal) new OvsBridge("steal", { connection: c, name: steal, datapathType: "netdev" });
  return { bridge: own.name, cookie: flow.cookie };
}
