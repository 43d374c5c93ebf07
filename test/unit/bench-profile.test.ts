import { packageOf, summarize, summaryLine, type CpuProfile } from "../../bench/profile";

const frame = (id: number, functionName: string, url = "") => ({ id, callFrame: { functionName, url } });

describe("bench CPU profile summary", () => {
  it("names the innermost package of a frame's URL", () => {
    expect(packageOf("file:///p/node_modules/@pulumi/pulumi/node_modules/google-protobuf/google-protobuf.js")).toBe("google-protobuf");
    expect(packageOf("/p/node_modules/@grpc/grpc-js/build/src/call.js")).toBe("@grpc/grpc-js");
    expect(packageOf("/p/node_modules/pulumi-ovs/dist/provider/resources/port.js")).toBe("pulumi-ovs");
    expect(packageOf("node:internal/http2/core")).toBe("node");
    expect(packageOf("node:internal/modules/cjs/loader")).toBe("node (module loading)");
    expect(packageOf("")).toBe("native");
    expect(packageOf("/home/me/script.js")).toBe("other");
  });

  it("counts each sample's time (the delta to the next sample) against its leaf frame", () => {
    const p: CpuProfile = {
      nodes: [frame(1, "(root)"), frame(2, "(idle)"), frame(3, "(garbage collector)"), frame(4, "r.set", "/x/node_modules/google-protobuf/g.js"), frame(5, "read", "/x/node_modules/pulumi-ovs/dist/a.js")],
      samples: [4, 2, 3, 4, 5, 5],
      // V8 gives each sample the time since the previous one: sample i lasts timeDeltas[i + 1].
      timeDeltas: [0, 1000, 4000, 2000, 3000, 500],
      startTime: 0,
      endTime: 10_500,
    };
    const s = summarize(p);
    expect(s.spanMs).toBe(10.5);
    expect(s.busyMs).toBe(6.5); // the span minus the 4 ms idle sample; the last sample has no next: 0
    expect(s.gcMs).toBe(2);
    expect(s.byPackage).toEqual([
      ["google-protobuf", 4],
      ["(gc)", 2],
      ["pulumi-ovs", 0.5],
    ]);
    expect(summaryLine(s, 2)).toBe("busy 0.01 of 0.01 s: google-protobuf 0.00, (gc) 0.00");
  });
});
