import { commandError, isNoNamespace, missingTool, missingToolError, noNamespaceError, ok } from "../../provider/ip/batch";
import type { SshHost } from "../../provider/transport/pool";

/** Judging the results of batched commands: success, a tool the host lacks, a namespace that is gone. */
const result = (code: number, stderr = "", stdout = "") => ({ code, stdout, stderr });

test("ok: exit 0 only; a command that never ran (undefined) is not ok", () => {
  expect(ok(result(0))).toBe(true);
  expect(ok(result(1))).toBe(false);
  expect(ok(undefined)).toBe(false);
});

test("missingTool: the shell's 127 (not found) and 126 (not executable), never a failure of the tool itself", () => {
  expect(missingTool(result(127, "sh: 1: ovs-vsctl: not found"))).toBe(true);
  expect(missingTool(result(126))).toBe(true);
  expect(missingTool(result(1))).toBe(false);
  expect(missingTool(undefined)).toBe(false);
  expect(missingToolError(result(127, "sh: 1: ip: not found\n")).message).toBe("required tool missing on the host: sh: 1: ip: not found");
});

test("isNoNamespace: iproute2's words for a namespace that is gone", () => {
  expect(isNoNamespace('Cannot open network namespace "ns1": No such file or directory')).toBe(true);
  expect(isNoNamespace("RTNETLINK answers: File exists")).toBe(false);
  expect(noNamespaceError("ns1").message).toMatch(/^namespace ns1 does not exist on the host/);
});

test("commandError names the host, the command as sent and its stderr", () => {
  const e = commandError({ label: "ops@198.18.0.11:22" } as SshHost, { argv: ["ip", "link", "set", "dev", "x y", "up"] }, result(1, "Cannot find device \"x y\""));
  expect(e.host).toBe("ops@198.18.0.11:22");
  expect(e.command).toBe("ip link set dev 'x y' up");
  expect(e.exitCode).toBe(1);
  expect(e.message).toContain('Cannot find device "x y"');
});
