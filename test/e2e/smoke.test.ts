import { programModule, stackFor } from "./harness";
import { labStackConfig } from "./config";
import { uniq } from "../helpers/lab";

jest.setTimeout(300_000);

test("smoke: up, no-change preview, update tag, destroy through the engine", async () => {
  const u = uniq();
  const { program } = await programModule<{ program: () => Promise<Record<string, unknown>> }>("programs/smoke.js");
  const { stack, cli } = await stackFor(`smoke-${u}`, program, labStackConfig({ bridge: `sb${u}`, port: `sp${u}`, tag: 100 }));
  try {
    const up = await stack.up({ onOutput: () => undefined });
    expect(up.summary.result).toBe("succeeded");
    expect(up.outputs.bridge.value).toBe(`sb${u}`);
    const pv = await stack.preview({ diff: true });
    expect(pv.changeSummary).toEqual({ same: 3 });
    await stack.setConfig("tag", { value: "200" });
    const pv2 = await stack.preview({ diff: true });
    expect(pv2.stdout).toMatch(/~ tag\s*: 100 => 200/);
    const exported = await cli(["stack", "export"]);
    const state = JSON.parse(exported.stdout);
    const res = state.deployment.resources.find((r: { type: string }) => r.type === "pulumi-nodejs:dynamic/ovs:OvsPort");
    expect(res.outputs.__provider.length).toBeLessThan(1024);
  } finally {
    await stack.destroy({ onOutput: () => undefined });
    await stack.workspace.removeStack(stack.name);
  }
});
