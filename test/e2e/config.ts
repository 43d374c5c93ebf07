import * as fs from "node:fs";
import { inventory } from "../helpers/lab";

/** Stack config for the lab: the hosts (plain) and the shared private key (secret), as a user would set it. */
export function labStackConfig(extra: Record<string, string | number> = {}): Record<string, { value: string; secret?: boolean }> {
  const inv = inventory();
  const hosts = inv.hosts.map((h) => ({ name: h.name, host: h.address, port: h.port, user: h.user, hostKey: h.hostKey, underlayIp: h.underlayIp, trunkNic: h.trunkNic }));
  const cfg: Record<string, { value: string; secret?: boolean }> = {
    hosts: { value: JSON.stringify(hosts) },
    privateKey: { value: fs.readFileSync(inv.privateKeyPath, "utf8"), secret: true },
  };
  for (const [k, v] of Object.entries(extra)) cfg[k] = { value: String(v) };
  return cfg;
}
