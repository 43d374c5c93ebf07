import * as pulumi from "@pulumi/pulumi";
import { ContainerAttachment, DockerContainer, OvsBridge, OvsPort, hostsFromConfig } from "pulumi-ovs";

/**
 * pipework and ovs-docker, declared (seeds 002 §2 "pipework 原理解析" and 003 "两台主机通过交换机通信"):
 *
 *   by hand                                                        here (default config)
 *   ovs-vsctl add-br ovsbr0                                        OvsBridge <prefix>ovsbr0
 *   (the LAN's router in 002 §2.1)                                 OvsPort <prefix>gw: internal, .1, VLAN A
 *   pipework ovsbr0 web1 IP/24@GW fa:de:b0:99:52:1c @VLAN_A        ContainerAttachment: eth1, .11, gateway .1,
 *                                                                    MAC fa:de:b0:99:52:1c, MTU, VLAN A
 *   docker run --net=none --name vm1 ...                           DockerContainer { networkMode: "none" }
 *   ovs-docker add-port ovsbr0 eth0 vm1 --ipaddress=IP/24          ContainerAttachment: ifName eth0, .12,
 *     --gateway=GW                                                   gateway .1, VLAN A
 *   ovs-docker add-port ovsbr0 eth0 vm2 --ipaddress=IP/24 (VLAN B) ContainerAttachment: eth0, .13, VLAN B
 *   pipework ovsbr0 <a container made elsewhere> IP/24@GW @VLAN_A  ContainerAttachment { container: "its name" }
 *
 * vm2 is in the same subnet as the others but on VLAN B: it reaches neither them nor the gateway.
 * Fixed MACs everywhere: after a container restart the attachment is re-plugged with the same MAC, so the
 * neighbours' ARP caches stay valid.
 */

/** The n-th address of an IPv4 subnet with its prefix length: ("198.18.14.0/24", 11) -> "198.18.14.11/24". */
function nth(subnet: string, n: number): string {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(subnet);
  if (!m) throw new Error(`subnet must be an IPv4 CIDR such as 198.18.14.0/24, got ${JSON.stringify(subnet)}`);
  const v = m.slice(1, 5).reduce((a, o) => a * 256 + Number(o), 0) + n;
  return `${[24, 16, 8, 0].map((s) => (v >>> s) & 255).join(".")}/${m[5]}`;
}

/** A locally administered MAC made from an IPv4 address: 198.18.14.12 -> 02:00:c6:12:0e:0c. */
const macOf = (ip: string) => `02:00:${ip.split(".").map((o) => Number(o).toString(16).padStart(2, "0")).join(":")}`;
const ipOf = (cidr: string) => cidr.split("/")[0];

async function program() {
  const config = new pulumi.Config();
  const prefix = config.get("prefix") ?? "";
  const subnet = config.get("subnet") ?? "198.18.14.0/24"; // the seeds' LAN subnets, mapped into 198.18.0.0/15
  const gateway = ipOf(config.get("gateway") ?? nth(subnet, 1));
  const vlanA = config.getNumber("vlanA") ?? 10;
  const vlanB = config.getNumber("vlanB") ?? 20;
  const mtu = config.getNumber("mtu") ?? 1400;
  const webMac = config.get("webMac") ?? "fa:de:b0:99:52:1c"; // the seed's pipework MAC example
  const image = config.get("image") ?? "pulumi-ovs/busybox:latest";
  const external = config.get("external"); // optional: a container this stack did not create, by name
  const hosts = hostsFromConfig(config);
  const hostName = config.get("host") ?? hosts[0]?.name;
  const host = hosts.find((h) => h.name === hostName);
  if (!host) throw new Error(`pipework: no host named ${hostName} in config \`hosts\``);
  const c = { connection: host.connection };
  const len = subnet.split("/")[1];

  const br = new OvsBridge("ovsbr0", { ...c, name: `${prefix}ovsbr0`, datapathType: "netdev" });
  // The containers' default gateway: an address on the bridge's VLAN A (a router would sit here).
  new OvsPort("gw", { ...c, bridge: br.name, name: `${prefix}gw`, type: "internal", tag: vlanA, addresses: [`${gateway}/${len}`], mac: macOf(gateway) });

  const container = (name: string) =>
    new DockerContainer(name, { ...c, name: `${prefix}${name}`, image, command: ["sleep", "infinity"], networkMode: "none", restartPolicy: "no" });
  const web1 = container("web1");
  const vm1 = container("vm1");
  const vm2 = container("vm2");

  const plugs: Record<string, { att: ContainerAttachment; address: string; ifName: string; vlan: number }> = {};
  const plug = (key: string, ctr: pulumi.Input<string>, ifName: string, n: number, vlan: number, opts: { gateway?: string; mac?: string } = {}) => {
    const address = nth(subnet, n);
    const att = new ContainerAttachment(`${key}-net`, {
      ...c, container: ctr, bridge: br.name, ifName, address, gateway: opts.gateway, mac: opts.mac ?? macOf(ipOf(address)), mtu, vlan,
    });
    plugs[key] = { att, address, ifName, vlan };
  };
  // pipework: eth1 inside, address@gateway, MAC, @VLAN.
  plug("web1", web1.name, "eth1", 11, vlanA, { gateway, mac: webMac });
  // ovs-docker: eth0 inside a --net=none container, --ipaddress and --gateway.
  plug("vm1", vm1.name, "eth0", 12, vlanA, { gateway });
  plug("vm2", vm2.name, "eth0", 13, vlanB, { gateway });
  // Anything that takes a container takes a plain name (docker run, @pulumi/docker's container.name, ...).
  if (external) plug("external", external, "eth1", 14, vlanA, { gateway });

  const attachments = Object.fromEntries(
    Object.entries(plugs).map(([key, p]) => [
      key,
      { container: key === "external" ? external : `${prefix}${key}`, ip: ipOf(p.address), address: p.address, ifName: p.ifName, vlan: p.vlan, mac: p.att.mac, port: p.att.hostIfName, netns: p.att.namespace.name },
    ]),
  );
  return { host: host.name, bridge: br.name, gateway, mtu, attachments };
}
export = program;
