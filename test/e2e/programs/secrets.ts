import * as pulumi from "@pulumi/pulumi";
import { FlowEntry, OvsBridge, OvsPort, type ConnectionArgs, type HostConfig } from "pulumi-ovs";

/**
 * A small stack (bridge, internal port, flow) on one lab host whose connection is built from config, to test
 * host key checks and secret handling. Config:
 *   suffix, hosts (JSON), privateKey and/or password (secrets), hostIndex (default 0),
 *   hostKeyMode: "pinned" (default; the host's own key) | "wrong" (wrongHostKey) | "unset" (no key pinned;
 *   knownHostsPath from config) | "skip" (dangerouslySkipHostKeyVerification),
 *   agentSocketPath: authenticate through this ssh-agent (the key then never enters Pulumi),
 *   actions: the flow's actions (default NORMAL).
 */
export async function program() {
  const config = new pulumi.Config();
  const s = config.require("suffix");
  const h = config.requireObject<HostConfig[]>("hosts")[config.getNumber("hostIndex") ?? 0];
  const mode = config.get("hostKeyMode") ?? "pinned";
  const agent = config.get("agentSocketPath");
  const keyCheck: Partial<ConnectionArgs> =
    mode === "pinned" ? { hostKey: h.hostKey }
    : mode === "wrong" ? { hostKey: config.require("wrongHostKey") }
    : mode === "unset" ? { knownHostsPath: config.require("knownHostsPath") }
    : { dangerouslySkipHostKeyVerification: true };
  const connection = pulumi.secret(
    pulumi.all([config.getSecret("privateKey"), config.getSecret("password")]).apply(([key, pw]) => ({
      host: h.host,
      port: h.port ?? 22,
      user: h.user,
      ...keyCheck,
      ...(key ? { privateKey: key } : {}),
      ...(pw ? { password: pw } : {}),
      ...(agent ? { agentSocketPath: agent } : {}),
      // A refused host key will not fix itself: fail on the first attempt.
      dialErrorLimit: 1,
    })),
  );
  const br = new OvsBridge("br", { connection, name: `sb${s}`, datapathType: "netdev", failMode: "secure" });
  const port = new OvsPort("port", { connection, bridge: br.name, name: `sp${s}`, type: "internal", tag: 10 });
  const flow = new FlowEntry("flow", { connection, bridge: br.name, priority: 10, match: "ip", actions: config.get("actions") ?? "NORMAL" });
  return { bridge: br.name, port: port.name, cookie: flow.cookie };
}
