import * as crypto from "node:crypto";
import { cookieFor, cookieFromDigest } from "../../provider/ovs/flow-cookies";

/** The cookie derivation on its own: a pure function of the owner, whatever the cache holds. */
const ALL_ONES = (1n << 64n) - 1n;

function sha256(s: string): Buffer {
  return crypto.createHash("sha256").update(s, "utf8").digest();
}

describe("cookieFor", () => {
  it("is the first 64 bits of sha256(owner), hashed as UTF-8", () => {
    for (const owner of ["urn:pulumi:s::p::ovs:FlowEntry::a", "owner-ü", ""]) {
      expect(cookieFor(owner)).toBe(sha256(owner).readBigUInt64BE(0));
    }
  });

  it("gives the same cookie before and after the cache fills and is cleared", () => {
    const owners = Array.from({ length: 20_000 }, (_, i) => `p/s/FlowEntry/${i}`);
    const first = owners.slice(0, 50).map(cookieFor);
    for (const o of owners) cookieFor(o);
    expect(owners.slice(0, 50).map(cookieFor)).toEqual(first);
    expect(first.map((c, i) => c === cookieFromDigest(sha256(owners[i])))).toEqual(first.map(() => true));
  });

  it("gives distinct owners distinct cookies, never 0 or all-ones", () => {
    const seen = new Set<bigint>();
    for (let i = 0; i < 2_000; i++) {
      const c = cookieFor(`distinct-${i}`);
      expect(c !== 0n && c !== ALL_ONES).toBe(true);
      seen.add(c);
    }
    expect(seen.size).toBe(2_000);
  });
});

describe("cookieFromDigest", () => {
  it("skips windows that are 0 or all-ones and gives up only when every window is", () => {
    const d = Buffer.alloc(32);
    d.fill(0xff, 8, 16);
    d.writeBigUInt64BE(7n, 24);
    expect(cookieFromDigest(d)).toBe(7n);
    expect(cookieFromDigest(Buffer.alloc(32, 0xff))).toBeUndefined();
    expect(cookieFromDigest(Buffer.alloc(7, 1))).toBeUndefined();
  });
});
