import { toMermaid, toSvg, topologyFromState } from "../../sdk/topology";

const T = "pulumi-nodejs:dynamic/ovs:";
const res = (kind: string, id: string, outputs: Record<string, unknown>) => ({ type: T + kind, urn: `urn:x::${kind}`, id, outputs });

const state = {
  deployment: {
    resources: [
      { type: "pulumi:pulumi:Stack", urn: "urn:stack" },
      res("OvsBridge", "198.18.0.11/ovs2", { name: "ovs2" }),
      res("OvsBridge", "198.18.0.12/ovs2", { name: "ovs2" }),
      res("OvsPort", "198.18.0.11/ovs2/gw", { bridge: "ovs2", name: "gw", type: "internal", addresses: ["198.19.1.11/24"] }),
      res("OvsPort", "198.18.0.12/ovs2/gw", { bridge: "ovs2", name: "gw", type: "internal", addresses: ["198.19.1.12/24"] }),
      res("OvsPort", "198.18.0.11/ovs2/pv1", { bridge: "ovs2", name: "pv1", tag: 100 }),
      res("VethPair", "198.18.0.11/veth/-/pv1", { name: "pv1", peerName: "eth1", peerNamespace: "ctr-1" }),
      res("NetNamespace", "198.18.0.11/netns/ctr-1", { name: "ctr-1", container: "web" }),
      res("DockerContainer", "198.18.0.11/abc", { name: "web" }),
      res("VxlanTunnel", "198.18.0.11/ovs2/vx1", { bridge: "ovs2", name: "vx1", remoteIp: "198.19.1.12", key: 100 }),
      res("VxlanTunnel", "198.18.0.12/ovs2/vx1", { bridge: "ovs2", name: "vx1", remoteIp: "198.19.1.11", key: 100 }),
      res("FlowEntry", "198.18.0.11/ovs2/table=0", { bridge: "ovs2" }),
    ],
  },
};

describe("topology from state", () => {
  const t = topologyFromState(state);

  it("groups resources by host (from their IDs) and links containers through veth and namespace", () => {
    expect(t.hosts.map((h) => h.host)).toEqual(["198.18.0.11", "198.18.0.12"]);
    const br = t.hosts[0].bridges[0];
    expect(br.flows).toBe(1);
    expect(br.ports.find((p) => p.name === "pv1")).toMatchObject({ tag: 100, attached: "web" });
    expect(t.hosts[0].containers).toEqual(["web"]);
  });

  it("resolves tunnels to the host owning the remote address", () => {
    expect(t.links).toEqual(expect.arrayContaining([expect.objectContaining({ fromHost: "198.18.0.11", toHost: "198.18.0.12", kind: "vxlan" })]));
  });

  it("renders Mermaid and SVG", () => {
    const m = toMermaid(t);
    expect(m).toMatch(/^flowchart LR/);
    expect(m).toContain("vlan 100");
    expect(m).toMatch(/-\. vxlan \.-/);
    const svg = toSvg(t);
    expect(svg).toMatch(/^<svg /);
    expect(svg).toContain("host 198.18.0.12");
    expect(svg).toContain("stroke-dasharray");
  });
});
