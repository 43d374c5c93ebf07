import * as pulumi from "@pulumi/pulumi";
import { ContainerAttachment, DockerContainer, FlowEntry, NatRule, NetNamespace, OvsBridge, OvsPort, Route, VethPair, type HostConfig } from "pulumi-ovs";

/**
 * The reboot restore's stack (docs/reboot.md), on one spare host: a bridge in fail_mode secure (only our flows
 * forward), namespaces a and b on it (veth + port), a container attached by ContainerAttachment, a route in
 * namespace a to a network behind b, a NAT rule in b, and flows (NORMAL, drop TCP to 7777). Config: suffix,
 * net (first three octets, 198.18.x), restoreHost (JSON HostConfig), privateKey (secret).
 */
export async function program() {
  const config = new pulumi.Config();
  const s = config.require("suffix");
  const net = config.require("net");
  const h = config.requireObject<HostConfig>("restoreHost");
  const connection = pulumi.secret(
    config.requireSecret("privateKey").apply((privateKey) => ({ host: h.host, port: h.port ?? 22, user: h.user, hostKey: h.hostKey, privateKey })),
  );
  const mac = (k: number) => `02:00:c6:13:${(Number(net.split(".")[2]) % 256).toString(16).padStart(2, "0")}:${k.toString(16).padStart(2, "0")}`;

  const br = new OvsBridge("br", { connection, name: `rb${s}`, datapathType: "netdev", failMode: "secure" });
  const veths: VethPair[] = [];
  const nss = ["a", "b"].map((k, i) => {
    const ns = new NetNamespace(`ns-${k}`, { connection, name: `rn${k}${s}` });
    const veth = new VethPair(`veth-${k}`, {
      connection, name: `rv${k}${s}`, peerName: "eth0", peerNamespace: ns.name, peerAddresses: [`${net}.${i + 1}/24`], peerMac: mac(i + 1), mtu: 1400,
      txChecksumOffload: false, peerTxChecksumOffload: false,
    });
    new OvsPort(`port-${k}`, { connection, bridge: br.name, name: veth.name });
    veths.push(veth);
    return ns;
  });
  // Behind b: 198.18.(x+1).1 on a veth inside b, reached from a through the route.
  const far = `${net.split(".").slice(0, 2).join(".")}.${Number(net.split(".")[2]) + 1}`;
  new VethPair("veth-far", { connection, name: "far0", namespace: nss[1].name, peerName: "far1", peerNamespace: nss[1].name, addresses: [`${far}.1/24`], peerAddresses: [`${far}.2/24`] });
  new Route("route-far", { connection, namespace: nss[0].name, destination: `${far}.0/24`, via: `${net}.2` }, { dependsOn: veths });
  new NatRule("nat-b", { connection, namespace: nss[1].name, chain: "POSTROUTING", source: `${net}.0/24`, outInterface: "far0", jump: "MASQUERADE" });

  const ctr = new DockerContainer("ctr", { connection, name: `rc${s}`, image: "pulumi-ovs/busybox:latest", command: ["sleep", "3600"], restartPolicy: "always", labels: { "pulumi-ovs.lab": "restore" } });
  new ContainerAttachment("ctr-net", { connection, container: ctr.name, bridge: br.name, address: `${net}.4/24`, mac: mac(4), mtu: 1400 });

  new FlowEntry("normal", { connection, bridge: br.name, priority: 10, match: "", actions: "NORMAL" });
  new FlowEntry("block-7777", { connection, bridge: br.name, priority: 500, match: "tcp,tp_dst=7777", actions: "drop" });
  return { bridge: br.name, container: ctr.name };
}
