import * as crypto from "node:crypto";

/**
 * A deterministic interface name (≤ 15 characters, IFNAMSIZ) for something the user did not name,
 * e.g. the host end of a container's veth: prefix + hex digest of a stable key.
 */
export function shortIfName(prefix: string, key: string, max = 15): string {
  const digest = crypto.createHash("sha256").update(key).digest("hex");
  return (prefix + digest).slice(0, max);
}
