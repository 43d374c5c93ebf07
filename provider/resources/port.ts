import { portSchema, type PortInputs } from "../schema/port";
import { bindingIsStale, findPort, livePortSpec, portConvergeArgv, portOutputs, portRemoveArgv, portOwner, type LivePort, type PortSpec } from "../ovs/port";
import { addressChanges, declaredAddresses, ipArgv, isUp, kernelOrderAddresses } from "../ip/ip";
import { linksIn, mutate, ovsState, query, writeThenRead } from "../host/facts";
import { type MoveSet, moveAgainSteps, moveCommands, moveScriptArgv, parseRoutesThrough, routesThroughArgv } from "../ip/move";
import type { SshHost } from "../transport/pool";
import type { RemoteCommand } from "../transport/command";
import { commandError, ok } from "../ip/batch";
import { vsctlWriteReleasingTaps } from "../ovs/merge";
import { assertOwnable, compact, createOrAdopt, kindModule, readResult, write } from "./framework";
import { PHASE, type RestoreStep } from "../host/restore-file";

/**
 * OvsPort: a port on a bridge (system, internal or patch) with VLAN settings; an internal port can also get
 * addresses, link state, and a namespace to live in. This module's exports are the dynamic provider.
 */

const KIND = "OvsPort";
const rules = { replaceKeys: ["bridge", "name", "netns", "moveAddressesTo"], identityKeys: ["name"] };

function spec(i: PortInputs): PortSpec {
  return {
    bridge: i.bridge,
    name: i.name,
    owner: i.owner,
    // "system" is OVS's empty type; only write the type when declared.
    type: i.type === undefined ? undefined : i.type === "system" ? "" : i.type,
    tag: i.tag,
    trunks: i.trunks,
    vlanMode: i.vlanMode,
    protected: i.protected,
    options: i.peer ? { ...i.options, peer: i.peer } : i.options,
    ofportRequest: i.ofportRequest,
    mtuRequest: i.mtuRequest,
    mac: i.mac,
    externalIds: i.externalIds,
    interfaceExternalIds: i.interfaceExternalIds,
  };
}

/** ip commands that give an internal port its namespace, addresses and link state. */
async function linkCommands(host: SshHost, want: PortInputs, old?: PortInputs): Promise<RemoteCommand[]> {
  if (want.type !== "internal" || (want.addresses === undefined && want.up === undefined && want.netns === undefined && !old?.addresses)) return [];
  const cmds: RemoteCommand[] = [];
  const here = (await linksIn(host, want.netns)).find((l) => l.ifname === want.name);
  if (!here && want.netns) {
    // Freshly created internal ports appear in the root namespace: move it into its namespace.
    cmds.push({ argv: ipArgv(undefined, "link", "set", "dev", want.name, "netns", want.netns) });
  }
  const have = here ? kernelOrderAddresses(here) : [];
  cmds.push(...addressChanges(want.netns, want.name, have, want.addresses ?? []).map((argv) => ({ argv })));
  const up = want.up ?? (want.addresses !== undefined || want.netns !== undefined ? true : undefined);
  if (up !== undefined && (!here || isUp(here) !== up)) {
    cmds.push({ argv: ipArgv(want.netns, "link", "set", "dev", want.name, up ? "up" : "down") });
  }
  return cmds;
}

/**
 * At boot OVSDB still has the port and ovs-vswitchd opens its device once it exists again (a veth the restore
 * re-creates): a system port only records that binding (see bindingIsStale); after a docker restart the restore
 * script adds it afresh with this port's own add command. An internal port's device comes
 * back in the host's namespace, without addresses: it is moved, addressed and set up as linkCommands does.
 */
