/**
 * Parsers for `ovs-vsctl --format=json --data=json list TABLE` output: one JSON object per `list` command,
 * each {"headings": [...], "data": [[cell, ...], ...]}. Cells use OVSDB's JSON encoding:
 * ["uuid", s], ["set", [...]], ["map", [[k, v], ...]], or a bare atom (a one-element set is written bare).
 */

export type Atom = string | number | boolean;
export type Cell = Atom | ["uuid", string] | ["named-uuid", string] | ["set", unknown[]] | ["map", [unknown, unknown][]];
export type Row = Record<string, Cell>;

function decodeAtom(v: unknown): Atom {
  if (Array.isArray(v) && (v[0] === "uuid" || v[0] === "named-uuid")) return String(v[1]);
  if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return v;
  throw new Error(`unexpected OVSDB atom: ${JSON.stringify(v)}`);
}

/** Every element of a set column (a bare atom is a one-element set). */
export function setOf(cell: Cell | undefined): Atom[] {
  if (cell === undefined) return [];
  if (Array.isArray(cell) && cell[0] === "set") return (cell[1] as unknown[]).map(decodeAtom);
  return [decodeAtom(cell)];
}

/** An optional column (a set of 0 or 1 element). */
export function optional(cell: Cell | undefined): Atom | undefined {
  const s = setOf(cell);
  return s.length ? s[0] : undefined;
}

export function mapOf(cell: Cell | undefined): Record<string, string> {
  if (cell === undefined) return {};
  if (!Array.isArray(cell) || cell[0] !== "map") throw new Error(`expected an OVSDB map, got ${JSON.stringify(cell)}`);
  // fromEntries defines own properties: a "__proto__" key on the host stays a key instead of replacing the prototype.
  return Object.fromEntries((cell[1] as [unknown, unknown][]).map(([k, v]) => [String(decodeAtom(k)), String(decodeAtom(v))]));
}

export function atom(cell: Cell | undefined): Atom | undefined {
  return cell === undefined ? undefined : optional(cell);
}

/** Parse the output of one ovs-vsctl run with several `list` commands into one array of rows per command. */
export function parseListOutput(stdout: string): Row[][] {
  return stdout
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((line) => {
      const t = JSON.parse(line) as { headings: string[]; data: unknown[][] };
      return t.data.map((cells) => Object.fromEntries(t.headings.map((h, i) => [h, cells[i] as Cell])));
    });
}

// ---- Typed views of the rows pulumi-ovs reads ----

export interface BridgeRow {
  uuid: string;
  name: string;
  ports: string[];
  datapathType: string;
  datapathId?: string;
  failMode?: string;
  protocols: string[];
  stpEnable: boolean;
  rstpEnable: boolean;
  mcastSnoopingEnable: boolean;
  externalIds: Record<string, string>;
  otherConfig: Record<string, string>;
  controllers: string[];
}

export interface PortRow {
  uuid: string;
  name: string;
  interfaces: string[];
  tag?: number;
  trunks: number[];
  vlanMode?: string;
  /** Split horizon: normal-mode traffic between two protected ports is dropped. */
  protected: boolean;
  externalIds: Record<string, string>;
  otherConfig: Record<string, string>;
}

export interface InterfaceRow {
  uuid: string;
  name: string;
  type: string;
  options: Record<string, string>;
  ofport?: number;
  ofportRequest?: number;
  mtu?: number;
  mtuRequest?: number;
  macInUse?: string;
  mac?: string;
  externalIds: Record<string, string>;
  error?: string;
  linkState?: string;
  /** Kernel ifindex of the device OVS has open (0 while the device is missing). */
  ifindex?: number;
}

export const BRIDGE_COLUMNS = [
  "_uuid", "name", "ports", "datapath_type", "datapath_id", "fail_mode", "protocols", "stp_enable", "rstp_enable",
  "mcast_snooping_enable", "external_ids", "other_config", "controller",
];
export const PORT_COLUMNS = ["_uuid", "name", "interfaces", "tag", "trunks", "vlan_mode", "protected", "external_ids", "other_config"];
export const INTERFACE_COLUMNS = [
  "_uuid", "name", "type", "options", "ofport", "ofport_request", "mtu", "mtu_request", "mac_in_use", "mac",
  "external_ids", "error", "link_state", "ifindex",
];
export const CONTROLLER_COLUMNS = ["_uuid", "target"];

export function toBridge(r: Row, controllerTargets: Map<string, string>): BridgeRow {
  return {
    uuid: String(atom(r._uuid)),
    name: String(atom(r.name)),
    ports: setOf(r.ports).map(String),
    datapathType: String(atom(r.datapath_type) ?? ""),
    datapathId: optional(r.datapath_id) as string | undefined,
    failMode: optional(r.fail_mode) as string | undefined,
    protocols: setOf(r.protocols).map(String).sort(),
    stpEnable: atom(r.stp_enable) === true,
    rstpEnable: atom(r.rstp_enable) === true,
    mcastSnoopingEnable: atom(r.mcast_snooping_enable) === true,
    externalIds: mapOf(r.external_ids),
    otherConfig: mapOf(r.other_config),
    controllers: setOf(r.controller).map((u) => controllerTargets.get(String(u)) ?? String(u)).sort(),
  };
}

