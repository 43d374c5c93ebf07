import * as pulumi from "@pulumi/pulumi";
import { OvsBridge, OvsPort, hostsFromConfig } from "pulumi-ovs";

/** The smallest stack: one bridge, one tagged internal port. Tag and name come from config. */
export async function program() {
  const config = new pulumi.Config();
  const [h1] = hostsFromConfig(config);
  const br = new OvsBridge("br", { connection: h1.connection, name: config.require("bridge"), datapathType: "netdev" });
  const port = new OvsPort("p", {
    connection: h1.connection,
    bridge: br.name,
    name: config.require("port"),
    type: "internal",
    tag: config.requireNumber("tag"),
  });
  return { bridge: br.name, ofport: port.ofport };
}
