import { canonicalCidr, canonicalCidrs, canonicalIp, inSubnet, ipFamily } from "../../provider/ip/addr";
import { ALIAS_MAX, isOurs, markedOwner, ownerMarker } from "../../provider/ip/owner";

describe("address text", () => {
  it("writes IPv6 the way the kernel reports it", () => {
    expect(canonicalIp("2001:DB8:0:0::1")).toBe("2001:db8::1");
    expect(canonicalIp("2001:db8:0:0:1:0:0:1")).toBe("2001:db8::1:0:0:1");
    expect(canonicalIp("198.18.0.1")).toBe("198.18.0.1");
    expect(canonicalCidr("2001:DB8::0001/064")).toBe("2001:db8::1/64");
    expect(canonicalCidrs(["198.18.0.2/24", "2001:DB8::1/64", "198.18.0.2/24", "198.18.0.1/24"])).toEqual(["198.18.0.1/24", "198.18.0.2/24", "2001:db8::1/64"]);
    expect(canonicalCidrs(undefined)).toBeUndefined();
  });

  it("knows which subnet an address is in", () => {
    expect(inSubnet("198.18.100.1", "198.18.100.2/24")).toBe(true);
    expect(inSubnet("198.18.101.1", "198.18.100.2/24")).toBe(false);
    expect(inSubnet("198.18.100.129", "198.18.100.130/25")).toBe(true);
    expect(inSubnet("198.18.100.127", "198.18.100.130/25")).toBe(false);
    expect(inSubnet("198.19.0.1", "198.18.0.1/15")).toBe(true);
    expect(inSubnet("2001:db8:100::1", "2001:db8:100::2/64")).toBe(true);
    expect(inSubnet("2001:db8:101::1", "2001:db8:100::2/64")).toBe(false);
    expect(inSubnet("::ffff:198.18.0.1", "::ffff:198.18.0.0/120")).toBe(true);
    // Families never mix; garbage is never "inside".
    expect(inSubnet("198.18.100.1", "2001:db8::/32")).toBe(false);
    expect(inSubnet("not-an-ip", "198.18.0.0/15")).toBe(false);
    expect(inSubnet("198.18.0.1", "198.18.0.0")).toBe(false);
    expect(inSubnet("198.18.0.1", "198.18.0.0/33")).toBe(false);
    expect(ipFamily("198.18.0.1")).toBe(4);
    expect(ipFamily("2001:db8::1")).toBe(6);
    expect(ipFamily("x")).toBeUndefined();
  });
});

describe("ownership marker (interface alias)", () => {
  it("names the owner, and recognizes it", () => {
    const m = ownerMarker("proj/dev/VethPair/a");
    expect(m).toBe("pulumi-ovs-owner=proj/dev/VethPair/a");
    expect(isOurs(m, "proj/dev/VethPair/a")).toBe(true);
    expect(isOurs(m, "proj/dev/VethPair/b")).toBe(false);
    expect(markedOwner(m, "proj/dev/VethPair/a")).toBe("proj/dev/VethPair/a");
    expect(markedOwner(m, "other")).toBe("proj/dev/VethPair/a");
    expect(markedOwner(undefined, "x")).toBeUndefined();
    expect(markedOwner("uplink to rack 4", "x")).toBeUndefined();
  });

  it("hashes owners too long for the 255-byte alias", () => {
    const long = "p/".repeat(200);
    const m = ownerMarker(long);
    expect(m.length).toBeLessThanOrEqual(ALIAS_MAX);
    expect(m).toMatch(/^pulumi-ovs-owner=sha256:[0-9a-f]{64}$/);
    expect(isOurs(m, long)).toBe(true);
    expect(isOurs(m, long + "x")).toBe(false);
    const edge = "x".repeat(ALIAS_MAX - "pulumi-ovs-owner=".length);
    expect(ownerMarker(edge)).toBe(`pulumi-ovs-owner=${edge}`);
    expect(ownerMarker(edge + "x")).toMatch(/sha256:/);
  });
});
