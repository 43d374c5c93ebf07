import * as crypto from "node:crypto";
import type { HostFacts } from "./facts";

/**
 * The discovered program as data: resources with their exact inputs, references between them, and what was
 * left out with the reason. Built by pure code (build-ovs.ts, build-ip.ts) and written by generate.ts.
 */

export type Kind =
  | "OvsBridge" | "OvsPort" | "VxlanTunnel" | "GreTunnel" | "FlowEntry" | "NetNamespace" | "VethPair" | "Route" | "NatRule"
  | "ContainerAttachment";

/** An output of another discovered resource (e.g. a port's `bridge: br.name`), so the engine orders them. */
export interface Ref {
  ref: string;
  prop: string;
}
export type Value = string | number | boolean | Ref | Value[] | { [key: string]: Value };

export interface Resource {
  kind: Kind;
  /** Pulumi logical name: host + kind + object name, unique and the same on every run. */
  name: string;
  args: Record<string, Value | undefined>;
  /** Lines written above the resource (what the adoption leaves as it is, or changes). */
  notes: string[];
}

export interface Skipped {
  what: string;
  why: string;
}

export interface HostModel {
  /** The host's name in the stack config (`hosts[].name`). */
  host: string;
  address: string;
  hostname: string;
  resources: Resource[];
  skipped: Skipped[];
  /** Objects left out by --bridge, --namespace or --exclude. */
  filtered: number;
}

export interface DiscoverOptions {
  project: string;
  stack: string;
  bridges?: string[];
  namespaces?: string[];
  exclude?: RegExp;
  includeManagement?: boolean;
  includeOwned?: boolean;
}

export interface HostInput {
  name: string;
  /** The address the SSH session arrives on (the management path). */
  address: string;
  facts: HostFacts;
}

export const isRef = (v: unknown): v is Ref => typeof v === "object" && v !== null && "ref" in v && "prop" in v;

const short = (s: string) => crypto.createHash("sha256").update(s, "utf8").digest("hex").slice(0, 8);

/** A name part safe in a logical name and an identifier; a changed (hostile) name gets a hash of the original. */
export function namePart(s: string): string {
  const safe = s.replace(/[^A-Za-z0-9_.-]/g, "_").slice(0, 40);
  return safe === s ? s : `${safe}-${short(s)}`;
}

/** A hash that tells apart objects without names (flows, NAT rules, routes) by their content. */
export function contentId(...parts: string[]): string {
  return short(JSON.stringify(parts));
}

/** The context every builder shares: naming, ownership, filters. */
export class Context {
  readonly resources: Resource[] = [];
  readonly skipped: Skipped[] = [];
  filtered = 0;
  /** Interfaces and namespaces the program declares ("NS/IFNAME", "ns:NAME"), for references to them. */
  readonly provided = new Map<string, Ref>();
  private readonly prefix: string;

  constructor(readonly host: HostInput, readonly opts: DiscoverOptions) {
    this.prefix = `${opts.project}/${opts.stack}/`;
  }

  logical(tag: string, ...parts: string[]): string {
    return [namePart(this.host.name), tag, ...parts.map(namePart)].join("-");
  }

  /** The owner string pulumi-ovs writes for a resource of this program (sdk/internal.ts ownerId). */
  ownerOf(kind: string, logical: string): string {
    return `${this.prefix}${kind}/${logical}`;
  }

  /** A marker names this stack (after its first `up`). */
  ownedHere(owner: string | undefined): boolean {
    return owner !== undefined && owner.startsWith(this.prefix);
  }

  /** A marker names another stack (or program): the object is skipped unless --include-owned. */
  ownedElsewhere(owner: string | undefined): boolean {
    return owner !== undefined && !owner.startsWith(this.prefix) && !this.opts.includeOwned;
  }

  /** Whether a user filter leaves this object out (counted, not listed). */
  filteredOut(kind: "bridge" | "namespace" | "name", name: string): boolean {
    const list = kind === "bridge" ? this.opts.bridges : kind === "namespace" ? this.opts.namespaces : undefined;
    const out = (list !== undefined && list.length > 0 && !list.includes(name)) || !!this.opts.exclude?.test(name);
    if (out) this.filtered++;
    return out;
  }

  add(kind: Kind, name: string, args: Record<string, Value | undefined>, notes: string[] = []): Ref {
    this.resources.push({ kind, name, args: { ...args, adopt: true }, notes });
    return { ref: name, prop: "name" };
  }

  /** The interface as a reference when a discovered resource makes it, else its name. */
  ifRef(ns: string, name: string): Value {
    return this.provided.get(`${ns}/${name}`) ?? name;
  }

  nsRef(ns: string): Value | undefined {
    return ns === "" ? undefined : this.provided.get(`ns:${ns}`) ?? ns;
  }

  skip(what: string, why: string): void {
    this.skipped.push({ what, why });
  }
}

/** Drop undefined, empty maps and empty lists (unset inputs are not managed). */
export function present<T extends string[] | Record<string, string>>(m: T | undefined): T | undefined {
  return m && Object.keys(m).length > 0 ? m : undefined;
}
