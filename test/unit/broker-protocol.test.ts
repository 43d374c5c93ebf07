import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { brokerDir, brokerSocketPath, encode, lineReader } from "../../provider/transport/broker-protocol";

describe("connection broker protocol", () => {
  it("reads JSON lines split anywhere across chunks, and drops what is not JSON", () => {
    const got: unknown[] = [];
    const read = lineReader<unknown>((m) => got.push(m));
    const text = encode({ id: 1, script: "echo 'a\nb'", timeoutMs: 5 }) + "not json\n\n" + encode({ id: 2, ok: { stdout: "é\n", stderr: "", code: 0 } });
    const bytes = Buffer.from(text, "utf8");
    for (let i = 0; i < bytes.length; i += 3) read(bytes.subarray(i, i + 3)); // splits the two-byte é too
    expect(got).toEqual([
      { id: 1, script: "echo 'a\nb'", timeoutMs: 5 },
      { id: 2, ok: { stdout: "é\n", stderr: "", code: 0 } },
    ]);
  });

  it("names a socket by a hash: stable, short, different per pool key and per broker program", () => {
    const key = "povs@198.18.0.11:22#0123456789abcdef";
    const a = brokerSocketPath("/run/user/1000/pulumi-ovs-1000", key, "/opt/a/broker.js");
    expect(a).toBe(brokerSocketPath("/run/user/1000/pulumi-ovs-1000", key, "/opt/a/broker.js"));
    expect(a).toMatch(/^\/run\/user\/1000\/pulumi-ovs-1000\/[0-9a-f]{32}\.sock$/);
    expect(a).not.toBe(brokerSocketPath("/run/user/1000/pulumi-ovs-1000", `${key}x`, "/opt/a/broker.js"));
    expect(a).not.toBe(brokerSocketPath("/run/user/1000/pulumi-ovs-1000", key, "/opt/b/broker.js"));
    expect(a.length).toBeLessThan(108); // sun_path
  });

  it("makes the socket directory 0700 and refuses one others can enter", () => {
    const runtime = fs.mkdtempSync(path.join(os.tmpdir(), "povs-broker-dir-"));
    try {
      const dir = brokerDir({ XDG_RUNTIME_DIR: runtime });
      expect(dir).toBe(path.join(runtime, `pulumi-ovs-${process.getuid!()}`));
      expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
      fs.chmodSync(dir, 0o755);
      expect(() => brokerDir({ XDG_RUNTIME_DIR: runtime })).toThrow(/mode 0700/);
      fs.rmSync(dir, { recursive: true });
      fs.symlinkSync(runtime, dir); // a link is not a directory of ours
      expect(() => brokerDir({ XDG_RUNTIME_DIR: runtime })).toThrow(/must be a directory/);
    } finally {
      fs.rmSync(runtime, { recursive: true, force: true });
    }
  });
});
