import { OWNER_KEY } from "../../provider/shared/ownership";
import type { BridgeRow, InterfaceRow, OvsState, PortRow } from "../../provider/ovs/ovsdb";
import { cookieFor } from "../../provider/ovs/flow-cookies";
import { actionsText, cookieHex, matchText } from "../../provider/ovs/flow-format";
import type { Flow } from "../../provider/ovs/flow-model";
import type { IpLink } from "../../provider/ip/ip";
import { cmp } from "./facts";
import { containerOfNamespace, declaredAddresses, findLink, isUp, vethPeer, type LinkAt } from "./links";
import { contentId, present, type Context, type Ref, type Value } from "./model";

/** OVS: bridges, their ports and tunnels, container attachments, and flows (pure, from the host's facts). */

const TUNNEL_KEYS: Record<string, string> = { remote_ip: "remoteIp", local_ip: "localIp", key: "key", in_key: "inKey", out_key: "outKey", dst_port: "dstPort", tos: "tos", ttl: "ttl" };
const CONTROLLER = /^(tcp|ssl|ptcp|pssl):[0-9a-fA-F.:\[\]]*(:\d{1,5})?$|^(unix|punix):\/[A-Za-z0-9_./-]+$/;
const num = (v: string) => (/^\d+$/.test(v) ? Number(v) : v);
const without = (m: Record<string, string>, ...keys: string[]) => present(Object.fromEntries(Object.entries(m).filter(([k]) => !keys.includes(k))));

export function buildOvs(ctx: Context, mgmt: Set<string>): void {
  const ovs = ctx.host.facts.ovs;
  if (!ovs) {
    ctx.skip("Open vSwitch", "not installed or not running on this host: nothing of OVS was read");
    return;
  }
  for (const [table, rows] of Object.entries(ctx.host.facts.ovsExtra)) {
    for (const r of rows) ctx.skip(`${table} row ${JSON.stringify(String((r.name as string | undefined) ?? r._uuid))}`, `pulumi-ovs has no resource for OVS ${table} rows yet`);
  }
  for (const b of [...ovs.bridges.values()].sort((x, y) => cmp(x.name, y.name))) {
    if (ctx.filteredOut("bridge", b.name)) continue;
    const what = `bridge ${JSON.stringify(b.name)}`;
    if (!ctx.opts.includeManagement && mgmt.has(b.name)) {
      ctx.skip(what, "the SSH session arrives on its local port (management path; --include-management to adopt it)");
      continue;
    }
    if (ctx.ownedElsewhere(b.externalIds[OWNER_KEY])) {
      ctx.skip(what, `owned by ${JSON.stringify(b.externalIds[OWNER_KEY])} (--include-owned to adopt it anyway)`);
      continue;
    }
    const br = bridge(ctx, b);
    for (const portUuid of [...b.ports].sort()) {
      const port = [...ovs.ports.values()].find((p) => p.uuid === portUuid);
      if (port && port.name !== b.name) portOf(ctx, ovs, b, br, port, mgmt);
    }
    if (ctx.host.facts.flowsUnread.includes(b.name)) ctx.skip(`flows of bridge ${JSON.stringify(b.name)}`, "ovs-ofctl dump-flows failed (is ovs-vswitchd running?): none declared");
    else flows(ctx, b, br, ctx.host.facts.flows.get(b.name) ?? []);
  }
}

function bridge(ctx: Context, b: BridgeRow): Ref {
  const notes: string[] = [];
  const controllers = b.controllers.filter((c) => CONTROLLER.test(c)).sort();
  if (controllers.length !== b.controllers.length) notes.push(`skipped: controller targets pulumi-ovs cannot express: ${JSON.stringify(b.controllers)}`);
  const name = ctx.logical("br", b.name);
  const ref = ctx.add("OvsBridge", name, {
    name: b.name,
    datapathType: b.datapathType === "netdev" || b.datapathType === "system" ? b.datapathType : undefined,
    failMode: b.failMode,
    protocols: b.protocols.length ? [...b.protocols].sort() : undefined,
    stpEnable: b.stpEnable || undefined,
    rstpEnable: b.rstpEnable || undefined,
    mcastSnoopingEnable: b.mcastSnoopingEnable || undefined,
    externalIds: without(b.externalIds, OWNER_KEY),
    otherConfig: present(b.otherConfig),
    controllers: controllers.length ? controllers : undefined,
  }, notes);
  ctx.provided.set(`/${b.name}`, ref);
  return ref;
}

