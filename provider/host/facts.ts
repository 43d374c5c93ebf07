import type { SshHost } from "../transport/pool";
import type { RemoteCommand, CommandResult } from "../transport/command";
import { listAllArgv, parseOvsState, type OvsState } from "../ovs/ovsdb";
import { ipArgv, parseIpJson, type IpLink } from "../ip/ip";

/**
 * Reads of host state, shared: the engine calls read() for many resources at once during refresh, and all
 * of them on one host get their answer from the same in-flight query. Any write to the host forgets it.
 */
const FRESH_MS = Number(process.env.PULUMI_OVS_FACTS_TTL_MS ?? 1500);

interface Entry {
  at: number;
  value: Promise<unknown>;
}
const facts = new Map<SshHost, Map<string, Entry>>();

export function cachedFact<T>(host: SshHost, key: string, fetch: () => Promise<T>): Promise<T> {
  let m = facts.get(host);
  if (!m) facts.set(host, (m = new Map()));
  const e = m.get(key);
  if (e && Date.now() - e.at < FRESH_MS) return e.value as Promise<T>;
  const value = fetch();
  const entry = { at: Date.now(), value };
  m.set(key, entry);
  // A failed read must not be served to the next caller.
  value.catch(() => m!.get(key) === entry && m!.delete(key));
  return value;
}

export function forgetFacts(host: SshHost): void {
  facts.get(host)?.clear();
}

/** Forget everything (a new engine operation starts with a new provider process; tests emulate that). */
export function forgetAllFacts(): void {
  facts.clear();
}

/** Run writes on a host and forget what we knew about it. */
export async function mutate(host: SshHost, cmd: RemoteCommand): Promise<CommandResult> {
  try {
    return await host.run(cmd);
  } finally {
    forgetFacts(host);
  }
}

/** Bridges, ports, interfaces and controllers of the host's OVSDB, in one ovs-vsctl call. */
export function ovsState(host: SshHost): Promise<OvsState> {
  return cachedFact(host, "ovs", async () => parseOvsState((await host.run({ argv: listAllArgv() })).stdout));
}

/** Links and addresses in the host's root namespace (netns undefined) or in a named namespace. */
export function linksIn(host: SshHost, netns?: string): Promise<IpLink[]> {
  return cachedFact(host, `ip:${netns ?? ""}`, async () => {
    const r = await host.run({ argv: ipArgv(netns, "-j", "-d", "addr", "show"), okCodes: [1, 255] });
    // A namespace that does not exist reads as "no links" (the caller decides what gone means).
    return r.code === 0 ? parseIpJson(r.stdout) : [];
  });
}
