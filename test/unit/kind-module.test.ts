import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { baseInputs, kindModule } from "../../provider/resources/framework";
import { closeAllHosts } from "../../provider/transport/pool";

/**
 * kindModule(): the engine's six functions of a resource kind, made from what the kind declares (its life
 * cycle runs with parsed inputs, a pooled host, and errors that name the resource and the host).
 */

const schema = z.object({ ...baseInputs, name: z.string().min(1), size: z.number().default(1) }).strict();
const conn = { host: "198.18.0.11", user: "povs", privateKey: "k" };
const base = { connection: conn, owner: "p/s/Thing/x", name: "t1" };

afterAll(() => closeAllHosts());

describe("kindModule", () => {
  it("checks with the schema and diffs every schema key by the kind's rules", async () => {
    const m = kindModule({
      kind: "Thing",
      schema,
      rules: { replaceKeys: ["name"], identityKeys: ["name"] },
      create: async () => ({ id: "x" }),
      read: async () => ({}),
      update: async () => ({}),
      delete: async () => undefined,
    });
    expect((await m.check({}, base)).inputs).toEqual({ ...base, size: 1 });
    expect((await m.check({}, { ...base, name: "" })).failures?.map((f) => f.property)).toEqual(["name"]);
    const d = await m.diff("x", { ...base, size: 1 }, { ...base, name: "t2", size: 1 });
    expect(d).toEqual({ changes: true, replaces: ["name"], deleteBeforeReplace: false });
  });

  it("lets the kind adjust the diff", async () => {
    const m = kindModule({
      kind: "Thing",
      schema,
      rules: { replaceKeys: [], identityKeys: [] },
      diff: (d, olds) => (olds.stale ? { ...d, changes: true } : d),
      create: async () => ({ id: "x" }),
      read: async () => ({}),
      update: async () => ({}),
      delete: async () => undefined,
    });
    expect((await m.diff("x", { ...base, size: 1 }, { ...base, size: 1 })).changes).toBe(false);
    expect((await m.diff("x", { ...base, size: 1, stale: true }, { ...base, size: 1 })).changes).toBe(true);
  });

  it("parses the old inputs for update only when the kind asks", async () => {
    const seen: unknown[] = [];
    const spec = {
      kind: "Thing",
      schema,
      rules: { replaceKeys: [], identityKeys: [] },
      create: async () => ({ id: "x" }),
      read: async () => ({}),
      delete: async () => undefined,
    };
    const without = kindModule({ ...spec, update: async (c) => (seen.push(c.old), { outs: c.want }) });
    // Old outputs that today's schema would refuse do not matter to a kind that does not use them.
    await expect(without.update("x", { ...base, name: "" }, base)).resolves.toEqual({ outs: { ...base, size: 1 } });
    const withOld = kindModule({ ...spec, parseOld: true, update: async (c) => (seen.push(c.old.size), { outs: c.want }) });
    await withOld.update("x", { ...base, size: 3, uuid: "computed" }, base);
    expect(seen).toEqual([undefined, 3]);
    // Old state that today's stricter rules refuse is taken as stored (it was check()'s output when written),
    // so a stack from before a rule was tightened can still be updated, refreshed and destroyed.
    const olds: unknown[] = [];
    const keepOld = kindModule({ ...spec, parseOld: true, update: async (c) => (olds.push(c.old), { outs: c.want }) });
    await keepOld.update("x", { ...base, name: "", size: 2, uuid: "computed" }, base);
    expect(olds).toEqual([{ ...base, name: "", size: 2 }]);
  });

  it("runs each step with parsed inputs and the host, and names the resource in errors", async () => {
    const m = kindModule({
      kind: "Thing",
      schema,
      rules: { replaceKeys: [], identityKeys: [] },
      label: (i) => `thing ${i.name}`,
      create: async ({ want, conn: c }) => ({ id: `${c.host}/${want.name}`, outs: want }),
      read: async ({ id, props, declared }) => ({ id, props: { ...props, seen: declared.size } }),
      update: async () => ({}),
      delete: async () => {
        throw new Error("boom");
      },
    });
    expect(await m.create(base)).toEqual({ id: "198.18.0.11/t1", outs: { ...base, size: 1 } });
    expect(await m.read("i", { ...base, size: 2 })).toEqual({ id: "i", props: { ...base, size: 2, seen: 2 } });
    await expect(m.delete("i", base)).rejects.toThrow(/Thing "thing t1" on \S*198\.18\.0\.11[\s\S]*boom/);
  });
});

describe("resource modules", () => {
  const dir = path.join(__dirname, "../../provider/resources");
  const kinds = fs.readdirSync(dir).filter((f) => f.endsWith(".ts") && f !== "framework.ts" && f !== "tunnel.ts" && f !== "restore.ts");

  it.each(kinds)("%s exports the six functions the engine calls", async (file) => {
    const mod = (await import(path.join(dir, file))) as Record<string, unknown>;
    for (const fn of ["check", "diff", "create", "read", "update", "delete"]) expect(typeof mod[fn]).toBe("function");
  });
});
