import * as crypto from "node:crypto";
import { fingerprint, knownHostsFingerprints, pinnedFingerprint, verifyHostKey } from "../../provider/transport/hostkeys";

function fakeKeyBlob(type: string, body: string): Buffer {
  const t = Buffer.from(type);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(t.length);
  return Buffer.concat([len, t, Buffer.from(body)]);
}

const blob = fakeKeyBlob("ssh-ed25519", "key-one");
const other = fakeKeyBlob("ssh-ed25519", "key-two");
const line = `ssh-ed25519 ${blob.toString("base64")}`;

describe("host key verification", () => {
  it("computes OpenSSH fingerprints", () => {
    const expected = "SHA256:" + crypto.createHash("sha256").update(blob).digest("base64").replace(/=+$/, "");
    expect(fingerprint(blob)).toBe(expected);
    expect(pinnedFingerprint(line)).toBe(expected);
    expect(pinnedFingerprint(expected)).toBe(expected);
  });

  it("accepts the pinned key and refuses another, naming both fingerprints", () => {
    expect(verifyHostKey({ kind: "pinned", expected: line }, blob, "h", 22)).toEqual({ ok: true });
    const v = verifyHostKey({ kind: "pinned", expected: line }, other, "h", 22);
    expect(v.ok).toBe(false);
    if (!v.ok) {
      expect(v.reason).toContain(fingerprint(blob));
      expect(v.reason).toContain(fingerprint(other));
      expect(v.reason).toMatch(/mismatch/);
    }
  });

  it("reads plain and hashed known_hosts entries, with ports", () => {
    const salt = crypto.randomBytes(20);
    const hashed = crypto.createHmac("sha1", salt).update("[h2]:2222").digest("base64");
    const content = [`h1,198.18.0.11 ${line}`, `|1|${salt.toString("base64")}|${hashed} ssh-ed25519 ${other.toString("base64")}`, "# comment"].join("\n");
    expect(knownHostsFingerprints(content, "198.18.0.11", 22)).toEqual([fingerprint(blob)]);
    expect(knownHostsFingerprints(content, "h2", 2222)).toEqual([fingerprint(other)]);
    expect(knownHostsFingerprints(content, "h2", 22)).toEqual([]);
    const v = verifyHostKey({ kind: "knownHosts", path: "/k", content }, other, "h1", 22);
    expect(v.ok).toBe(false);
  });

  it("refuses when there is nothing to verify against, unless explicitly skipped", () => {
    const v = verifyHostKey({ kind: "none" }, blob, "h", 22);
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.reason).toMatch(/dangerouslySkipHostKeyVerification/);
    expect(verifyHostKey({ kind: "skip" }, blob, "h", 22)).toEqual({ ok: true });
  });
});