function portOf(ctx: Context, ovs: OvsState, b: BridgeRow, br: Ref, port: PortRow, mgmt: Set<string>): void {
  const what = `port ${JSON.stringify(port.name)} on bridge ${JSON.stringify(b.name)}`;
  if (ctx.filteredOut("name", port.name)) return;
  if (!ctx.opts.includeManagement && mgmt.has(port.name)) return ctx.skip(what, "management path (--include-management to adopt it)");
  if (ctx.ownedElsewhere(port.externalIds[OWNER_KEY])) return ctx.skip(what, `owned by ${JSON.stringify(port.externalIds[OWNER_KEY])} (--include-owned to adopt it anyway)`);
  if (port.interfaces.length !== 1) return ctx.skip(what, `a bond of ${port.interfaces.length} interfaces: pulumi-ovs has no bond resource yet`);
  const iface = [...ovs.interfaces.values()].find((i) => i.uuid === port.interfaces[0]);
  if (!iface) return ctx.skip(what, "its Interface row is missing");
  const type = iface.type || "system";
  if (type === "vxlan" || type === "gre") return tunnel(ctx, br, port, iface, type);
  if (!["system", "internal", "patch"].includes(type)) return ctx.skip(what, `interface type ${JSON.stringify(type)} (DPDK, geneve, ...) is not expressible yet`);
  const at = findLink(ctx.host.facts, port.name);
  const peer = type === "system" && at ? vethPeer(ctx.host.facts, at) : undefined;
  const ctr = peer?.kind === "container" ? peer.container : peer?.kind === "ns" ? containerOfNamespace(ctx.host.facts, peer.at.ns) : undefined;
  if (peer && ctr && at) return attachment(ctx, br, port, iface, at, ctr.name, peer.kind === "container" ? peer.link : peer.at.link);
  // An internal port's MTU set with `ip link` is declared as mtuRequest, the same MTU, from then on kept by OVS.
  const mtuRequest = iface.mtuRequest ?? (type === "internal" && at && at.link.mtu !== 1500 ? at.link.mtu : undefined);
  const internal = type === "internal" && at ? { netns: ctx.nsRef(at.ns), addresses: present(declaredAddresses(at.link)), up: isUp(at.link) } : undefined;
  const ref = ctx.add("OvsPort", ctx.logical("port", b.name, port.name), {
    ...common(ctx, br, port, iface),
    // A veth end the program declares: by reference, so the pair exists before the port.
    name: type === "system" ? ctx.ifRef("", port.name) : port.name,
    type: type === "system" ? undefined : type,
    peer: type === "patch" ? iface.options.peer : undefined,
    options: without(iface.options, "peer"),
    mtuRequest,
    mac: type === "internal" ? iface.mac : undefined,
    addresses: internal?.addresses,
    netns: internal?.netns,
    up: internal && (internal.addresses || internal.netns) && !internal.up ? false : undefined,
  });
  ctx.provided.set(`${at?.ns ?? ""}/${port.name}`, ref);
}

/** Fields every port-like resource shares. */
function common(ctx: Context, br: Ref, port: PortRow, iface: InterfaceRow): Record<string, Value | undefined> {
  return {
    bridge: br,
    name: port.name,
    tag: port.tag,
    trunks: port.trunks.length ? [...port.trunks].sort((a, b) => a - b) : undefined,
    vlanMode: port.vlanMode,
    protected: port.protected || undefined,
    ofportRequest: iface.ofportRequest,
    externalIds: without(port.externalIds, OWNER_KEY),
    interfaceExternalIds: present(iface.externalIds),
  };
}

function tunnel(ctx: Context, br: Ref, port: PortRow, iface: InterfaceRow, type: "vxlan" | "gre"): void {
  const typed: Record<string, Value> = {};
  const rest: Record<string, string> = {};
  for (const [k, v] of Object.entries(iface.options)) {
    const key = TUNNEL_KEYS[k];
    if (key && !(type === "gre" && key === "dstPort")) typed[key] = key === "remoteIp" || key === "localIp" ? v : num(v);
    else rest[k] = v;
  }
  if (typed.remoteIp === undefined) return ctx.skip(`tunnel ${JSON.stringify(port.name)}`, "no remote_ip option");
  const { interfaceExternalIds, ...shared } = common(ctx, br, port, iface);
  const notes = interfaceExternalIds ? [`skipped: Interface external_ids ${JSON.stringify(interfaceExternalIds)} (tunnels do not manage them; left as they are)`] : [];
  const ref = ctx.add(type === "vxlan" ? "VxlanTunnel" : "GreTunnel", ctx.logical(type, port.name), { ...shared, ...typed, options: present(rest), tag: undefined, trunks: undefined, vlanMode: undefined }, notes);
  if (port.tag !== undefined || port.trunks.length || port.vlanMode) ctx.skip(`VLAN settings of tunnel ${JSON.stringify(port.name)}`, "tunnels take no VLAN settings in pulumi-ovs; left as they are");
  ctx.provided.set(`/${port.name}`, ref);
}