export function restoreSteps(want: PortInputs, outs?: Record<string, unknown>): RestoreStep[] {
  // A management move is made again: the NIC's boot configuration gives it back its addresses (docs/reboot.md).
  const moved = want.moveAddressesTo && outs ? movedOf(outs) : undefined;
  const again = moved ? moveAgainSteps(want.name, want.moveAddressesTo!, moved) : [];
  if ((want.type ?? "system") === "system") return [{ argv: ["povs_mark_bound", want.name, ...portConvergeArgv(spec(want))] }, ...again];
  if (want.type !== "internal" || (want.addresses === undefined && want.up === undefined && want.netns === undefined)) return [];
  const move = want.netns ? [{ argv: ipArgv(undefined, "link", "set", "dev", want.name, "netns", want.netns), unless: ipArgv(want.netns, "link", "show", "dev", want.name) }] : [];
  const up = want.up ?? true;
  return [
    ...move,
    ...addressChanges(want.netns, want.name, [], want.addresses ?? []).map((argv) => ({ argv })),
    { argv: ipArgv(want.netns, "link", "set", "dev", want.name, up ? "up" : "down") },
  ];
}

/**
 * The management move (ip/move.ts): the NIC joins the bridge and its addresses and routes move to the bridge's
 * internal port, in one host-side script that is always armed with a revert (transport/safe-apply-run.ts).
 */
async function createMoving(host: SshHost, want: PortInputs, to: string): Promise<MoveSet> {
  const nic = (await linksIn(host)).find((l) => l.ifname === want.name);
  if (!nic) throw new Error(`moveAddressesTo: ${want.name} is not a link in the host's root namespace`);
  const target = findPort(await ovsState(host), to);
  if (target?.bridge !== want.bridge || target.iface?.type !== "internal") {
    throw new Error(`moveAddressesTo: ${to} must be an internal port of bridge ${want.bridge} (the bridge's own port has its name)`);
  }
  const reads = (["4", "6"] as const).map((family) => ({ argv: routesThroughArgv(family, want.name) }));
  const [r4, r6] = (await query(host, reads)).map((r, i) => {
    if (!ok(r)) throw commandError(host, reads[i], r ?? { code: -1, stdout: "", stderr: "did not run" });
    return r.stdout;
  });
  const set: MoveSet = { addresses: kernelOrderAddresses(nic), routes: [...parseRoutesThrough("4", r4), ...parseRoutesThrough("6", r6)] };
  await mutate(host, { argv: moveScriptArgv(moveCommands(want.name, to, set, [portConvergeArgv(spec(want), undefined, false)])), armRevert: true });
  return set;
}

/** What a management move recorded in the state (outputs), to move back at delete. */
function movedOf(props: Record<string, unknown>): MoveSet | undefined {
  if (!Array.isArray(props.movedAddresses)) return undefined;
  return { addresses: props.movedAddresses as string[], routes: Array.isArray(props.movedRoutes) ? (props.movedRoutes as MoveSet["routes"]) : [] };
}

async function apply(host: SshHost, want: PortInputs, old?: PortInputs, creating = false): Promise<void> {
  if (creating) {
    await createOrAdopt(host, () => portConvergeArgv(spec(want), undefined, false), async () => {
      const existing = findPort(await ovsState(host), want.name);
      if (existing) assertOwnable(KIND, want.name, portOwner(existing), want.owner, want.adopt);
      // Adopting someone else's port keeps it as it is (same row and ofport, traffic flows on): write in place.
      if (existing && portOwner(existing) !== want.owner) return portConvergeArgv(spec(want));
      // Ours: add it afresh so OVS binds to the device that exists now (see bindingIsStale).
      // Two transactions on purpose: del+add in one is a no-op for ovs-vswitchd.
      if (existing) await mutate(host, write(portRemoveArgv(existing)));
      return portConvergeArgv(spec(want), undefined, false);
    });
  } else {
    await mutate(host, write(portConvergeArgv(spec(want), old && spec(old))));
  }
  const cmds = await linkCommands(host, want, old);
  if (cmds.length === 0) return;
  await writeThenRead(host, cmds, []);
}

