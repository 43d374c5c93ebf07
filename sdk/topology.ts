/**
 * Draw a stack from its state (`pulumi stack export`): hosts, bridges, ports with VLANs, tunnels, namespaces
 * and containers, as Mermaid (for a README or a pull request) and as an SVG picture. Pure functions: no
 * secrets are needed (hosts are read from resource IDs, which start with the host address).
 */

interface StateResource {
  type: string;
  urn: string;
  id?: string;
  outputs?: Record<string, unknown>;
}

/** A port on a bridge in a {@link Topology}: an OvsPort, VxlanTunnel or GreTunnel. */
export interface TopoPort {
  /** Port name. */
  name: string;
  /** What declared it: "port" (OvsPort), "vxlan" or "gre" (a tunnel). */
  kind: "port" | "vxlan" | "gre";
  /** OvsPort type ("system", "internal", "patch") when declared. */
  type?: string;
  /** Access VLAN. */
  tag?: number;
  /** VLANs of a trunk port. */
  trunks?: number[];
  /** Tunnels: the remote underlay address. */
  remoteIp?: string;
  /** Tunnels: the tunnel key. */
  key?: string | number;
  /** Patch ports: the peer port. */
  peer?: string;
  /** Internal ports: their addresses. */
  addresses?: string[];
  /** What is plugged into the other end: a container or namespace name. */
  attached?: string;
}
/** A bridge in a {@link Topology}. */
export interface TopoBridge {
  /** Bridge name. */
  name: string;
  /** Its ports, sorted by name. */
  ports: TopoPort[];
  /** How many FlowEntries it holds. */
  flows: number;
}
/** A host in a {@link Topology}. */
export interface TopoHost {
  /** The host's address (from the resource IDs). */
  host: string;
  /** Its bridges, sorted by name. */
  bridges: TopoBridge[];
  /** Named namespaces not made from a container. */
  namespaces: string[];
  /** Docker containers. */
  containers: string[];
}
/** What {@link topologyFromState} finds in a stack: hosts with their bridges and ports, and tunnels between hosts. */
export interface Topology {
  /** Hosts, sorted by address. */
  hosts: TopoHost[];
  /** Tunnels resolved to the host that owns the remote address, when the stack knows it. */
  links: TopoLink[];
}
/** A tunnel in a {@link Topology}, from a port on one host towards a remote address. */
export interface TopoLink {
  /** Host the tunnel port is on. */
  fromHost: string;
  /** The tunnel port's name. */
  fromPort: string;
  /** The host that owns `remoteIp`, when the stack declares it. */
  toHost?: string;
  /** The tunnel's remote underlay address. */
  remoteIp: string;
  /** "vxlan" or "gre". */
  kind: string;
  /** The tunnel key, when set. */
  key?: string | number;
}

const KIND = (t: string) => t.replace(/^pulumi-nodejs:dynamic\/ovs:/, "");

function hostOfId(id: string | undefined): string {
  return (id ?? "?").split("/")[0];
}

