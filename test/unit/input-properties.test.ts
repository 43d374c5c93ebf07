import fc from "fast-check";
import { T, type Inputs, type Target } from "../helpers/targets";
import { propertySeed, valueSoup } from "../helpers/value-soup";
import { textProblem } from "../../provider/shared/values";

/**
 * Issue 23, property tests (unit part): for every property of every resource, values grown from a valid one
 * (mutations, spellings that tools read otherwise, prototype names, controls, huge sizes, other types). Each is
 * either refused by check() with a failure naming the property, or accepted in a canonical form: checking the
 * accepted inputs again changes nothing and diff sees no change (so the refresh right after `up`, which compares
 * the same way, shows no drift), and no string in it holds a control character or a lone surrogate. The host
 * tools' side (what ovs-ofctl, iproute2 and OVSDB read back) is test/lab/input-properties.test.ts.
 * Seeded: POVS_PROPERTY_SEED repeats a run; fast-check prints the seed and the shrunk value on failure.
 */

jest.setTimeout(120_000);
const SEED = propertySeed();
const RUNS = Number(process.env.POVS_PROPERTY_RUNS) || 120;

/** Valid examples of the properties the bases leave out, so that every property gets its values. */
const EXTRA: Record<string, Inputs> = {
  bridge: { adopt: true, stpEnable: true, rstpEnable: false, mcastSnoopingEnable: true },
  port: { adopt: true, protected: false, ofportRequest: 10, mtuRequest: 1400, up: true },
  trunk: { tag: 5 },
  patch: {},
  vxlan: { adopt: true },
  gre: { adopt: true },
  netns: { adopt: true },
  ctrns: {},
  veth: { adopt: true, up: true, peerUp: true, txChecksumOffload: false, peerTxChecksumOffload: true },
  flow: { adopt: true, hardTimeout: 30 },
  container: { adopt: true, privileged: false, running: true },
  route: { adopt: true },
  nat: { adopt: true, namespace: "ns0", destination: "198.18.2.0/24" },
};

const tally = { tried: 0, refused: 0, accepted: 0 };
const perResource: Record<string, { tried: number; refused: number; accepted: number }> = {};

function strings(v: unknown, out: string[] = []): string[] {
  if (typeof v === "string") out.push(v);
  else if (Array.isArray(v)) v.forEach((x) => strings(x, out));
  else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) (out.push(k), strings(x, out));
  return out;
}

/** A failure names the property by its path, or (a rule between two properties) in its reason. */
const names = (property: string, failures: { property: string; reason: string }[]) =>
  failures.some((f) => f.property === property || f.property.startsWith(`${property}.`) || new RegExp(`\\b${property}\\b`).test(f.reason));

async function holds(t: Target, base: Inputs, property: string, value: unknown): Promise<boolean> {
  const count = (perResource[t.resource] ??= { tried: 0, refused: 0, accepted: 0 });
  tally.tried++, count.tried++;
  const r = await t.mod.check({}, { ...base, [property]: value });
  if (r.failures?.length) {
    tally.refused++, count.refused++;
    if (!names(property, r.failures)) throw new Error(`refused without naming ${property}: ${JSON.stringify(r.failures)}`);
    return true;
  }
  tally.accepted++, count.accepted++;
  const checked = r.inputs as Inputs;
  const again = await t.mod.check({}, checked);
  expect(again.failures ?? []).toEqual([]);
  expect(again.inputs).toEqual(checked);
  // The old side is state: inputs plus outputs (a container namespace's diff also reads its linked PID).
  expect((await t.mod.diff("id", { ...checked, pid: 7, linkedPid: 7 }, checked)).changes).toBe(false);
  for (const s of strings(checked[property])) expect(textProblem(s)).toBeUndefined();
  expect(strings(checked[property]).some((s) => typeof s !== "string")).toBe(false);
  return true;
}

afterAll(() => {
  const rows = Object.entries(perResource).map(([k, c]) => `${k} ${c.tried} (${c.accepted} accepted, ${c.refused} refused)`);
  console.log(`input properties (seed ${SEED}, ${RUNS} runs per property): ${tally.tried} values, ${tally.accepted} accepted canonical, ${tally.refused} refused naming the property; ${rows.join("; ")}`);
});

describe(`every property of every resource: refused by name, or canonical (seed ${SEED})`, () => {
  for (const [key, t] of Object.entries(T)) {
    const base: Inputs = { ...t.base, ...EXTRA[key] };
    it(`${key}: the base with every property set is valid`, async () => {
      expect((await t.mod.check({}, base)).failures ?? []).toEqual([]);
    });
    for (const property of Object.keys(base).filter((p) => p !== "connection")) {
      it(`${key}.${property}`, async () => {
        await fc.assert(fc.asyncProperty(valueSoup(base[property]), (v) => holds(t, base, property, v)), { seed: SEED, numRuns: RUNS });
      });
    }
  }
});
