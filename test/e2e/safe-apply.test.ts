import * as fs from "node:fs";
import { programModule, stackFor, type StackHandle, stepTimer } from "./harness";
import { CliStack, changeSummary } from "./cli";
import { inventory, uniq } from "../helpers/lab";
import { armedAt, cliProject, eventually, hostView, killWhenArmed, lab, leftovers, on, outageAfter, pings, run, sleep, ssh, tcp, watchSsh } from "./spare-hosts";

/**
 * Issue 25 through the real engine, on spare lab hosts (`lab.sh spare-up`: a failed revert breaks nobody else):
 * h45 + h46 run seed 004 verbatim (mgmt0, the NIC sshd is reached on, moves into ovs1 with its address and
 * default route; containers on ovs2; VXLAN over the moved management addresses), then a good change with
 * rollbackAfter, a provider SIGKILLed right after a change left, then destroy. h47 meanwhile takes wrong changes
 * with rollbackAfter: 20 (the management address in a wrong subnet; a drop-all flow on the bridge that carries
 * management). The two run side by side (their waits overlap): h45/h46 inline through the Automation API, h47
 * through the Pulumi CLI in a project directory (inline programs cannot run concurrently in one process).
 */

jest.setTimeout(900_000);
const s = uniq();
const [A, B, C] = ["h45", "h46", "h47"];
const ROLLBACK = 20;
const quiet = { onOutput: () => undefined };
type Program = { program: () => Promise<Record<string, unknown>> };
type Spare = { name: string; address: string; port: number; user: string; hostKey: string };
const figures: Record<string, unknown> = {};
const { timings, timed } = stepTimer();
describe("safe apply and the management move on spare hosts", () => {
  const spares: Record<string, Spare> = {};
  let key = "";
  let seed: StackHandle | undefined;
  let single: CliStack | undefined;
  let goodAt = 0;
  /** h47's scenario, started by the first test and awaited by the last. */
  let wrongRun: Promise<void> = Promise.resolve();

  const hostsConfig = (hosts: string[]) => JSON.stringify(hosts.map((h) => ({ name: spares[h].name, host: spares[h].address, port: spares[h].port, user: spares[h].user, hostKey: spares[h].hostKey })));
  const addrRe = (h: string) => spares[h].address.replace(/\./g, "\\.");

  beforeAll(async () => {
    for (const h of [A, B, C]) {
      const up = await lab("spare-up", h);
      if (up.exitCode !== 0) throw new Error(`lab.sh spare-up ${h} failed: ${up.stderr}`);
      spares[h] = JSON.parse(up.stdout) as Spare;
      // A default route via mgmt0 first: the move must carry it to the bridge.
      await on(h, "ip route replace default via 198.18.0.1 dev mgmt0");
    }
    key = fs.readFileSync(inventory().privateKeyPath, "utf8");
  });

  afterAll(async () => {
    await wrongRun.catch(() => undefined);
    if (seed) await seed.stack.destroy(quiet).catch(() => undefined);
    if (seed) await seed.stack.workspace.removeStack(seed.stack.name, { force: true }).catch(() => undefined);
    // h47's stack is not destroyed: nothing of it lives outside the spare host, which goes down below.
    if (single) await single.workspace.removeStack(single.name).catch(() => undefined);
    await run("docker", ["rm", "-f", ...["a1", "a2", "b1", "b2"].map((n) => `sa${n}${s}`)]);
    for (const h of [A, B, C]) await lab("spare-down", h);
    console.log(`safe-apply: ${JSON.stringify(figures)}; step timings (ms): ${JSON.stringify(timings)}`);
  });

  test("(a) seed 004 verbatim: mgmt0 into ovs1 with its address and default route; SSH on the same address; ICMP + TCP over VXLAN", async () => {
    wrongRun = timed("h47-scenario", wrongScenario);
    wrongRun.catch(() => undefined); // awaited (and reported) by the last test
    const { program } = await programModule<Program>("programs/safe-apply.js");
    seed = await stackFor(`sa-seed-${s}`, program, { suffix: { value: s }, privateKey: { value: key, secret: true }, hosts: { value: hostsConfig([A, B]) }, layout: { value: "seed" } });
    const up = await timed("a-seed-up", () => seed!.stack.up(quiet));
    expect(up.summary.result).toBe("succeeded");
    for (const host of [A, B]) {
      const seen = await ssh(spares[host].address, "ip -br addr show ovs1; ip -br addr show mgmt0; ip route show default");
      expect(seen.ok).toBe(true);
      expect(seen.out).toMatch(new RegExp(`^ovs1\\s+\\S+\\s+${addrRe(host)}/24`, "m"));
      expect(seen.out).not.toMatch(/^mgmt0\S*\s+\S+\s+198\./m);
      expect(seen.out).toMatch(/default via 198\.18\.0\.1 dev ovs1/);
    }
    const [a1, a2, b1, b2] = ["a1", "a2", "b1", "b2"].map((n) => `sa${n}${s}`);
    const pairs: [string, string, string][] = [
      [A, a1, "198.18.160.6"], [A, a1, "198.18.160.8"], [A, a1, "198.18.160.9"], [A, a1, "198.18.160.3"], [A, a1, "198.18.160.4"],
      [B, b2, "198.18.160.5"], [B, b2, "198.18.160.6"], [B, b2, "198.18.160.3"],
    ];
    const icmp = await Promise.all(pairs.map(([host, from, to]) => eventually(() => pings(host, from, to), 10)));
    figures.seedIcmp = Object.fromEntries(pairs.map(([, from, to], i) => [`${from}->${to}`, icmp[i]]));
    expect(icmp.every(Boolean)).toBe(true);
    expect(await tcp(A, b1, a1, "198.18.160.8")).toBe(true);
    expect(await tcp(B, a2, b2, "198.18.160.6")).toBe(true);
    expect(Object.keys((await seed.stack.preview()).changeSummary)).toEqual(["same"]);
  });

  test("(c) a good change with rollbackAfter: applied and confirmed (still in place 25 s later: checked after (d))", async () => {
    await seed!.stack.setAllConfig({ rollbackAfter: { value: String(ROLLBACK) }, change: { value: "probe" } });
    const pv = await seed!.stack.preview();
    expect(pv.changeSummary).toEqual({ create: 1, same: expect.any(Number) }); // turning safe apply on changes no resource
    const good = await timed("c-good-up", () => seed!.stack.up(quiet));
    expect(good.summary.result).toBe("succeeded");
    goodAt = Date.now();
    expect(await on(A, "ip -br addr show probe")).toMatch(/198\.18\.162\.55\/24/);
  });

  test("(d) the provider SIGKILLed right after a change left: the host reverts by itself; refresh shows it; the next up applies it, armed", async () => {
    const before = await hostView(A);
    await seed!.stack.setConfig("change", { value: "probe,probe-flow" });
    const { killed, upResult } = await killWhenArmed(seed!.stack.name, A, () => seed!.stack.up(quiet));
    figures.killedProvider = killed.length;
    expect(killed.length).toBeGreaterThan(0);
    expect(upResult).not.toBe("succeeded");
    const t0 = Date.now();
    const flow = () => on(A, "ovs-ofctl dump-flows ovs1 udp,tp_dst=9 | grep -v reply; true");
    const reverted = await eventually(async () => (await flow()).trim() === "" && (await leftovers(A)) === "", ROLLBACK + 10);
    figures.killedRevertWaitMs = Date.now() - t0;
    if (!reverted) figures.killedHost = await on(A, "ls -l /run/openvswitch/pulumi-ovs-safe-apply/*; cat /run/openvswitch/pulumi-ovs-safe-apply/*/revert.log");
    expect(reverted).toBe(true);
    expect(await hostView(A)).toEqual(before);
    // The CLI asks to clear the interrupted create; then the state is the host's: one flow to create.
    await seed!.cli(["refresh", "--yes", "--skip-preview", "--clear-pending-creates"]);
    expect((await seed!.stack.preview()).changeSummary).toEqual({ create: 1, same: expect.any(Number) });
    expect((await timed("d-up-again", () => seed!.stack.up(quiet))).summary.result).toBe("succeeded");
    expect(await flow()).toMatch(/udp,tp_dst=9 actions=drop/);
    expect(await leftovers(A)).toBe("");
  });

  test("(c) 25 s after the good change it is still in place, no revert left", async () => {
    await sleep(Math.max(0, goodAt + (ROLLBACK + 5) * 1000 - Date.now()));
    expect(await on(A, "ip -br addr show probe")).toMatch(/198\.18\.162\.55\/24/);
    expect((await ssh(spares[A].address)).ok).toBe(true);
    expect(await leftovers(A)).toBe("");
  });

  test("(a) destroy moves mgmt0's address and default route back", async () => {
    const down = await timed("a-seed-destroy", () => seed!.stack.destroy(quiet));
    expect(down.summary.result).toBe("succeeded");
    for (const host of [A, B]) {
      expect(await on(host, "ip -br addr show mgmt0")).toMatch(new RegExp(`${addrRe(host)}/24`));
      expect(await on(host, "ip route show default")).toMatch(/default via 198\.18\.0\.1 dev mgmt0/);
      expect((await on(host, "ovs-vsctl list-br")).trim()).toBe("br-ul");
      expect((await ssh(spares[host].address)).ok).toBe(true);
      expect(await leftovers(host)).toBe("");
    }
  });

  test("(b) wrong changes with rollbackAfter: 20 revert themselves (h47, run alongside)", async () => {
    await wrongRun;
  });

  /** (b) on h47, through the CLI. */
  async function wrongScenario(): Promise<void> {
    const cli = (single = await CliStack.init(await cliProject(), `sa-wrong-${s}`, {
      suffix: { value: s },
      privateKey: { value: key, secret: true },
      hosts: { value: hostsConfig([C]) },
      layout: { value: "single" },
      rollbackAfter: { value: String(ROLLBACK) },
    }));
    await timed("b-up", () => cli.up());
    expect(await on(C, "ip -br addr show mgmt")).toMatch(new RegExp(`${addrRe(C)}/24`));
    const before = await hostView(C);
    const reverts: Record<string, unknown> = {};

    // (b) The management address in a wrong subnet, then (separately) a drop-all flow on the bridge carrying it.
    for (const change of ["wrong-address", "drop-all"]) {
      await cli.setAllConfig({ change: { value: change } });
      const { result: r, samples } = await timed(`b-${change}`, () => watchSsh(spares[C].address, () => cli.pulumi(["up", "--yes", "--skip-preview"], { reject: false })));
      const msg = r.stdout + r.stderr;
      figures[`${change}-error`] = msg.split("\n").find((l) => /revert/.test(l))?.trim().slice(0, 500);
      expect(r.exitCode).not.toBe(0);
      expect(msg).toMatch(new RegExp(`povs@${addrRe(C)}:22`));
      expect(msg).toMatch(/reverts the change by itself at \d\d:\d\d:\d\d UTC/);
      // The change that cut SSH is the last one armed (the host shares this machine's clock): SSH must fail after
      // it and answer again within rollbackAfter + 5 s of it.
      const armed = await armedAt(C);
      const { cutAt, backAt } = outageAfter(samples, armed);
      expect(cutAt).toBeDefined();
      expect(backAt).toBeDefined();
      reverts[change] = { armedToBackS: Math.round((backAt! - armed) / 100) / 10, cutToBackS: Math.round((backAt! - cutAt!) / 100) / 10 };
      expect(backAt! - armed).toBeLessThanOrEqual((ROLLBACK + 5) * 1000);
      expect(await hostView(C)).toEqual(before);
      // The state kept the old values: a refresh finds the host exactly as the state says.
      expect(Object.keys(changeSummary((await cli.pulumi(["refresh", "--preview-only"])).stdout))).toEqual(["same"]);
      expect(await leftovers(C)).toBe("");
    }
    figures.revertSeconds = reverts;

  }
});
