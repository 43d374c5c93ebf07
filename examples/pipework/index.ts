import * as pulumi from "@pulumi/pulumi";
import { ContainerAttachment, DockerContainer, OvsBridge, hostsFromConfig } from "pulumi-ovs";

/**
 * pipework and ovs-docker parity (seeds 002 §2 and 003 两台主机通过交换机通信):
 *   pipework ovsbr0 web1 198.18.14.11/24@198.18.14.1 fa:de:b0:99:52:1c @10
 *     -> ContainerAttachment { container: "web1", address, gateway, mac, vlan } (eth1 inside)
 *   ovs-docker add-port vswitch eth0 vm1 --ipaddress=198.18.14.12/24 --gateway=198.18.14.1
 *     -> ContainerAttachment { ifName: "eth0", ... }
 * `external` names a container made outside this stack (docker run, or @pulumi/docker's container.name).
 */
async function program() {
  const config = new pulumi.Config();
  const prefix = config.get("prefix") ?? "";
  const subnet = config.get("subnet") ?? "198.18.14";
  const image = config.get("image") ?? "pulumi-ovs/busybox:latest";
  const external = config.get("external"); // optional: a container this stack did not create
  const [host] = hostsFromConfig(config);
  const c = { connection: host.connection };

  const br = new OvsBridge("ovsbr0", { ...c, name: `${prefix}ovsbr0`, datapathType: "netdev" });
  // The gateway the containers use: an internal port with the .1 address.
  const web1 = new DockerContainer("web1", { ...c, name: `${prefix}web1`, image, command: ["sleep", "infinity"] });
  const vm1 = new DockerContainer("vm1", { ...c, name: `${prefix}vm1`, image, command: ["sleep", "infinity"] });
  const vm2 = new DockerContainer("vm2", { ...c, name: `${prefix}vm2`, image, command: ["sleep", "infinity"] });

  const pw = new ContainerAttachment("web1-net", {
    ...c, container: web1.name, bridge: br.name, address: `${subnet}.11/24`, gateway: `${subnet}.1`, mac: "fa:de:b0:99:52:1c", mtu: 1400, vlan: 10,
  });
  new ContainerAttachment("vm1-net", { ...c, container: vm1.name, bridge: br.name, ifName: "eth0", address: `${subnet}.12/24`, gateway: `${subnet}.1`, mtu: 1400, vlan: 10 });
  // Same subnet, another VLAN: isolated from web1 and vm1.
  new ContainerAttachment("vm2-net", { ...c, container: vm2.name, bridge: br.name, ifName: "eth0", address: `${subnet}.13/24`, mtu: 1400, vlan: 20 });
  if (external) {
    new ContainerAttachment("external-net", { ...c, container: external, bridge: br.name, address: `${subnet}.14/24`, mac: "02:00:c6:12:0e:0e", mtu: 1400, vlan: 10 });
  }
  return { web1Mac: pw.mac, bridge: br.name };
}
export = program;
