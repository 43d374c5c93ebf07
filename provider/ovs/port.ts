import { OWNER_KEY } from "../shared/ownership";
import { droppedOwnKeys, pickOwn } from "../shared/values";
import type { InterfaceRow, OvsState, PortRow } from "./ovsdb";
import { mapEntries, noWait, ovsString, removeKeys, setValue, vsctl } from "./vsctl";

/**
 * What OvsPort, VxlanTunnel and GreTunnel have in common: one Port row with one Interface row on a bridge.
 * Each resource maps its inputs onto a PortSpec; this module turns specs into one ovs-vsctl transaction and
 * host rows back into specs.
 */
export interface PortSpec {
  bridge: string;
  name: string;
  owner: string;
  /** Interface type: "" (system), internal, patch, vxlan, gre. */
  type?: string;
  tag?: number;
  trunks?: number[];
  vlanMode?: string;
  /** Split horizon: no normal-mode forwarding between two protected ports (tunnels of a full mesh). */
  protected?: boolean;
  /** Interface options (remote_ip, key, peer, ...): only these keys are managed. */
  options?: Record<string, string>;
  ofportRequest?: number;
  mtuRequest?: number;
  mac?: string;
  externalIds?: Record<string, string>;
  /** Interface external_ids (ovs-docker's container_id/container_iface live here): only these keys are managed. */
  interfaceExternalIds?: Record<string, string>;
}

/** The ovs-vsctl transaction that creates the port or brings it to `want` (dropping what `old` declared). */
export function portConvergeArgv(want: PortSpec, old?: PortSpec, mayExist = true): string[] {
  const p = want.name;
  const portSettings = [
    want.tag !== undefined && `tag=${want.tag}`,
    want.trunks !== undefined && setValue("trunks", want.trunks),
    want.vlanMode !== undefined && `vlan_mode=${want.vlanMode}`,
    want.protected !== undefined && `protected=${want.protected}`,
    ...mapEntries("external_ids", want.externalIds),
    ...mapEntries("external_ids", { [OWNER_KEY]: want.owner }),
  ].filter((x): x is string => typeof x === "string");
  const ifaceSettings = [
    want.type !== undefined && `type=${ovsString(want.type)}`,
    ...mapEntries("options", want.options),
    want.ofportRequest !== undefined && `ofport_request=${want.ofportRequest}`,
    want.mtuRequest !== undefined && `mtu_request=${want.mtuRequest}`,
    want.mac !== undefined && `mac=${ovsString(want.mac)}`,
    ...mapEntries("external_ids", want.interfaceExternalIds),
  ].filter((x): x is string => typeof x === "string");
  const unprotect = old?.protected !== undefined && want.protected === undefined && ["set", "Port", p, "protected=false"];
  const clearPort = old
    ? (["tag", "trunks", "vlanMode"] as const)
        .filter((k) => old[k] !== undefined && want[k] === undefined)
        .map((k) => ["clear", "Port", p, k === "vlanMode" ? "vlan_mode" : k])
    : [];
  const clearIface = old
    ? ([["ofportRequest", "ofport_request"], ["mtuRequest", "mtu_request"], ["mac", "mac"]] as const)
        .filter(([k]) => old[k] !== undefined && want[k] === undefined)
        .map(([, col]) => ["clear", "Interface", p, col])
    : [];
  return vsctl(
    mayExist ? ["--may-exist", "add-port", want.bridge, p] : ["add-port", want.bridge, p],
    ["set", "Port", p, ...portSettings],
    ifaceSettings.length > 0 && ["set", "Interface", p, ...ifaceSettings],
    // Own keys only: `k in {}` is true for "constructor", so such a key would never be removed.
    removeKeys("Port", p, "external_ids", droppedOwnKeys(old?.externalIds, want.externalIds)),
    removeKeys("Interface", p, "external_ids", droppedOwnKeys(old?.interfaceExternalIds, want.interfaceExternalIds)),
    removeKeys("Interface", p, "options", droppedOwnKeys(old?.options, want.options)),
    unprotect || undefined,
    ...clearPort,
    ...clearIface,
  );
}

