import * as pulumi from "@pulumi/pulumi";
import { FlowEntry, OvsBridge, OvsPort, hostsFromConfig } from "pulumi-ovs";

/**
 * The benchmark's stack: per host one bridge, and N OVS ports and N flows spread over the hosts (access ports
 * on VLANs, one drop flow per TCP port: the shape of a site with many tenants). Config: n, hostCount, suffix,
 * mode ("real": pulumi-ovs; "real-norestore": pulumi-ovs with restoreOnBoot false; "floor": the same resources, with the same inputs and dependencies, on a provider
 * that does nothing, to measure what the engine alone costs).
 */
export async function program(): Promise<Record<string, unknown>> {
  const config = new pulumi.Config();
  const n = config.requireNumber("n");
  const s = config.require("suffix");
  const mode = config.require("mode");
  // real-norestore: the same stack keeping no restore state on the hosts (what the boot restore costs).
  const hosts = hostsFromConfig(config)
    .slice(0, config.requireNumber("hostCount"))
    .map((h) => (mode === "real-norestore" ? { ...h, connection: pulumi.secret(pulumi.output(h.connection).apply((c) => ({ ...c, restoreOnBoot: false }))) } : h));
  const kinds: Kinds = mode === "floor" ? floorKinds() : { OvsBridge, OvsPort, FlowEntry };

  const bridges = hosts.map((h, i) => new kinds.OvsBridge(`br-${h.name}`, { connection: h.connection, name: `bb${s}${i}`, datapathType: "netdev", failMode: "secure" }));
  for (let k = 0; k < n; k++) {
    const i = k % hosts.length;
    const c = hosts[i].connection;
    new kinds.OvsPort(`port-${k}`, { connection: c, bridge: bridges[i].name, name: `p${s}${k}`, type: "internal", tag: 100 + (k % 400) });
    new kinds.FlowEntry(`flow-${k}`, { connection: c, bridge: bridges[i].name, table: 0, priority: 1000 + k, match: `tcp,tp_dst=${10000 + k}`, actions: "drop" });
  }
  return { bridges: bridges.map((b) => b.name) };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Ctor<T = object> = new (name: string, args: any) => T;
interface Kinds {
  OvsBridge: Ctor<{ name: pulumi.Output<string> }>;
  OvsPort: Ctor;
  FlowEntry: Ctor;
}

/** Dynamic resources with pulumi-ovs' inputs (the connection a secret, the owner) on the no-op provider. */
function floorKinds(): Kinds {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const floor = require("pulumi-ovs-floor") as pulumi.dynamic.ResourceProvider;
  const kind = (type: string) =>
    class extends pulumi.dynamic.Resource {
      declare readonly name: pulumi.Output<string>;
      constructor(name: string, args: Record<string, unknown>) {
        const props = { ...args, connection: pulumi.secret(args.connection), owner: `${pulumi.getProject()}/${pulumi.getStack()}/${type}/${name}`, uuid: undefined };
        super(floor, name, props, { additionalSecretOutputs: ["connection"] }, "floor", type);
      }
    };
  return { OvsBridge: kind("OvsBridge"), OvsPort: kind("OvsPort"), FlowEntry: kind("FlowEntry") };
}
