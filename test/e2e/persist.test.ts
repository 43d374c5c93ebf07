import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { programModule, stackFor } from "./harness";
import { labStackConfig } from "./config";
import { localPids, onHost, uniq } from "../helpers/lab";
import { eventually } from "../helpers/packets";

/**
 * PULUMI_OVS_PERSIST through the real engine: the provider process of `up` starts a connection broker per host,
 * and those of refresh and destroy (new processes) run their commands through it instead of dialing.
 */
jest.setTimeout(300_000);

const runtime = fs.mkdtempSync(path.join(os.tmpdir(), "povs-persist-e2e-"));
const traceFile = path.join(runtime, "trace.jsonl");
const keys = ["PULUMI_OVS_PERSIST", "XDG_RUNTIME_DIR", "PULUMI_OVS_TRACE"] as const;
const saved = keys.map((k) => process.env[k]);

const brokers = () => localPids(`broker.js ${runtime}/`);

afterAll(() => {
  for (const pid of brokers()) process.kill(pid, "SIGKILL");
  keys.forEach((k, i) => (saved[i] === undefined ? delete process.env[k] : (process.env[k] = saved[i])));
  fs.rmSync(runtime, { recursive: true, force: true });
});

test("up starts one broker for the host; refresh and destroy, in new provider processes, reuse it", async () => {
  // The CLI inherits this process's environment, and the provider process the CLI's.
  // 10 s: the gap between one engine operation's provider exiting and the next one's connecting is 3-4 s on a
  // 2-core machine (CLI start-up, engine, provider start), so a shorter window would test the idle exit instead.
  Object.assign(process.env, { PULUMI_OVS_PERSIST: "10", XDG_RUNTIME_DIR: runtime, PULUMI_OVS_TRACE: traceFile });
  const u = uniq();
  const { program } = await programModule<{ program: () => Promise<Record<string, unknown>> }>("programs/smoke.js");
  const { stack } = await stackFor(`persist-${u}`, program, labStackConfig({ bridge: `pb${u}`, port: `pp${u}`, tag: 100 }));
  const quiet = { onOutput: () => undefined };
  try {
    expect((await stack.up(quiet)).summary.result).toBe("succeeded");
    expect((await onHost(0, ["ovs-vsctl", "get", "Port", `pp${u}`, "tag"])).stdout.trim()).toBe("100");
    expect(brokers()).toHaveLength(1);
    await onHost(0, ["ovs-vsctl", "set", "Port", `pp${u}`, "tag=300"]); // drift, made by hand
    const refresh = await stack.refresh(quiet);
    expect(refresh.summary.resourceChanges).toMatchObject({ update: 1 });
    expect((await stack.up(quiet)).summary.resourceChanges).toMatchObject({ update: 1 });
    expect((await onHost(0, ["ovs-vsctl", "get", "Port", `pp${u}`, "tag"])).stdout.trim()).toBe("100");
    expect((await stack.destroy(quiet)).summary.result).toBe("succeeded");
    expect((await onHost(0, ["ovs-vsctl", "list-br"])).stdout).not.toContain(`pb${u}`);
  } finally {
    for (const k of keys) delete process.env[k];
    await stack.destroy(quiet).catch(() => undefined);
    await stack.workspace.removeStack(stack.name);
  }
  const events = fs.readFileSync(traceFile, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { pid: number; broker?: string; dialMs?: number });
  const byPid = new Map<number, string[]>();
  for (const e of events) if (e.broker) byPid.set(e.pid, [...(byPid.get(e.pid) ?? []), e.broker]);
  // up, refresh, up, destroy: four provider processes; the first started the broker, the others reused it.
  expect([...byPid.values()]).toEqual([["started"], ["reused"], ["reused"], ["reused"]]);
  expect(events.filter((e) => e.dialMs !== undefined && byPid.has(e.pid))).toEqual([]); // no provider dialed itself
  // Idle for 10 s after the last provider process ended: the broker is gone.
  expect(await eventually(async () => brokers().length === 0, 20)).toBe(true);
});