/** A veth from the bridge into a container (pipework, ovs-docker, or ours): one ContainerAttachment, as it is. */
function attachment(ctx: Context, br: Ref, port: PortRow, iface: InterfaceRow, host: LinkAt, container: string, inside: IpLink): void {
  const what = `attachment of container ${JSON.stringify(container)} (${JSON.stringify(port.name)} on the bridge, ${JSON.stringify(inside.ifname)} inside)`;
  if (ctx.filteredOut("name", container)) return;
  const addrs = declaredAddresses(inside);
  const problems = [
    addrs.length > 1 && `${addrs.length} addresses inside (ContainerAttachment declares one)`,
    host.link.mtu !== inside.mtu && `MTU ${host.link.mtu} outside and ${inside.mtu} inside (ContainerAttachment gives both ends one MTU)`,
    (port.trunks.length > 0 || port.vlanMode) && "trunks or vlan_mode on the port (ContainerAttachment sets an access VLAN only)",
    (!isUp(inside) || !isUp(host.link)) && "an end is down",
    host.ns !== "" && "the bridge end is not in the host's namespace",
  ].filter((p): p is string => typeof p === "string");
  if (problems.length) return ctx.skip(what, `not expressible as it is: ${problems.join("; ")}`);
  const ctr = ctx.host.facts.containers.find((c) => c.name === container);
  const gateway = ctr?.routes.find((r) => r.destination === "default" && r.dev === inside.ifname)?.via;
  const ifName = inside.ifname;
  const name = ctx.logical("att", container, ifName);
  const extra = Object.fromEntries(Object.entries(iface.externalIds).filter(([k]) => k !== "container_id" && k !== "container_iface"));
  const notes = ["TX checksum offload is turned off on both veth ends (what ContainerAttachment keeps; TCP needs it with the userspace datapath)"];
  if (Object.keys(extra).length) notes.push(`Interface external_ids left as they are: ${JSON.stringify(extra)}`);
  const ref = ctx.add("ContainerAttachment", name, {
    container,
    bridge: br,
    ifName,
    address: addrs[0],
    gateway,
    mac: inside.address,
    mtu: inside.mtu === 1500 ? undefined : inside.mtu,
    vlan: port.tag,
    hostIfName: port.name,
    ofportRequest: iface.ofportRequest,
  }, notes);
  ctx.provided.set(`/${port.name}`, { ref: ref.ref, prop: "hostIfName" });
}

function flows(ctx: Context, b: BridgeRow, br: Ref, list: readonly Flow[]): void {
  const sorted = list.map((f) => ({ f, match: matchText(f.match), actions: actionsText(f.actions) }))
    .sort((x, y) => x.f.table - y.f.table || y.f.priority - x.f.priority || cmp(x.match, y.match));
  for (const { f, match, actions } of sorted) {
    const name = ctx.logical("flow", b.name, `t${f.table}`, `p${f.priority}`, contentId(match));
    const what = `flow on ${JSON.stringify(b.name)}: table=${f.table},priority=${f.priority},${match} actions=${actions}`;
    if (f.cookie !== 0n && f.cookie !== cookieFor(ctx.ownerOf("FlowEntry", name)) && !ctx.opts.includeOwned) {
      ctx.skip(what, `cookie ${cookieHex(f.cookie)}: written by another tool or stack (--include-owned to adopt it; its cookie becomes ours)`);
      continue;
    }
    const flags = f.flags.filter((x) => x !== "reset_counts");
    const notes = flags.length || f.importance ? [`skipped: flow flags ${JSON.stringify(flags)}${f.importance ? ` and importance ${f.importance}` : ""} (not expressible; the adopted flow is written without them)`] : [];
    ctx.add("FlowEntry", name, { bridge: br, table: f.table || undefined, priority: f.priority, match, actions, idleTimeout: f.idleTimeout, hardTimeout: f.hardTimeout }, notes);
  }
}
