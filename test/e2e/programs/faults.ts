import * as pulumi from "@pulumi/pulumi";
import { ContainerAttachment, DockerContainer, FlowEntry, NetNamespace, OvsBridge, OvsPort, VethPair, type HostConfig } from "pulumi-ovs";

/**
 * ~20 resources on one host for fault injection (a spare lab host, so faults hit nobody else):
 *   a bridge in fail_mode secure (only our flows forward: lost flows are visible as lost packets),
 *   namespaces a, b, c on it (veth + port), a container attached by ContainerAttachment,
 *   flows: NORMAL (priority 10), drop TCP to 7777 (priority 500), `fillers` drop flows for UDP 9000+k.
 * Addresses 198.18.150.1-4/24. Config: suffix, faultHost (JSON HostConfig), privateKey (secret), fillers.
 */
export async function program() {
  const config = new pulumi.Config();
  const s = config.require("suffix");
  const h = config.requireObject<HostConfig>("faultHost");
  const connection = pulumi.secret(
    config.requireSecret("privateKey").apply((privateKey) => ({
      host: h.host,
      port: h.port ?? 22,
      user: h.user,
      hostKey: h.hostKey,
      privateKey,
      // An unreachable host should fail a refresh in seconds, not minutes.
      perDialTimeout: 4,
      dialErrorLimit: 2,
    })),
  );
  const net = "198.18.150";
  const mac = (k: number) => `02:00:c6:12:96:${k.toString(16).padStart(2, "0")}`;

  const br = new OvsBridge("br", { connection, name: `fb${s}`, datapathType: "netdev", failMode: "secure" });
  ["a", "b", "c"].forEach((k, i) => {
    const ns = new NetNamespace(`ns-${k}`, { connection, name: `fn${k}${s}` });
    const veth = new VethPair(`veth-${k}`, {
      connection, name: `fv${k}${s}`, peerName: "eth0", peerNamespace: ns.name, peerAddresses: [`${net}.${i + 1}/24`], peerMac: mac(i + 1), mtu: 1400,
      txChecksumOffload: false, peerTxChecksumOffload: false,
    });
    new OvsPort(`port-${k}`, { connection, bridge: br.name, name: veth.name });
  });

  const ctr = new DockerContainer("ctr", { connection, name: `fc${s}`, image: "pulumi-ovs/busybox:latest", command: ["sleep", "3600"], labels: { "pulumi-ovs.lab": "faults" } });
  new ContainerAttachment("ctr-net", { connection, container: ctr.name, bridge: br.name, address: `${net}.4/24`, mac: mac(4), mtu: 1400 });

  const flow = (name: string, priority: number, match: string, actions: string) => new FlowEntry(name, { connection, bridge: br.name, priority, match, actions });
  const flows = [flow("normal", 10, "", "NORMAL"), flow("block-7777", 500, "tcp,tp_dst=7777", "drop")];
  for (let k = 0; k < (config.getNumber("fillers") ?? 4); k++) flows.push(flow(`filler-${k}`, 100, `udp,tp_dst=${9000 + k}`, "drop"));

  return { bridge: br.name, container: ctr.name, cookies: flows.map((f) => f.cookie) };
}
