import * as net from "node:net";

/**
 * One rule per kind of value that reaches a host tool (ip, ovs-vsctl, docker). Each rule accepts exactly what
 * the tool reads the same way we do, and each has a canonical form: the form the tool reports back, so the value
 * stored at `check` compares equal to what a refresh reads. Problems are returned as text (undefined = fine) so
 * schema/ can name the property. This module sits at the bottom of the provider: it imports nothing from
 * provider/ (see test/unit/import-direction.test.ts).
 */

/** A prefix length as decimal without leading zeros: iproute2 parses "010" as octal 8 and refuses "08". */
const PREFIX = /^(0|[1-9][0-9]{0,2})$/;

/** An IPv4 or IPv6 address without a %scope (Node accepts fe80::1%eth0; the scope would name an interface of the host's choosing). */
export function ipProblem(s: string): string | undefined {
  if (s.includes("%")) return "must not carry a %scope";
  return net.isIP(s) === 0 ? "must be an IPv4 or IPv6 address" : undefined;
}

/** RFC 5952 text of an IPv6 address as `ip -j` prints it (glibc inet_ntop); IPv4 unchanged. */
export function canonicalIp(ip: string): string {
  if (!net.isIPv6(ip) || ip.includes("%")) return ip;
  let text: string;
  try {
    text = new URL(`http://[${ip}]/`).hostname.slice(1, -1); // the WHATWG serializer: RFC 5952, all hex
  } catch {
    return ip.toLowerCase();
  }
  // inet_ntop writes the last 32 bits as a dotted quad after exactly six zero groups or five and ffff.
  const m = /^::(ffff:)?([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(text);
  if (!m) return text;
  const [hi, lo] = [parseInt(m[2], 16), parseInt(m[3], 16)];
  return `::${m[1] ?? ""}${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** An address with prefix length, e.g. 198.18.1.2/24 or 2001:db8::1/64. */
export function cidrProblem(s: string): string | undefined {
  const i = s.lastIndexOf("/");
  if (i < 0) return "must be an address with prefix length, e.g. 198.18.1.2/24";
  const addr = s.slice(0, i);
  const len = s.slice(i + 1);
  const bad = ipProblem(addr);
  if (bad) return bad === "must not carry a %scope" ? bad : "must be an address with prefix length, e.g. 198.18.1.2/24";
  if (!PREFIX.test(len)) return "must have a decimal prefix length without leading zeros (iproute2 reads 010 as octal)";
  const max = net.isIPv4(addr) ? 32 : 128;
  if (Number(len) > max) return `must have a prefix length of at most ${max}`;
  return interfaceAddressProblem(addr);
}

/**
 * Addresses the kernel does not keep as a global address of an interface (`ip addr add 0.0.0.0/0` adds
 * nothing; fe80:: and 127.x get scope link or host, which a read of the interface's global addresses skips),
 * so they would never read back as declared.
 */
function interfaceAddressProblem(addr: string): string | undefined {
  const a = canonicalIp(addr);
  if (net.isIPv4(a)) {
    const first = Number(a.split(".")[0]);
    if (first === 0) return "must not be in 0.0.0.0/8 (this network)";
    if (first === 127) return "must not be a loopback address (127.0.0.0/8)";
    if (first >= 224) return "must be a unicast address (not multicast, reserved or broadcast)";
    return undefined;
  }
  if (a === "::" || a === "::1") return "must not be the unspecified or loopback address";
  if (/^fe[89ab]/.test(a)) return "must not be link-local (fe80::/10): the kernel gives it scope link";
  if (/^ff/.test(a)) return "must be a unicast address (not multicast)";
  if (/^::ffff:|^::[0-9]+\./.test(a)) return "must not be an IPv4-mapped or -compatible IPv6 address";
  return undefined;
}

export function canonicalCidr(s: string): string {
  const i = s.lastIndexOf("/");
  return i < 0 ? canonicalIp(s) : `${canonicalIp(s.slice(0, i))}/${Number(s.slice(i + 1))}`;
}

/** The network address of addr/len (host bits cleared). */
export function ipv4NetworkOf(addr: string, len: number): string {
  const n = addr.split(".").reduce((a, o) => a * 256 + Number(o), 0);
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  const v = (n & mask) >>> 0;
  return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join(".");
}

/**
 * A route destination: "default", an IPv4 network (host bits clear, as the kernel demands) or a bare address
 * (a /32). Any /0 is the default route; it is stored as "default", which is what `ip -j route` reports for it.
 */
export function routeDestinationProblem(s: string): string | undefined {
  if (s === "default") return undefined;
  const [addr, len, extra] = s.split("/");
  const usage = 'must be "default", an IPv4 network like 198.18.42.0/24, or an IPv4 address';
  if (extra !== undefined || !net.isIPv4(addr)) return usage;
  if (len !== undefined && !PREFIX.test(len)) return "must have a decimal prefix length without leading zeros (iproute2 reads 010 as octal)";
  const n = len === undefined ? 32 : Number(len);
  if (n > 32) return usage;
  const netw = ipv4NetworkOf(addr, n);
  return netw !== addr ? `has host bits set: did you mean ${netw}/${n}?` : undefined;
}

export function canonicalRouteDestination(s: string): string {
  if (s === "default") return s;
  const [addr, len] = s.split("/");
  const n = len === undefined ? 32 : Number(len);
  return n === 0 ? "default" : `${addr}/${n}`;
}

/** A MAC the kernel and OVS accept on an interface: unicast (even first octet, so not broadcast) and not all zeros. */
export function macProblem(s: string): string | undefined {
  if (!/^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$/.test(s)) return "must be a MAC address like 02:00:00:00:00:01";
  if ((parseInt(s.slice(0, 2), 16) & 1) !== 0) return "must be a unicast MAC (the first octet must be even; broadcast and multicast are refused)";
  return s === "00:00:00:00:00:00" ? "must not be all zeros" : undefined;
}

export const canonicalMac = (s: string): string => s.toLowerCase();

/**
 * Map limits (external_ids, other_config, options, labels, env). Commands reach the host as a script on `sh -s`
 * stdin, so the limits that bite are the kernel's at exec: 128 KiB per argument (MAX_ARG_STRLEN) and ARG_MAX
 * (2 MiB by default) for all arguments together. Each entry is one argument (`column:"key"="value"`,
 * `--label k=v`) of at most 256 + 4096 UTF-16 units: under 14 KB as UTF-8 even if every unit is escaped or
 * 3 bytes wide, far under 128 KiB. The total per map (16 Ki units, under 50 KB as UTF-8) keeps a resource's
 * maps far under ARG_MAX, with room for the other resources whose writes share one ovs-vsctl transaction.
 */
export const MAP_KEY_MAX = 256;
export const MAP_VALUE_MAX = 4096;
export const MAP_ENTRIES_MAX = 256;
export const MAP_TOTAL_MAX = 16 * 1024;

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** C0 and C1 controls (the tools print or split on them) and lone surrogates (no UTF-8 encoding exists). */
export function textProblem(s: string): string | undefined {
  if (/[\u0000-\u001f\u007f-\u009f]/.test(s)) return "must not contain control characters";
  return LONE_SURROGATE.test(s) ? "must not contain lone surrogates (invalid Unicode)" : undefined;
}

/**
 * Keys that name Object.prototype members. `__proto__` is refused: assigning it to a plain object replaces the
 * prototype instead of adding a key. The others work like any key because maps are read with own-property
 * lookups only (Object.hasOwn), never `k in obj`.
 */
export function mapKeyProblem(k: string): string | undefined {
  if (k === "__proto__") return "must not be __proto__ (JavaScript would take it for the object's prototype)";
  if (k.length === 0) return "must not be empty";
  if (k.length > MAP_KEY_MAX) return `must be at most ${MAP_KEY_MAX} characters`;
  return textProblem(k);
}

export function mapValueProblem(v: string): string | undefined {
  return v.length > MAP_VALUE_MAX ? `must be at most ${MAP_VALUE_MAX} characters` : textProblem(v);
}

/** Problems of the map as a whole (each entry's are judged by the two rules above). */
export function mapSizeProblem(m: Record<string, string>): string | undefined {
  const entries = Object.entries(m);
  if (entries.length > MAP_ENTRIES_MAX) return `must have at most ${MAP_ENTRIES_MAX} entries`;
  const total = entries.reduce((n, [k, v]) => n + k.length + String(v).length, 0);
  return total > MAP_TOTAL_MAX ? `must total at most ${MAP_TOTAL_MAX} characters of keys and values` : undefined;
}

/** The declared keys of `declared` that `live` holds as its own, with live's values (never inherited members). */
export function pickOwn(live: Record<string, string>, declared: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!declared) return undefined;
  return Object.fromEntries(Object.keys(declared).filter((k) => Object.hasOwn(live, k)).map((k) => [k, live[k]]));
}

/** Keys of `old` that `want` no longer declares as its own (to be removed from the host). */
export function droppedOwnKeys(old: Record<string, string> | undefined, want: Record<string, string> | undefined): string[] {
  return Object.keys(old ?? {}).filter((k) => !Object.hasOwn(want ?? {}, k));
}

const OVS_RUN_DIRS = ["/var/run/openvswitch/", "/run/openvswitch/"];
export const CONTROLLER_TARGET_MAX = 256;

/** host:port text of a target, IPv6 in brackets; the host must be an address (no scope). */
function hostPortProblem(rest: string, portFirst: boolean): string | undefined {
  const m = portFirst
    ? /^(\d+)(?::(?:\[([^\]]*)\]|([^:[\]]*)))?$/.exec(rest)
    : /^(?:\[([^\]]*)\]|([^:[\]]*))(?::(\d+))?$/.exec(rest);
  if (!m) return "must be TYPE:IP:PORT (IPv6 in brackets), ptcp:PORT[:IP] or unix:PATH";
  const [port, v6, v4] = portFirst ? [m[1], m[2], m[3]] : [m[3], m[1], m[2]];
  if (port !== undefined && (!/^[1-9][0-9]{0,4}$/.test(port) || Number(port) > 65535)) return "must have a port 1..65535";
  if (v6 !== undefined && (!net.isIPv6(v6) || v6.includes("%"))) return "must have an IPv6 address inside the brackets (no %scope)";
  if (v4 !== undefined && !net.isIPv4(v4)) return "must have an IPv4 address (IPv6 goes in brackets)";
  return undefined;
}

/**
 * An OpenFlow controller target as ovs-vsctl set-controller takes it. unix:/punix: paths must lie in the OVS run
 * directory: ovs-vswitchd runs as root and replaces whatever file is at a punix: path with its socket.
 */
export function controllerTargetProblem(s: string): string | undefined {
  if (s.length > CONTROLLER_TARGET_MAX) return `must be at most ${CONTROLLER_TARGET_MAX} characters`;
  const usage = "must be an OpenFlow target like tcp:198.18.0.1:6653, ptcp:6653 or unix:/run/openvswitch/br0.sock";
  const i = s.indexOf(":");
  if (i < 0) return usage;
  const type = s.slice(0, i);
  const rest = s.slice(i + 1);
  if (type === "tcp" || type === "ssl") return rest === "" ? "must name the controller's address" : hostPortProblem(rest, false);
  if (type === "ptcp" || type === "pssl") return hostPortProblem(rest, true);
  if (type === "unix" || type === "punix") {
    const dir = OVS_RUN_DIRS.find((d) => rest.startsWith(d));
    if (!dir) return `must put the socket in ${OVS_RUN_DIRS.join(" or ")} (ovs-vswitchd runs as root)`;
    const parts = rest.slice(dir.length).split("/");
    if (parts.some((p) => p === "" || p === "." || p === "..") || !/^[A-Za-z0-9_./-]+$/.test(rest)) {
      return "must be a plain path inside the OVS run directory (letters, digits, '_', '.', '-'; no '..' or empty segments)";
    }
    return undefined;
  }
  return usage;
}

/** IPv6 addresses inside the brackets in RFC 5952 form, so the same controller is one target. */
export function canonicalControllerTarget(s: string): string {
  return s.replace(/\[([^\]]*)\]/, (_, a: string) => `[${canonicalIp(a)}]`);
}
