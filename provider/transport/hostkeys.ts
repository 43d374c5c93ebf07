import * as crypto from "node:crypto";

/** How a connection decides whether the key a server offers is the right one. */
export type HostKeyPolicy =
  | { kind: "pinned"; expected: string }
  | { kind: "knownHosts"; path: string; content: string }
  | { kind: "skip" }
  | { kind: "none" };

export type HostKeyVerdict = { ok: true } | { ok: false; reason: string };

/** OpenSSH-style fingerprint of a public key blob: "SHA256:" + unpadded base64 of its SHA-256. */
export function fingerprint(blob: Buffer): string {
  return "SHA256:" + crypto.createHash("sha256").update(blob).digest("base64").replace(/=+$/, "");
}

/** The key type written at the start of an SSH public key blob (a uint32 length, then the name). */
export function keyType(blob: Buffer): string {
  if (blob.length < 4) return "unknown";
  const len = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + len).toString("latin1");
}

function normalizeFingerprint(fp: string): string {
  return fp.trim().replace(/=+$/, "");
}

/** Fingerprints of the keys a pinned value allows: a "SHA256:..." value, or "type base64 [comment]". */
export function pinnedFingerprint(pinned: string): string {
  const p = pinned.trim();
  if (p.startsWith("SHA256:")) return normalizeFingerprint(p);
  const [, b64] = p.split(/\s+/);
  return fingerprint(Buffer.from(b64 ?? "", "base64"));
}

/** The host patterns a known_hosts line is for, as OpenSSH writes them: "host" or "[host]:port". */
function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function hostFieldMatches(field: string, name: string): boolean {
  if (field.startsWith("|1|")) {
    // Hashed entry: |1|base64(salt)|base64(HMAC-SHA1(salt, name)).
    const [, , salt, hash] = field.split("|");
    if (!salt || !hash) return false;
    const mac = crypto.createHmac("sha1", Buffer.from(salt, "base64")).update(name).digest("base64");
    return mac === hash;
  }
  return field.split(",").some((pattern) => {
    if (pattern.startsWith("!")) return false;
    if (!pattern.includes("*") && !pattern.includes("?")) return pattern === name;
    const re = new RegExp("^" + pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".") + "$");
    return re.test(name);
  });
}

/** Fingerprints known_hosts lists for this host (ignoring @revoked/@cert-authority lines). */
export function knownHostsFingerprints(content: string, host: string, port: number): string[] {
  const name = knownHostsName(host, port);
  const out: string[] = [];
  for (const raw of content.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith("#") || line.startsWith("@")) continue;
    const [hosts, , b64] = line.split(/\s+/);
    if (hosts && b64 && hostFieldMatches(hosts, name)) {
      out.push(fingerprint(Buffer.from(b64, "base64")));
    }
  }
  return out;
}

/** Decide on an offered key. The reason names both fingerprints so a human can tell a rotation from an attack. */
export function verifyHostKey(policy: HostKeyPolicy, offered: Buffer, host: string, port: number): HostKeyVerdict {
  const got = fingerprint(offered);
  const gotText = `${keyType(offered)} ${got}`;
  switch (policy.kind) {
    case "skip":
      return { ok: true };
    case "pinned": {
      const want = pinnedFingerprint(policy.expected);
      if (want === got) return { ok: true };
      return {
        ok: false,
        reason: `host key mismatch for ${host}:${port}: expected ${want}, but the server offered ${gotText}. ` +
          "If the host was reinstalled, update connection.hostKey; otherwise someone may be intercepting the connection.",
      };
    }
    case "knownHosts": {
      const known = knownHostsFingerprints(policy.content, host, port);
      if (known.includes(got)) return { ok: true };
      if (known.length === 0) {
        return { ok: false, reason: `host ${host}:${port} is not in ${policy.path}; the server offered ${gotText}. Pin it with connection.hostKey or add it to known_hosts.` };
      }
      return {
        ok: false,
        reason: `host key mismatch for ${host}:${port}: ${policy.path} expects ${known.join(" or ")}, but the server offered ${gotText}.`,
      };
    }
    case "none":
      return {
        ok: false,
        reason: `no host key to verify ${host}:${port} against; the server offered ${gotText}. ` +
          "Set connection.hostKey (or connection.knownHostsPath); connection.dangerouslySkipHostKeyVerification=true turns the check off.",
      };
  }
}
