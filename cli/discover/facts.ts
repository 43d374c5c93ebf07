import { parseListOutput, parseOvsState, type OvsState, type Row } from "../../provider/ovs/ovsdb";
import { parseDumpFlows } from "../../provider/ovs/flow-parse";
import type { Flow } from "../../provider/ovs/flow-model";
import { parseIpJson, type IpLink } from "../../provider/ip/ip";
import { parseRoutes, type LiveRoute } from "../../provider/ip/route";
import { parseList, type ListedRule } from "../../provider/iptables/nat";
import { DUMP_FAILED, type Section } from "./snapshot";

/** What one host has, parsed from its snapshot sections (pure). Namespaces are keyed by name; "" is the host. */
export interface HostFacts {
  hostname: string;
  /** undefined: OVS is not installed or not running on this host. */
  ovs?: OvsState;
  /** Rows of the OVS tables discover cannot express (Mirror, QoS, NetFlow, sFlow, IPFIX), by table. */
  ovsExtra: Record<string, Row[]>;
  flows: Map<string, Flow[]>;
  /** Bridges whose flows could not be read. */
  flowsUnread: string[];
  /** Links with addresses, per namespace ("" = the host's own). */
  links: Map<string, IpLink[]>;
  routes: Map<string, LiveRoute[]>;
  /** `iptables -t nat -S` rules per namespace. */
  nat: Map<string, ListedRule[]>;
  /** Tables of the host's iptables that hold rules, other than nat. */
  otherTables: string[];
  namespaces: string[];
  /** Inode of each named namespace (to tell a container's namespace linked under /run/netns). */
  namespaceInodes: Map<string, string>;
  /** Namespace inode by the id the host's namespace knows it by (a veth's link_netnsid), from lsns. */
  nsidInodes: Map<number, string>;
  containers: Container[];
}

export interface Container {
  name: string;
  id: string;
  pid: number;
  labels: Record<string, string>;
  inode?: string;
  links: IpLink[];
  routes: LiveRoute[];
}

const OVS_EXTRA_TABLES = ["Mirror", "QoS", "NetFlow", "sFlow", "IPFIX"];

function json<T>(body: string, what: string, host: string): T | undefined {
  if (!body) return undefined;
  try {
    return JSON.parse(body) as T;
  } catch (e) {
    throw new Error(`${host}: cannot parse ${what} (${(e as Error).message})`);
  }
}

/** Parse every section; `host` names the host in errors. */
export function parseSnapshot(sections: readonly Section[], host: string): HostFacts {
  const facts: HostFacts = {
    hostname: "", ovsExtra: {}, flows: new Map(), flowsUnread: [], links: new Map(), routes: new Map(), nat: new Map(), otherTables: [],
    namespaces: [], namespaceInodes: new Map(), nsidInodes: new Map(), containers: [],
  };
  const containers = new Map<string, Container>();
  const container = (name: string) => {
    let c = containers.get(name);
    if (!c) containers.set(name, (c = { name, id: "", pid: 0, labels: {}, links: [], routes: [] }));
    return c;
  };
  const guard = <T>(what: string, f: () => T): T => {
    try {
      return f();
    } catch (e) {
      throw new Error(`${host}: cannot parse ${what} (${(e as Error).message})`);
    }
  };
  for (const { name, arg, body } of sections) {
    switch (name) {
      case "hostname": facts.hostname = body; break;
      case "ovs": facts.ovs = guard("ovs-vsctl list", () => parseOvsState(body)); break;
      case "ovs-extra": {
        const tables = guard("ovs-vsctl list (extra tables)", () => parseListOutput(body));
        OVS_EXTRA_TABLES.forEach((t, i) => (facts.ovsExtra[t] = tables[i] ?? []));
        break;
      }
      case "flows":
        if (body.includes(DUMP_FAILED)) facts.flowsUnread.push(arg);
        else facts.flows.set(arg, guard(`dump-flows ${arg}`, () => parseDumpFlows(body)));
        break;
      case "links": facts.links.set("", guard("ip addr", () => parseIpJson(body))); break;
      case "routes": facts.routes.set("", guard("ip route", () => parseRoutes(body))); break;
      case "nat": facts.nat.set("", parseList(body)); break;
      case "tables": facts.otherTables = tablesWithRules(body).filter((t) => t !== "nat"); break;
      case "netns": facts.namespaces = (json<{ name: string }[]>(body, "ip netns list", host) ?? []).map((n) => n.name).sort(); break;
      case "nsids":
        for (const n of json<{ namespaces?: { ns: number; netnsid: string | number | null }[] }>(body, "lsns", host)?.namespaces ?? []) {
          if (n.netnsid !== null && /^\d+$/.test(String(n.netnsid))) facts.nsidInodes.set(Number(n.netnsid), String(n.ns));
        }
        break;
      case "ns-inode": facts.namespaceInodes.set(arg, body); break;
      case "ns-links": facts.links.set(arg, guard(`ip -n ${arg} addr`, () => parseIpJson(body))); break;
      case "ns-routes": facts.routes.set(arg, guard(`ip -n ${arg} route`, () => parseRoutes(body))); break;
      case "ns-nat": facts.nat.set(arg, parseList(body)); break;
      case "docker":
        for (const line of body.split("\n").filter((l) => l.trim())) {
          const d = json<{ name: string; id: string; pid: number; labels: Record<string, string> | null }>(line, "docker inspect", host)!;
          Object.assign(container(d.name.replace(/^\//, "")), { id: d.id, pid: d.pid, labels: d.labels ?? {} });
        }
        break;
      case "ctr-inode": container(arg).inode = body; break;
      case "ctr-links": container(arg).links = guard(`ip addr in container ${arg}`, () => parseIpJson(body)); break;
      case "ctr-routes": container(arg).routes = guard(`ip route in container ${arg}`, () => parseRoutes(body)); break;
      default: break; // no-ovs, end: markers only
    }
  }
  facts.containers = [...containers.values()].filter((c) => c.id).sort((a, b) => cmp(a.name, b.name));
  return facts;
}

/** `*table` headers of iptables-save output followed by at least one `-A` rule. */
export function tablesWithRules(save: string): string[] {
  const out = new Set<string>();
  let table = "";
  for (const line of save.split("\n")) {
    if (line.startsWith("*")) table = line.slice(1).trim();
    else if (line.startsWith("-A") && table) out.add(table);
  }
  return [...out].sort();
}

/** Byte order, not locale order: the same output on every machine. */
export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
