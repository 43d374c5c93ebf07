import * as pulumi from "@pulumi/pulumi";
import { DockerContainer, FlowEntry, NetNamespace, OvsBridge, hostsFromConfig } from "pulumi-ovs";

/**
 * Objects that already exist on lab h2, made by hand (a bridge, a namespace, a flow, a container), declared
 * by a stack: refused unless `adopt` is true. Config: suffix, adopt ("true" to take them over).
 */
export async function program() {
  const config = new pulumi.Config();
  const s = config.require("suffix");
  const adopt = config.getBoolean("adopt") ?? false;
  const [, h2] = hostsFromConfig(config);
  const c = h2.connection;
  const br = new OvsBridge("br", { connection: c, name: `ab${s}`, datapathType: "netdev", adopt });
  new NetNamespace("ns", { connection: c, name: `an${s}`, adopt });
  new FlowEntry("flow", { connection: c, bridge: br.name, priority: 300, match: "ip,nw_dst=198.18.170.9", actions: "drop", adopt });
  new DockerContainer("ctr", { connection: c, name: `ac${s}`, image: "pulumi-ovs/busybox:latest", command: ["sleep", "3600"], labels: { "pulumi-ovs.lab": "faults" }, adopt });
  return {};
}
