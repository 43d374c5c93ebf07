import type * as dynamic from "@pulumi/pulumi/dynamic";
import { tunnelFromOptions, tunnelOptions, tunnelSchema, type TunnelInputs, type TunnelType } from "../schema/tunnel";
import { findPort, livePortSpec, portConvergeArgv, portOutputs, portRemoveArgv, portOwner, type LivePort, type PortSpec } from "../ovs/port";
import { mutate, ovsState } from "../host/facts";
import { assertOwnable, checkInputs, compact, createOrAdopt, diffInputs, hostOf, parseInputs, readResult, step, write } from "./framework";

/**
 * The life cycle shared by VxlanTunnel and GreTunnel: a port whose interface is of the tunnel type, with
 * options (remote_ip, key, ...). vxlan.ts and gre.ts export one instance each as their provider.
 */
export function tunnelProvider(type: TunnelType) {
  const KIND = type === "vxlan" ? "VxlanTunnel" : "GreTunnel";
  const schema = tunnelSchema(type);
  const keys = Object.keys(schema.shape);
  const rules = { replaceKeys: ["bridge", "name"], identityKeys: ["name"] };

  const spec = (t: TunnelInputs): PortSpec => ({
    bridge: t.bridge,
    name: t.name,
    owner: t.owner,
    type,
    options: tunnelOptions(t),
    ofportRequest: t.ofportRequest,
    protected: t.protected,
    externalIds: t.externalIds,
  });

  function liveInputs(port: LivePort, declared: TunnelInputs): TunnelInputs {
    const s = livePortSpec(port, spec(declared));
    return compact({
      ...declared,
      bridge: s.bridge,
      ...tunnelFromOptions(declared, port.iface?.options ?? {}),
      ofportRequest: s.ofportRequest,
      protected: s.protected,
      externalIds: s.externalIds,
    }) as TunnelInputs;
  }

  const outputs = (inputs: TunnelInputs, port: LivePort) => compact({ ...inputs, ...portOutputs(port) });

  return {
    async check(_olds: Record<string, unknown>, news: Record<string, unknown>): Promise<dynamic.CheckResult> {
      return checkInputs(schema, news);
    },

    async diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<dynamic.DiffResult> {
      return diffInputs(keys, rules, olds, news);
    },

    async create(raw: Record<string, unknown>): Promise<dynamic.CreateResult> {
      const want = parseInputs(schema, raw);
      return step(KIND, want.name, want, async () => {
        const { host, conn } = hostOf(want);
        await createOrAdopt(host, () => portConvergeArgv(spec(want), undefined, false), async () => {
          const existing = findPort(await ovsState(host), want.name);
          if (existing) assertOwnable(KIND, want.name, portOwner(existing), want.owner, want.adopt);
          return portConvergeArgv(spec(want));
        });
        const port = findPort(await ovsState(host), want.name);
        if (!port) throw new Error(`tunnel port ${want.name} is missing right after it was created`);
        if (port.iface?.error) throw new Error(`OVS rejected tunnel ${want.name}: ${port.iface.error}`);
        return { id: `${conn.host}/${want.bridge}/${want.name}`, outs: outputs(want, port) };
      });
    },

    async read(id: string, props: Record<string, unknown>): Promise<dynamic.ReadResult> {
      const declared = parseInputs(schema, props);
      return step(KIND, declared.name, declared, async () => {
        const { host } = hostOf(declared);
        const port = findPort(await ovsState(host), declared.name);
        if (!port) return {};
        const inputs = liveInputs(port, declared);
        return readResult(id, outputs(inputs, port), inputs, declared);
      });
    },

    async update(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<dynamic.UpdateResult> {
      const old = parseInputs(schema, olds);
      const want = parseInputs(schema, news);
      return step(KIND, want.name, want, async () => {
        const { host } = hostOf(want);
        await mutate(host, write(portConvergeArgv(spec(want), spec(old))));
        const port = findPort(await ovsState(host), want.name);
        if (!port) throw new Error(`tunnel port ${want.name} is missing right after it was updated`);
        return { outs: outputs(want, port) };
      });
    },

    async delete(_id: string, props: Record<string, unknown>): Promise<void> {
      const old = parseInputs(schema, props);
      await step(KIND, old.name, old, async () => {
        const { host } = hostOf(old);
        const existing = findPort(await ovsState(host), old.name);
        if (!existing || portOwner(existing) !== old.owner) return;
        await mutate(host, write(portRemoveArgv(existing)));
      });
    },
  };
}
