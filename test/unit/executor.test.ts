import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseConnection } from "../../provider/schema/connection";
import { cachedFact, forgetAllFacts } from "../../provider/host/facts";
import { retryDialErrors } from "../../provider/transport/dial";
import { closeAllHosts, hostFor } from "../../provider/transport/pool";

/**
 * The executor seam (transport/executor.ts): PULUMI_OVS_EXECUTOR loads another executor for hosts made
 * afterwards; its sharesReads decides whether host/facts.ts shares reads. And the one retry rule
 * (transport/dial.ts): retried only while nothing started on the host.
 */
const ROOT = path.resolve(__dirname, "../..");
const conn = () => parseConnection({ host: "127.0.0.1", port: 1, user: "nobody", password: "not-a-secret", dangerouslySkipHostKeyVerification: true });

describe("PULUMI_OVS_EXECUTOR", () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "executor-hook-"));
    fs.writeFileSync(
      path.join(dir, "fake.js"),
      `exports.submitted = [];
       exports.createExecutor = (ctx) => ({
         sharesReads: false,
         async submit(cmds, stopOnError) {
           exports.submitted.push({ label: ctx.label, argv: cmds.map((c) => c.argv), stopOnError });
           return cmds.map((c) => ({ code: c.argv[0] === "false" ? 1 : 0, stdout: c.argv.join(" "), stderr: "" }));
         },
         close() {},
       });`,
    );
  });
  afterEach(() => {
    delete process.env.PULUMI_OVS_EXECUTOR;
    closeAllHosts();
    forgetAllFacts();
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("runs a host's commands through the named module, and its sharesReads turns shared reads off", async () => {
    process.env.PULUMI_OVS_EXECUTOR = path.join(dir, "fake.js");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const fake = require(path.join(dir, "fake.js")) as { submitted: unknown[] };
    const h = hostFor(conn());
    expect(h.sharesReads).toBe(false);
    expect((await h.run({ argv: ["echo", "hi"] })).stdout).toBe("echo hi");
    await expect(h.run({ argv: ["false"] })).rejects.toThrow(/false/);
    expect(await h.runBatch([{ argv: ["a"] }, { argv: ["b"] }], { stopOnError: true })).toHaveLength(2);
    expect(fake.submitted).toEqual([
      { label: h.label, argv: [["echo", "hi"]], stopOnError: false },
      { label: h.label, argv: [["false"]], stopOnError: false },
      { label: h.label, argv: [["a"], ["b"]], stopOnError: true },
    ]);
    let reads = 0;
    const fetch = async () => ++reads;
    await cachedFact(h, "k", fetch);
    await cachedFact(h, "k", fetch);
    expect(reads).toBe(2);
  });

  it("leaves the default executor (shared reads) when unset", async () => {
    const h = hostFor(conn());
    expect(h.sharesReads).toBe(true);
    let reads = 0;
    const fetch = async () => ++reads;
    await cachedFact(h, "k", fetch);
    await cachedFact(h, "k", fetch);
    expect(reads).toBe(1);
  });

  it("names a module without createExecutor", () => {
    fs.writeFileSync(path.join(dir, "empty.js"), "exports.other = 1;");
    process.env.PULUMI_OVS_EXECUTOR = path.join(dir, "empty.js");
    expect(() => hostFor(conn())).toThrow(/createExecutor/);
  });
});

describe("retryDialErrors", () => {
  const rules = (reconnects: Error[]) => ({ reconnect: (e: Error) => reconnects.push(e), fail: (e: Error) => e });

  it("opens again while sshd refuses a channel, and reconnects once when the connection was gone", async () => {
    const errors = [new Error("(SSH) Channel open failure: open failed"), new Error("read ECONNRESET"), undefined];
    const reconnects: Error[] = [];
    let calls = 0;
    await expect(
      retryDialErrors(async () => {
        const e = errors[calls++];
        if (e) throw e;
        return "ok";
      }, rules(reconnects)),
    ).resolves.toBe("ok");
    expect(calls).toBe(3);
    expect(reconnects.map((e) => e.message)).toEqual(["read ECONNRESET"]);
  });

  it("never retries a command that started, nor a second connection loss", async () => {
    let calls = 0;
    await expect(retryDialErrors(async () => (calls++, Promise.reject(Object.assign(new Error("read ECONNRESET"), { commandStarted: true }))), rules([]))).rejects.toThrow(/ECONNRESET/);
    expect(calls).toBe(1);
    calls = 0;
    await expect(retryDialErrors(async () => (calls++, Promise.reject(new Error("read ECONNRESET"))), rules([]))).rejects.toThrow(/ECONNRESET/);
    expect(calls).toBe(2);
  });

  it("gives up at once on an error marked final", async () => {
    let calls = 0;
    const err = new Error("Channel open failure");
    await expect(retryDialErrors(async () => (calls++, Promise.reject(err)), { ...rules([]), final: () => true, fail: () => new Error("final") })).rejects.toThrow("final");
    expect(calls).toBe(1);
  });
});

describe("the connection broker", () => {
  /** Relative imports of a transport file, followed through transport/. */
  function reach(file: string, seen = new Set<string>()): Set<string> {
    if (seen.has(file)) return seen;
    seen.add(file);
    const src = fs.readFileSync(path.join(ROOT, "provider/transport", file), "utf8");
    for (const [, spec] of src.matchAll(/^import\s+(?!type\b)[^;]*?from\s+"\.\/([^"]+)";/gms)) reach(`${spec}.ts`, seen);
    return seen;
  }

  it("loads what it needs to dial, not the per-host registry or its queue", () => {
    const reached = reach("broker.ts");
    expect(reached.has("dial.ts")).toBe(true);
    expect([...reached].filter((f) => ["pool.ts", "coalesce.ts", "shell-executor.ts", "executor.ts"].includes(f))).toEqual([]);
  });
});
