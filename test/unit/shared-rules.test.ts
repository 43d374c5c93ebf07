import { IFNAMSIZ, IF_NAME_MAX, isIfName } from "../../provider/shared/names";
import { OWNER_KEY } from "../../provider/shared/ownership";
import * as sharedConnection from "../../provider/shared/connection";
import { ifName } from "../../provider/schema/common";
import * as base from "../../provider/schema/base";
import * as schemaConnection from "../../provider/schema/connection";

/** The rules moved down to provider/shared/ are the very ones schema/ exposes (moving them changed nothing). */
describe("provider/shared", () => {
  test("isIfName accepts exactly what the ifName schema accepts", () => {
    const corpus = [
      "", "a", "eth0", "br-int", "veth_a.1", "_x", "0", "abcdefghijklmno", "abcdefghijklmnop", ".", "..", ".a", "-a",
      "a b", "a/b", "a:b", "a\n", "tap\u00e9", "é", "a-", "a.", "x".repeat(15), "x".repeat(16), " eth0", "eth0 ",
    ];
    for (const s of corpus) expect([s, isIfName(s)]).toEqual([s, ifName.safeParse(s).success]);
    for (const v of [undefined, null, 3, {}, ["eth0"]]) expect(isIfName(v)).toBe(ifName.safeParse(v).success);
    expect(IFNAMSIZ).toBe(16);
    expect(IF_NAME_MAX).toBe(15);
  });

  test("schema/ re-exports the shared definitions unchanged", () => {
    expect(base.OWNER_KEY).toBe(OWNER_KEY);
    expect(OWNER_KEY).toBe("pulumi-ovs-owner");
    expect(schemaConnection.usesSudo).toBe(sharedConnection.usesSudo);
    expect(schemaConnection.describeConnection).toBe(sharedConnection.describeConnection);
    const conn = schemaConnection.parseConnection({ host: "h1", user: "ops" });
    expect(sharedConnection.usesSudo(conn)).toBe(true);
    expect(sharedConnection.describeConnection(conn)).toBe("ops@h1:22");
  });
});