/**
 * Remove the port row we found (by its UUID, from the bridge that holds it): a port of the same name that
 * replaced it since is not ours to remove. A generic `remove` instead of `del-port`, which first loads every
 * port and interface of the host into ovs-vsctl's cache, a cost that grows with the bridge (docs/benchmarks.md,
 * "Figures behind code choices"). OVSDB collects the unreferenced Port and Interface rows; --if-exists: a bridge
 * deleted meanwhile took the port with it.
 */
export function portRemoveArgv(live: LivePort): string[] {
  if (!UUID.test(live.port.uuid)) throw new Error(`not an OVSDB UUID: ${JSON.stringify(live.port.uuid)}`);
  return noWait(vsctl(["--if-exists", "remove", "Bridge", live.bridge, "ports", live.port.uuid]));
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface LivePort {
  bridge: string;
  port: PortRow;
  iface?: InterfaceRow;
}

export function findPort(state: OvsState, name: string): LivePort | undefined {
  const port = state.ports.get(name);
  const bridge = state.portBridge.get(name);
  if (!port || !bridge) return undefined;
  return { bridge, port, iface: state.interfaces.get(name) };
}

/** The host's view of the fields `declared` manages (undeclared fields stay undefined: never invented drift). */
export function livePortSpec(live: LivePort, declared: PortSpec): PortSpec {
  const { port, iface } = live;
  // Own keys only: an inherited lookup would report Object's "constructor" function as the host's value.
  const pick = pickOwn;
  return {
    bridge: live.bridge,
    name: port.name,
    owner: declared.owner,
    type: declared.type === undefined ? undefined : iface?.type ?? "",
    tag: declared.tag === undefined ? undefined : port.tag,
    trunks: declared.trunks === undefined ? undefined : port.trunks,
    vlanMode: declared.vlanMode === undefined ? undefined : port.vlanMode,
    protected: declared.protected === undefined ? undefined : port.protected,
    options: pick(iface?.options ?? {}, declared.options),
    ofportRequest: declared.ofportRequest === undefined ? undefined : iface?.ofportRequest,
    mtuRequest: declared.mtuRequest === undefined ? undefined : iface?.mtuRequest,
    mac: declared.mac === undefined ? undefined : iface?.mac,
    externalIds: pick(port.externalIds, declared.externalIds),
    interfaceExternalIds: pick(iface?.externalIds ?? {}, declared.interfaceExternalIds),
  };
}

/** Computed outputs every port-like resource exposes. */
export function portOutputs(live: LivePort): { uuid: string; ofport?: number; macInUse?: string; interfaceError?: string; boundIfindex?: number } {
  return {
    uuid: live.port.uuid,
    boundIfindex: live.iface?.ifindex || undefined,
    ofport: live.iface?.ofport !== undefined && live.iface.ofport >= 0 ? live.iface.ofport : undefined,
    macInUse: live.iface?.macInUse,
    interfaceError: live.iface?.error,
  };
}

export function portOwner(live: LivePort): string | undefined {
  return live.port.externalIds[OWNER_KEY];
}

/**
 * With the userspace datapath, OVS keeps reading from the device it opened when the port was added: if that
 * device is deleted and a new one of the same name appears (a veth re-created, a container restarted), the port
 * looks healthy in OVSDB but carries no packets until it is removed and added again. We remember the ifindex the
 * port was bound to; a different one now means the port is effectively gone.
 */
export function bindingIsStale(live: LivePort, boundIfindex: unknown): boolean {
  const now = live.iface?.ifindex ?? 0;
  if (typeof boundIfindex !== "number" || now === boundIfindex) return false;
  // The reboot restore re-created the device before ovs-vswitchd opened it, and recorded the device it opened.
  return !(now > 0 && live.iface?.externalIds[RESTORED_BINDING_KEY] === String(now));
}

/** Interface external_id the reboot restore sets to the ifindex of the device ovs-vswitchd opened at boot. */
export const RESTORED_BINDING_KEY = "pulumi-ovs-bound-ifindex";
