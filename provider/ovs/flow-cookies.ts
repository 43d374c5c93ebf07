import * as crypto from "node:crypto";

/**
 * The cookie that marks a flow as one FlowEntry's: derived from the resource's owner string, so every
 * process (and every later deployment) finds the same flow without storing the cookie anywhere.
 */

const ALL_ONES = (1n << 64n) - 1n;

/**
 * Every engine call on a flow needs its cookie, and a large destroy asks for the same owners repeatedly:
 * cache the derivation. Bounded so a long-lived provider does not grow without limit; a cleared entry is
 * simply derived again, to the same value.
 */
const cookies = new Map<string, bigint>();
const COOKIES_MAX = 16_384;

/**
 * The first 64 bits of sha256(owner). 0 (what hand-written flows carry) and all-ones (reserved by OpenFlow)
 * are skipped by taking the next 64 bits.
 */
export function cookieFor(owner: string): bigint {
  let c = cookies.get(owner);
  if (c === undefined) {
    // Four bad windows in a row are practically impossible; rehashing keeps even that case well defined.
    c = cookieFromDigest(crypto.createHash("sha256").update(owner, "utf8").digest()) ?? cookieFor(`${owner}\0`);
    if (cookies.size >= COOKIES_MAX) cookies.clear();
    cookies.set(owner, c);
  }
  return c;
}

/** The first 64-bit window of a digest that is neither 0 nor all-ones. */
export function cookieFromDigest(digest: Buffer): bigint | undefined {
  for (let i = 0; i + 8 <= digest.length; i += 8) {
    const c = digest.readBigUInt64BE(i);
    if (c !== 0n && c !== ALL_ONES) return c;
  }
  return undefined;
}
