import { envNumber, executorModule, persistSeconds, queueOptions } from "../../provider/transport/settings";

/** Settings from the environment: a bad value falls back to the default instead of breaking a deployment. */
const NAMES = ["POVS_TEST_N", "PULUMI_OVS_PERSIST", "PULUMI_OVS_COALESCE_MS", "PULUMI_OVS_MAX_BATCH", "PULUMI_OVS_EXECUTOR"];
const saved = NAMES.map((n) => process.env[n]);
afterEach(() => NAMES.forEach((n, i) => (saved[i] === undefined ? delete process.env[n] : (process.env[n] = saved[i]))));

test("envNumber: unset, empty, not a number or negative give the fallback; 0 and decimals are kept", () => {
  const at = (v: string | undefined) => {
    if (v === undefined) delete process.env.POVS_TEST_N;
    else process.env.POVS_TEST_N = v;
    return envNumber("POVS_TEST_N", 7);
  };
  expect([undefined, "", "x", "-1", "Infinity"].map(at)).toEqual([7, 7, 7, 7, 7]);
  expect(["0", "2.5", "300"].map(at)).toEqual([0, 2.5, 300]);
});

test("defaults: no persisting broker, the coalescing windows, at least one command per batch", () => {
  for (const n of NAMES) delete process.env[n];
  expect(persistSeconds()).toBe(0);
  expect(queueOptions()).toEqual({ windowMs: 5, streamWindowMs: 20, streamBatch: 16, maxWaitMs: 300, maxBatch: 512, maxInFlight: 1 });
  expect(executorModule()).toBeUndefined();
  process.env.PULUMI_OVS_MAX_BATCH = "0";
  process.env.PULUMI_OVS_COALESCE_MS = "12";
  process.env.PULUMI_OVS_PERSIST = "60";
  expect(queueOptions()).toMatchObject({ windowMs: 12, maxBatch: 1 });
  expect(persistSeconds()).toBe(60);
  process.env.PULUMI_OVS_EXECUTOR = "";
  expect(executorModule()).toBeUndefined();
});