export function toPort(r: Row): PortRow {
  const ofportInt = (c: Cell | undefined) => (optional(c) === undefined ? undefined : Number(optional(c)));
  return {
    uuid: String(atom(r._uuid)),
    name: String(atom(r.name)),
    interfaces: setOf(r.interfaces).map(String),
    tag: ofportInt(r.tag),
    trunks: setOf(r.trunks).map(Number).sort((a, b) => a - b),
    vlanMode: optional(r.vlan_mode) as string | undefined,
    protected: atom(r.protected) === true,
    externalIds: mapOf(r.external_ids),
    otherConfig: mapOf(r.other_config),
  };
}

export function toInterface(r: Row): InterfaceRow {
  const num = (c: Cell | undefined) => (optional(c) === undefined ? undefined : Number(optional(c)));
  return {
    uuid: String(atom(r._uuid)),
    name: String(atom(r.name)),
    type: String(atom(r.type) ?? ""),
    options: mapOf(r.options),
    ofport: num(r.ofport),
    ofportRequest: num(r.ofport_request),
    mtu: num(r.mtu),
    mtuRequest: num(r.mtu_request),
    macInUse: optional(r.mac_in_use) as string | undefined,
    mac: optional(r.mac) as string | undefined,
    externalIds: mapOf(r.external_ids),
    error: optional(r.error) as string | undefined,
    linkState: optional(r.link_state) as string | undefined,
    ifindex: num(r.ifindex),
  };
}

/** Everything pulumi-ovs reads from one host's OVSDB, indexed by name. */
export interface OvsState {
  bridges: Map<string, BridgeRow>;
  ports: Map<string, PortRow>;
  interfaces: Map<string, InterfaceRow>;
  /** port name -> bridge name */
  portBridge: Map<string, string>;
}

/** The argv of the one ovs-vsctl call that reads all four tables. */
export function listAllArgv(): string[] {
  return [
    "ovs-vsctl", "--format=json", "--data=json",
    `--columns=${BRIDGE_COLUMNS.join(",")}`, "list", "Bridge", "--",
    `--columns=${PORT_COLUMNS.join(",")}`, "list", "Port", "--",
    `--columns=${INTERFACE_COLUMNS.join(",")}`, "list", "Interface", "--",
    `--columns=${CONTROLLER_COLUMNS.join(",")}`, "list", "Controller",
  ];
}

export function parseOvsState(stdout: string): OvsState {
  const [bridgeRows = [], portRows = [], ifaceRows = [], ctlRows = []] = parseListOutput(stdout);
  const controllerTargets = new Map(ctlRows.map((r) => [String(atom(r._uuid)), String(atom(r.target))]));
  const ports = portRows.map(toPort);
  const portsByUuid = new Map(ports.map((p) => [p.uuid, p]));
  const state: OvsState = { bridges: new Map(), ports: new Map(), interfaces: new Map(), portBridge: new Map() };
  for (const b of bridgeRows.map((r) => toBridge(r, controllerTargets))) {
    state.bridges.set(b.name, b);
    for (const pu of b.ports) {
      const p = portsByUuid.get(pu);
      if (p) state.portBridge.set(p.name, b.name);
    }
  }
  for (const p of ports) state.ports.set(p.name, p);
  for (const i of ifaceRows.map(toInterface)) state.interfaces.set(i.name, i);
  return state;
}

/**
 * The state after `del-port` of these ports succeeded: the ports, their interfaces and their places on their
 * bridges gone; the other rows shared with `state` (which stays as it was: readers may hold it). One copy of the
 * tables however many ports leave (a destroy removes hundreds). No known port among them: `state` itself.
 */
export function withoutPorts(state: OvsState, names: readonly string[]): OvsState {
  const gone = names.map((n) => state.ports.get(n)).filter((p): p is PortRow => p !== undefined);
  if (gone.length === 0) return state;
  const goneUuids = new Set(gone.map((p) => p.uuid));
  const goneIfaces = new Set(gone.flatMap((p) => p.interfaces));
  const ports = new Map(state.ports);
  const portBridge = new Map(state.portBridge);
  const touched = new Set<string>();
  for (const p of gone) {
    ports.delete(p.name);
    const b = portBridge.get(p.name);
    if (b !== undefined) touched.add(b);
    portBridge.delete(p.name);
  }
  const interfaces = new Map([...state.interfaces].filter(([, i]) => !goneIfaces.has(i.uuid)));
  const bridges = new Map(state.bridges);
  for (const b of touched) {
    const bridge = bridges.get(b);
    if (bridge) bridges.set(b, { ...bridge, ports: bridge.ports.filter((u) => !goneUuids.has(u)) });
  }
  return { bridges, ports, interfaces, portBridge };
}
