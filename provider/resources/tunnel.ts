import { tunnelFromOptions, tunnelOptions, tunnelSchema, type TunnelInputs, type TunnelType } from "../schema/tunnel";
import { findPort, livePortSpec, portConvergeArgv, portOutputs, portRemoveArgv, portOwner, type LivePort, type PortSpec } from "../ovs/port";
import { mutate, ovsState } from "../host/facts";
import { assertOwnable, compact, createOrAdopt, kindModule, readResult, write } from "./framework";

/**
 * The life cycle shared by VxlanTunnel and GreTunnel: a port whose interface is of the tunnel type, with
 * options (remote_ip, key, ...). vxlan.ts and gre.ts export one instance each as their provider.
 */
export function tunnelProvider(type: TunnelType) {
  const KIND = type === "vxlan" ? "VxlanTunnel" : "GreTunnel";
  const schema = tunnelSchema(type);
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

  return kindModule({
    kind: KIND,
    schema,
    rules,
    parseOld: true,
    async create({ host, conn, want }) {
      await createOrAdopt(host, () => portConvergeArgv(spec(want), undefined, false), async () => {
        const existing = findPort(await ovsState(host), want.name);
        if (existing) assertOwnable(KIND, want.name, portOwner(existing), want.owner, want.adopt);
        return portConvergeArgv(spec(want));
      });
      const port = findPort(await ovsState(host), want.name);
      if (!port) throw new Error(`tunnel port ${want.name} is missing right after it was created`);
      if (port.iface?.error) throw new Error(`OVS rejected tunnel ${want.name}: ${port.iface.error}`);
      return { id: `${conn.host}/${want.bridge}/${want.name}`, outs: outputs(want, port) };
    },
    async read({ host, id, declared }) {
      const port = findPort(await ovsState(host), declared.name);
      if (!port) return {};
      const inputs = liveInputs(port, declared);
      return readResult(id, outputs(inputs, port), inputs, declared);
    },
    async update({ host, want, old }) {
      await mutate(host, write(portConvergeArgv(spec(want), spec(old))));
      const port = findPort(await ovsState(host), want.name);
      if (!port) throw new Error(`tunnel port ${want.name} is missing right after it was updated`);
      return { outs: outputs(want, port) };
    },
    async delete({ host, old }) {
      const existing = findPort(await ovsState(host), old.name);
      if (!existing || portOwner(existing) !== old.owner) return;
      await mutate(host, write(portRemoveArgv(existing)));
    },
  });
}