async function live(host: SshHost, declared: PortInputs): Promise<{ port?: LivePort; inputs?: PortInputs; mac?: string }> {
  const port = findPort(await ovsState(host), declared.name);
  if (!port) return {};
  const s = livePortSpec(port, spec(declared));
  const inputs: PortInputs = {
    ...declared,
    bridge: s.bridge,
    type: declared.type === undefined ? undefined : ((s.type || "system") as PortInputs["type"]),
    tag: s.tag,
    trunks: s.trunks,
    vlanMode: s.vlanMode as PortInputs["vlanMode"],
    protected: s.protected,
    peer: declared.peer === undefined ? undefined : s.options?.peer,
    options: declared.options === undefined ? undefined : Object.fromEntries(Object.entries(s.options ?? {}).filter(([k]) => k !== "peer")),
    ofportRequest: s.ofportRequest,
    mtuRequest: s.mtuRequest,
    mac: s.mac,
    externalIds: s.externalIds,
    interfaceExternalIds: s.interfaceExternalIds,
  };
  if (declared.type === "internal" && (declared.addresses !== undefined || declared.up !== undefined || declared.netns !== undefined)) {
    const link = (await linksIn(host, declared.netns)).find((l) => l.ifname === declared.name);
    // The interface left its namespace (e.g. the namespace was deleted): that is a different namespace now.
    if (!link && declared.netns) inputs.netns = undefined;
    if (declared.addresses !== undefined) inputs.addresses = link ? declaredAddresses(link) : [];
    if (declared.up !== undefined) inputs.up = link ? isUp(link) : false;
    // OVS cannot see an interface it no longer shares a namespace with: take the MAC from the link.
    return { port, inputs, mac: link?.address };
  }
  return { port, inputs };
}

function outputs(inputs: PortInputs, port: LivePort, mac?: string, moved?: MoveSet): Record<string, unknown> {
  const computed = portOutputs(port);
  return compact({ ...inputs, ...computed, macInUse: computed.macInUse ?? mac, movedAddresses: moved?.addresses, movedRoutes: moved?.routes });
}

const p = kindModule({
  kind: KIND,
  schema: portSchema,
  rules,
  parseOld: true,
  restore: (want, outs) => ({ phase: PHASE.port, steps: restoreSteps(want, outs) }),
  async create({ host, conn, want }) {
    const moved = want.moveAddressesTo ? await createMoving(host, want, want.moveAddressesTo) : undefined;
    if (!moved) await apply(host, want, undefined, true);
    const { port, mac } = await live(host, want);
    if (!port) throw new Error(`port ${want.name} is missing right after it was created`);
    return { id: `${conn.host}/${want.bridge}/${want.name}`, outs: outputs(want, port, mac, moved) };
  },
  async read({ host, id, props, declared }) {
    const { port, inputs, mac } = await live(host, declared);
    if (!port || !inputs) return {};
    if ((declared.type ?? "system") === "system" && bindingIsStale(port, props.boundIfindex)) return {};
    const clean = compact(inputs);
    return readResult(id, outputs(clean, port, mac, movedOf(props)), clean, declared);
  },
  async update({ host, want, old, props }) {
    await apply(host, want, old);
    const { port, mac } = await live(host, want);
    if (!port) throw new Error(`port ${want.name} is missing right after it was updated`);
    return { outs: outputs(want, port, mac, movedOf(props)) };
  },
  async delete({ host, old, props }) {
    const state = await ovsState(host);
    const existing = findPort(state, old.name);
    if (!existing || portOwner(existing) !== old.owner) return; // gone, or not ours: leave it
    const moved = old.moveAddressesTo ? movedOf(props) : undefined;
    if (moved) {
      // Back to the NIC while it is still a port, then the port goes: one armed script again.
      await mutate(host, { argv: moveScriptArgv(moveCommands(old.moveAddressesTo!, old.name, moved, [], [portRemoveArgv(existing)])), armRevert: true });
      return;
    }
    // The userspace datapath backs an internal port with a tap: removed with the others in one netlink request
    // (only while it is in the host's namespace, where the release looks for it).
    const ifindex = existing.iface?.ifindex;
    const tap = existing.iface?.type === "internal" && state.bridges.get(existing.bridge)?.datapathType === "netdev" && !old.netns && !!ifindex && ifindex > 0;
    await mutate(host, vsctlWriteReleasingTaps(portRemoveArgv(existing), tap ? [{ name: old.name, ifindex: ifindex! }] : []), { removesPort: old.name });
  },
});
// The dynamic provider: what the engine calls.
export const { check, diff, create, read, update } = p;
const remove = p.delete;
export { remove as delete };
