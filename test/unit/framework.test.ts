import { UNKNOWN, checkInputs, diffInputs, deepEqual, readResult } from "../../provider/resources/framework";
import { portInputKeys, portSchema } from "../../provider/schema/port";
import * as port from "../../provider/resources/port";
import { parseConnection } from "../../provider/schema/connection";

const conn = { host: "198.18.0.11", user: "povs", privateKey: "k" };
const base = { connection: conn, owner: "p/s/OvsPort/x", bridge: "br0", name: "p1" };
const rules = { replaceKeys: ["bridge", "name", "netns"], identityKeys: ["name"] };

describe("check", () => {
  it("names each bad property with a reason", () => {
    const r = checkInputs(portSchema, { ...base, name: "this-name-is-too-long", tag: 4096, trunks: [-1], addresses: ["198.18.1.1"], type: "internal" });
    const props = (r.failures ?? []).map((f) => f.property).sort();
    expect(props).toEqual(["addresses.0", "name", "tag", "trunks.0"]);
    expect(r.failures?.find((f) => f.property === "name")?.reason).toMatch(/15/);
  });

  it("does not judge values that are unknown during preview", () => {
    const r = checkInputs(portSchema, { ...base, bridge: UNKNOWN, tag: UNKNOWN });
    expect(r.failures ?? []).toEqual([]);
  });

  it("rejects unknown properties (typos)", () => {
    const r = checkInputs(portSchema, { ...base, tagg: 100 });
    expect(r.failures?.length).toBe(1);
  });

  it("normalizes sets so order never shows as a diff", () => {
    const r = checkInputs(portSchema, { ...base, trunks: [200, 100, 200] });
    expect((r.inputs as { trunks: number[] }).trunks).toEqual([100, 200]);
  });

  it("reports an invalid connection without echoing secrets", () => {
    const r = checkInputs(portSchema, { ...base, connection: { host: "bad host;rm", password: "hunter2" } });
    expect(r.failures?.[0].property).toBe("connection");
    expect(JSON.stringify(r.failures)).not.toContain("hunter2");
  });
});

describe("diff", () => {
  it("says no change when nothing differs (outputs carry extra computed fields)", () => {
    const d = diffInputs(portInputKeys, rules, { ...base, tag: 100, ofport: 3, uuid: "u" }, { ...base, tag: 100 });
    expect(d).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
  });

  it("updates in place for a tag change", () => {
    const d = diffInputs(portInputKeys, rules, { ...base, tag: 100 }, { ...base, tag: 200 });
    expect(d).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
  });

  it("replaces for a name change, creating the new one first", () => {
    const d = diffInputs(portInputKeys, rules, base, { ...base, name: "p2" });
    expect(d).toEqual({ changes: true, replaces: ["name"], deleteBeforeReplace: false });
  });

  it("replaces and deletes first when a port moves bridge under the same name", () => {
    const d = diffInputs(portInputKeys, rules, base, { ...base, bridge: "br1" });
    expect(d).toEqual({ changes: true, replaces: ["bridge"], deleteBeforeReplace: true });
  });

  it("treats a credential rotation as an update and a new host as a replacement", () => {
    expect(diffInputs(portInputKeys, rules, base, { ...base, connection: { ...conn, privateKey: "k2" } }).replaces).toEqual([]);
    expect(diffInputs(portInputKeys, rules, base, { ...base, connection: { ...conn, host: "198.18.0.12" } }).replaces).toEqual(["connection"]);
  });

  it("counts an unknown value as a change", () => {
    expect(diffInputs(portInputKeys, rules, { ...base, tag: 1 }, { ...base, tag: UNKNOWN }).changes).toBe(true);
  });

  it("treats absent, undefined and empty collections alike", () => {
    expect(deepEqual(undefined, [])).toBe(true);
    expect(deepEqual({ a: undefined }, {})).toBe(true);
    expect(deepEqual([1], [1, 2])).toBe(false);
  });

  it("is what the provider module exports", async () => {
    expect(await port.diff("id", { ...base, tag: 1 }, { ...base, tag: 2 })).toMatchObject({ changes: true, replaces: [] });
  });
});

test("a connection is parsed once per distinct value: equal inputs give the same frozen object, bad ones still fail", () => {
  const raw = () => ({ host: "198.18.0.11", user: "povs", password: "pw" });
  const a = parseConnection(raw());
  expect(parseConnection(raw())).toBe(a);
  expect(Object.isFrozen(a)).toBe(true);
  expect(a.port).toBe(22);
  expect(parseConnection({ ...raw(), port: 2222 })).not.toBe(a);
  for (let i = 0; i < 2; i++) expect(() => parseConnection({ ...raw(), host: "bad host;rm" })).toThrow(/invalid connection: connection\.host/);
});

describe("readResult", () => {
  const declared = { name: "p1", bridge: "br0", tag: undefined };
  it("sends no inputs back when the host has what the state declares (the engine keeps the state's)", () => {
    expect(readResult("id", { name: "p1", ofport: 3 }, { name: "p1", bridge: "br0" }, declared)).toEqual({ id: "id", props: { name: "p1", ofport: 3 } });
  });
  it("sends the live inputs back when anything drifted", () => {
    const r = readResult("id", { name: "p1" }, { name: "p1", bridge: "br0", tag: 7 }, declared);
    expect(r.inputs).toEqual({ name: "p1", bridge: "br0", tag: 7 });
  });
});