/** Build the model from `pulumi stack export` JSON (the whole document or its `deployment`). */
export function topologyFromState(doc: unknown): Topology {
  const d = doc as { deployment?: { resources?: StateResource[] }; resources?: StateResource[] };
  const resources = (d.deployment?.resources ?? d.resources ?? []).filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/ovs:"));
  const hosts = new Map<string, TopoHost>();
  const hostEntry = (h: string) => {
    let e = hosts.get(h);
    if (!e) hosts.set(h, (e = { host: h, bridges: [], namespaces: [], containers: [] }));
    return e;
  };
  const bridge = (h: string, name: string) => {
    const e = hostEntry(h);
    let b = e.bridges.find((x) => x.name === name);
    if (!b) e.bridges.push((b = { name, ports: [], flows: 0 }));
    return b;
  };
  const out = (r: StateResource) => r.outputs ?? {};
  const str = (v: unknown) => (typeof v === "string" ? v : undefined);

  // veth host end -> what the other end is in (namespace), namespace -> container
  const nsContainer = new Map<string, string>();
  const vethPeer = new Map<string, string>();
  for (const r of resources) {
    const o = out(r);
    const h = hostOfId(r.id);
    if (KIND(r.type) === "NetNamespace") {
      const c = str(o.container);
      if (c) nsContainer.set(`${h}/${o.name}`, c);
      else hostEntry(h).namespaces.push(String(o.name)); // a container's namespace is shown as the container
    }
    if (KIND(r.type) === "VethPair") {
      if (!o.namespace && o.peerNamespace) vethPeer.set(`${h}/${o.name}`, String(o.peerNamespace));
      if (!o.peerNamespace && o.namespace) vethPeer.set(`${h}/${o.peerName}`, String(o.namespace));
    }
    if (KIND(r.type) === "DockerContainer") hostEntry(h).containers.push(String(o.name));
  }
  const addrOwner = new Map<string, string>();
  const links: Topology["links"] = [];
  for (const r of resources) {
    const o = out(r);
    const h = hostOfId(r.id);
    const kind = KIND(r.type);
    if (kind === "OvsBridge") bridge(h, String(o.name));
    if (kind === "FlowEntry") bridge(h, String(o.bridge)).flows++;
    if (kind === "OvsPort" || kind === "VxlanTunnel" || kind === "GreTunnel") {
      const p: TopoPort = {
        name: String(o.name),
        kind: kind === "OvsPort" ? "port" : kind === "VxlanTunnel" ? "vxlan" : "gre",
        type: str(o.type),
        tag: typeof o.tag === "number" ? o.tag : undefined,
        trunks: Array.isArray(o.trunks) ? (o.trunks as number[]) : undefined,
        remoteIp: str(o.remoteIp),
        key: (o.key as string | number | undefined) ?? undefined,
        peer: str(o.peer),
        addresses: Array.isArray(o.addresses) ? (o.addresses as string[]) : undefined,
      };
      const ns = vethPeer.get(`${h}/${p.name}`) ?? str(o.netns);
      if (ns) p.attached = nsContainer.get(`${h}/${ns}`) ?? ns;
      for (const a of p.addresses ?? []) addrOwner.set(a.split("/")[0], h);
      bridge(h, String(o.bridge)).ports.push(p);
      if (p.remoteIp) links.push({ fromHost: h, fromPort: p.name, remoteIp: p.remoteIp, kind: p.kind, key: p.key });
    }
  }
  for (const l of links) l.toHost = addrOwner.get(l.remoteIp);
  const sorted = [...hosts.values()].sort((a, b) => a.host.localeCompare(b.host));
  for (const h of sorted) {
    h.bridges.sort((a, b) => a.name.localeCompare(b.name));
    for (const b of h.bridges) b.ports.sort((x, y) => x.name.localeCompare(y.name));
  }
  return { hosts: sorted, links };
}

function portLabel(p: TopoPort): string {
  const bits = [p.name];
  if (p.kind !== "port") bits.push(`${p.kind}${p.key !== undefined ? ` key ${p.key}` : ""} → ${p.remoteIp}`);
  else if (p.type === "patch") bits.push(`patch ↔ ${p.peer}`);
  else if (p.type === "internal") bits.push("internal");
  if (p.tag !== undefined) bits.push(`vlan ${p.tag}`);
  if (p.trunks?.length) bits.push(`trunks ${p.trunks.join(",")}`);
  if (p.addresses?.length) bits.push(p.addresses.join(" "));
  return bits.join(" · ");
}

