import { execFileSync } from "node:child_process";
import { shellJoin, shellQuote } from "../../provider/transport/quote";
import { HOSTILE } from "../helpers/hostile";


describe("shellQuote", () => {
  it.each(HOSTILE.map((s) => [JSON.stringify(s), s]))("passes %s through sh literally", (_name, s) => {
    const out = execFileSync("sh", ["-c", `printf '%s' ${shellQuote(s)}`], { encoding: "utf8" });
    expect(out).toBe(s);
  });

  it("keeps plain words unquoted so logs stay readable", () => {
    expect(shellQuote("ovs-vsctl")).toBe("ovs-vsctl");
    expect(shellQuote("br0")).toBe("br0");
    expect(shellQuote("options:remote_ip=198.19.0.12")).toBe("options:remote_ip=198.19.0.12");
  });

  it("quotes words that start with a dash", () => {
    expect(shellQuote("-x")).toBe("'-x'");
  });

  it("refuses NUL bytes instead of truncating", () => {
    expect(() => shellQuote("a\0b")).toThrow(/NUL/);
  });

  it("joins argv so that the shell sees exactly the same argv", () => {
    const argv = ["printf", "%s|", ...HOSTILE.filter((s) => s !== "")];
    const out = execFileSync("sh", ["-c", shellJoin(argv)], { encoding: "utf8" });
    expect(out).toBe(HOSTILE.filter((s) => s !== "").map((s) => s + "|").join(""));
  });

  it("refuses an empty command", () => {
    expect(() => shellJoin([])).toThrow(/empty/);
  });
});
