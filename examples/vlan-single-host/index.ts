import * as pulumi from "@pulumi/pulumi";
import { ContainerAttachment, DockerContainer, OvsBridge, hostsFromConfig } from "pulumi-ovs";

/**
 * Seeds 000 (单节点上使用ovs vlan划分网络) and 002 §4 (OVS划分VLAN): one host, four containers on one OVS
 * bridge, con1/con2 on VLAN 100 and con3/con4 on VLAN 200, all in one subnet: only the VLAN separates them.
 *   pipework ovs0 con1 192.168.0.1/24 @100   ->   ContainerAttachment { address, vlan: 100 }
 */
async function program() {
  const config = new pulumi.Config();
  const prefix = config.get("prefix") ?? "";
  const subnet = config.get("subnet") ?? "198.18.10"; // a /24; seed: 192.168.0.0/24
  const vlans = config.getObject<number[]>("vlans") ?? [100, 200];
  const image = config.get("image") ?? "pulumi-ovs/busybox:latest";
  const [host] = hostsFromConfig(config);
  const c = { connection: host.connection };

  const br = new OvsBridge("ovs0", { ...c, name: `${prefix}ovs0`, datapathType: "netdev" });
  const out: Record<string, { ip: string; vlan: number }> = {};
  for (let n = 1; n <= 4; n++) {
    const name = `${prefix}con${n}`;
    const vlan = n <= 2 ? vlans[0] : vlans[1];
    const ctr = new DockerContainer(name, { ...c, name, image, command: ["sleep", "infinity"] });
    new ContainerAttachment(`${name}-net`, { ...c, container: ctr.name, bridge: br.name, address: `${subnet}.${n}/24`, vlan, mtu: 1400 });
    out[name] = { ip: `${subnet}.${n}`, vlan };
  }
  return { host: host.name, containers: out };
}
export = program;
