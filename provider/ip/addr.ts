import * as net from "node:net";
import { canonicalCidr, canonicalIp } from "../shared/values";

/**
 * Address text in the form the kernel reports it, so that declared and live values compare equal
 * (`2001:DB8:0::1/64` is declared, `2001:db8::1/64` comes back from `ip -j addr`).
 */

/** One rule for the whole provider: RFC 5952 IPv6 text, IPv4 unchanged (shared/values.ts). */
export { canonicalCidr, canonicalIp };

/** Canonical, deduplicated, sorted: the form both the schema and read() produce. */
export function canonicalCidrs(cidrs: readonly string[] | undefined): string[] | undefined {
  return cidrs ? [...new Set(cidrs.map(canonicalCidr))].sort() : undefined;
}

/** The address as 4 or 16 bytes, or undefined when it is not an IP address. */
function ipBytes(ip: string): number[] | undefined {
  if (net.isIPv4(ip)) return ip.split(".").map(Number);
  if (!net.isIPv6(ip) || ip.includes("%")) return undefined;
  let text = canonicalIp(ip);
  // A trailing dotted quad (::ffff:1.2.3.4) becomes two hex groups.
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (quad) {
    const b = quad[1].split(".").map(Number);
    text = text.slice(0, quad.index) + `${((b[0] << 8) | b[1]).toString(16)}:${((b[2] << 8) | b[3]).toString(16)}`;
  }
  const [head, tail] = text.includes("::") ? text.split("::") : [text, undefined];
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const groups = tail === undefined ? h : [...h, ...new Array(8 - h.length - t.length).fill("0"), ...t];
  if (groups.length !== 8) return undefined;
  return groups.flatMap((g) => {
    const v = parseInt(g, 16);
    return [v >> 8, v & 0xff];
  });
}

/** Whether `ip` lies in the subnet of `cidr` (same family, same first prefixlen bits). */
export function inSubnet(ip: string, cidr: string): boolean {
  const i = cidr.lastIndexOf("/");
  if (i < 0) return false;
  const a = ipBytes(ip);
  const n = ipBytes(cidr.slice(0, i));
  const len = Number(cidr.slice(i + 1));
  if (!a || !n || a.length !== n.length || !Number.isInteger(len) || len < 0 || len > a.length * 8) return false;
  for (let bit = 0; bit < len; bit++) {
    const byte = bit >> 3;
    const mask = 0x80 >> (bit & 7);
    if ((a[byte] & mask) !== (n[byte] & mask)) return false;
  }
  return true;
}

export function ipFamily(ip: string): 4 | 6 | undefined {
  const f = net.isIP(ip);
  return f === 4 || f === 6 ? f : undefined;
}
