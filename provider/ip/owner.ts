import * as crypto from "node:crypto";
import { OWNER_KEY } from "../shared/ownership";

/**
 * Ownership markers for kernel objects that have no metadata of their own (network namespaces, veths):
 * the interface alias (IFLA_IFALIAS) of the veth's first end, or of `lo` inside a namespace.
 */

/** The kernel keeps at most IFALIASZ - 1 = 255 bytes of an alias. */
export const ALIAS_MAX = 255;
const PREFIX = `${OWNER_KEY}=`;

/** The alias that marks an object as owned by `owner`; owners too long for an alias are hashed. */
export function ownerMarker(owner: string): string {
  const plain = PREFIX + owner;
  if (Buffer.byteLength(plain) <= ALIAS_MAX) return plain;
  return `${PREFIX}sha256:${crypto.createHash("sha256").update(owner).digest("hex")}`;
}

/**
 * Who owns an object, as framework.assertOwnable wants it: `owner` itself when the alias is our marker for it,
 * the text after the prefix for another pulumi-ovs owner, undefined for no marker (foreign).
 */
export function markedOwner(alias: string | undefined, owner: string): string | undefined {
  if (!alias || !alias.startsWith(PREFIX)) return undefined;
  if (alias === ownerMarker(owner)) return owner;
  return alias.slice(PREFIX.length);
}

export function isOurs(alias: string | undefined, owner: string): boolean {
  return alias === ownerMarker(owner);
}