const mid = (s: string) => s.replace(/[^A-Za-z0-9_]/g, "_");
const mtext = (s: string) => s.replace(/"/g, "'");

/** A Mermaid flowchart of the topology: a subgraph per host with its bridges and ports, tunnels between hosts. */
export function toMermaid(t: Topology): string {
  const lines = ["flowchart LR"];
  for (const h of t.hosts) {
    const hid = mid(`h_${h.host}`);
    lines.push(`  subgraph ${hid}["host ${mtext(h.host)}"]`);
    for (const b of h.bridges) {
      const bid = mid(`${hid}_${b.name}`);
      lines.push(`    ${bid}[["bridge ${mtext(b.name)}${b.flows ? ` · ${b.flows} flows` : ""}"]]`);
      for (const p of b.ports) {
        const pid = mid(`${bid}_${p.name}`);
        lines.push(`    ${pid}("${mtext(portLabel(p))}") --- ${bid}`);
        if (p.attached) lines.push(`    ${mid(`${hid}_ns_${p.attached}`)}{{"${mtext(p.attached)}"}} --- ${pid}`);
      }
    }
    // Containers and namespaces on no bridge port (as the SVG lists them), e.g. namespaces joined by veth pairs only.
    const attached = new Set(h.bridges.flatMap((b) => b.ports.map((p) => p.attached)));
    for (const [kind, name] of [...h.containers.map((c) => ["container", c]), ...h.namespaces.map((n) => ["netns", n])]) {
      if (!attached.has(name)) lines.push(`    ${mid(`${hid}_ns_${name}`)}{{"${kind} ${mtext(name)}"}}`);
    }
    lines.push("  end");
  }
  for (const l of t.links) {
    const from = t.hosts.find((h) => h.host === l.fromHost)?.bridges.find((b) => b.ports.some((p) => p.name === l.fromPort));
    if (!from) continue;
    const fromId = mid(`${mid(`h_${l.fromHost}`)}_${from.name}_${l.fromPort}`);
    const back = t.links.find((m) => m.fromHost === l.toHost && m.toHost === l.fromHost);
    const backBridge = back && t.hosts.find((h) => h.host === back.fromHost)?.bridges.find((b) => b.ports.some((p) => p.name === back.fromPort));
    const toId = back && backBridge ? mid(`${mid(`h_${back.fromHost}`)}_${backBridge.name}_${back.fromPort}`) : mid(`h_${l.toHost}`);
    if (l.toHost && l.fromHost < l.toHost) lines.push(`  ${fromId} -. ${l.kind} .- ${toId}`);
    if (!l.toHost) lines.push(`  ${fromId} -. ${l.kind} .-> ${mid(`ip_${l.remoteIp}`)}(("${l.remoteIp}"))`);
  }
  return lines.join("\n") + "\n";
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** A self-contained SVG: one column per host, bridges with their ports, attached namespaces/containers, tunnels. */
export function toSvg(t: Topology): string {
  const colW = 430;
  const lineH = 22;
  const parts: string[] = [];
  const portPos = new Map<string, { left: number; right: number; y: number }>();
  let maxH = 0;
  t.hosts.forEach((h, i) => {
    const x0 = 20 + i * (colW + 40);
    let y = 60;
    const body: string[] = [];
    for (const b of h.bridges) {
      body.push(`<rect x="${x0 + 15}" y="${y}" width="${colW - 30}" height="26" rx="6" fill="#dbeafe" stroke="#1d4ed8"/>`);
      body.push(`<text x="${x0 + 25}" y="${y + 18}" font-weight="bold">bridge ${esc(b.name)}${b.flows ? ` (${b.flows} flows)` : ""}</text>`);
      y += 34;
      for (const p of b.ports) {
        const color = p.kind === "port" ? (p.type === "internal" ? "#fef3c7" : "#f1f5f9") : "#dcfce7";
        body.push(`<rect x="${x0 + 35}" y="${y}" width="${colW - 60}" height="${lineH - 4}" rx="4" fill="${color}" stroke="#64748b"/>`);
        const label = portLabel(p) + (p.attached ? `  ⇄ ${p.attached}` : "");
        body.push(`<text x="${x0 + 42}" y="${y + 14}" font-size="11">${esc(label)}</text>`);
        portPos.set(`${h.host}/${p.name}`, { left: x0 + 35, right: x0 + colW - 25, y: y + 9 });
        y += lineH;
      }
      y += 10;
    }
    const loose = [...h.containers.map((c) => `container ${c}`), ...h.namespaces.map((n) => `netns ${n}`)];
    if (loose.length) {
      for (let k = 0; k < loose.length; k += 3) {
        body.push(`<text x="${x0 + 20}" y="${y + 14}" font-size="11" fill="#475569">${esc(loose.slice(k, k + 3).join(" · "))}</text>`);
        y += 18;
      }
      y += 6;
    }
    parts.push(`<rect x="${x0}" y="20" width="${colW}" height="${y - 10}" rx="10" fill="#ffffff" stroke="#0f172a" stroke-width="1.5"/>`);
    parts.push(`<text x="${x0 + 12}" y="44" font-size="15" font-weight="bold">host ${esc(h.host)}</text>`);
    parts.push(...body);
    maxH = Math.max(maxH, y + 20);
  });
  for (const l of t.links) {
    if (!l.toHost || l.fromHost > l.toHost) continue;
    const a = portPos.get(`${l.fromHost}/${l.fromPort}`);
    const back = t.links.find((m) => m.fromHost === l.toHost && m.toHost === l.fromHost);
    const b = back ? portPos.get(`${back.fromHost}/${back.fromPort}`) : undefined;
    if (a && b) {
      const [p, q] = a.right < b.left ? [a, b] : [b, a];
      parts.push(`<path d="M${p.right},${p.y} C${p.right + 50},${p.y} ${q.left - 50},${q.y} ${q.left},${q.y}" fill="none" stroke="#16a34a" stroke-dasharray="6 4" stroke-width="2"/>`);
      parts.push(`<text x="${(p.right + q.left) / 2 - 20}" y="${Math.min(p.y, q.y) - 6}" font-size="11" fill="#16a34a">${esc(l.kind)}${l.key !== undefined ? ` ${l.key}` : ""}</text>`);
    }
  }
  const width = 40 + t.hosts.length * (colW + 40);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${maxH}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#f8fafc"/>`,
    ...parts,
    "</svg>",
    "",
  ].join("\n");
}
