import type { RemoteCommand } from "../transport/command";
import type { SshHost } from "../transport/pool";
import { RemoteCommandError } from "../transport/errors";
import { routeSchema, type RouteInputs } from "../schema/route";
import {
  describeRoute,
  isNoSuchRoute,
  isOurRoute,
  isRouteExists,
  parseRoutes,
  routeAddArgv,
  routeAt,
  routeDelArgv,
  routeReplaceArgv,
  routeShowCmd,
  type LiveRoute,
} from "../ip/route";
import { isNoNamespace, missingTool, missingToolError, noNamespaceError } from "../ip/batch";
import { query, writeThenRead, type Outcome } from "../host/facts";
import { assertOwnable, compact, kindModule, readResult } from "./framework";
import { PHASE } from "../host/restore-file";

/**
 * Route: an IPv4 route in the host's main table or a namespace's (`ip [-n NS] route replace DEST via GW dev
 * DEV metric M proto 198`). Routes have no alias or label: protocol 198 is our marker, and a route without it
 * is never changed (unless adopt) nor deleted. The slot (namespace, destination, metric) is the identity;
 * via, dev and src change in place. This module's exports are the dynamic provider.
 */

const KIND = "Route";
const rules = { replaceKeys: ["namespace", "destination", "metric"], identityKeys: ["namespace", "destination", "metric"] };

export type RouteOutputs = RouteInputs;

/** What is in the route's slot: undefined when empty (or the namespace is gone). */
export function parseProbe(r: Outcome, want: RouteInputs): LiveRoute | undefined {
  if (!r) throw new Error("route query did not run");
  if (missingTool(r)) throw missingToolError(r);
  if (r.code !== 0) {
    if (want.namespace && isNoNamespace(r.stderr)) return undefined;
    throw new Error(`ip route show failed (exit code ${r.code}): ${r.stderr.trim()}`);
  }
  return routeAt(parseRoutes(r.stdout), want);
}

/**
 * The host's answer in input form: gateway and source as the kernel has them (a gateway or source appearing
 * is drift too); the interface only when declared (otherwise the kernel picks it).
 */
export function liveInputs(d: RouteInputs, live: LiveRoute): RouteInputs {
  return compact({ ...d, via: live.via, dev: d.dev === undefined ? undefined : live.dev, src: live.src });
}

/** Whether the live route is exactly the declared one. */
export function matches(d: RouteInputs, live: LiveRoute): boolean {
  return isOurRoute(live) && !live.multipath && live.via === d.via && (d.dev === undefined || live.dev === d.dev) && live.src === d.src;
}

/**
 * The writes that make the slot hold the declared route, given what is there: an exclusive `add` into an empty
 * slot (so a route someone else puts there meanwhile is never overwritten), `replace` of our own (or, with
 * adopt, a foreign) route that differs, nothing when it already matches.
 */
export function routeWrites(want: RouteInputs, live: LiveRoute | undefined): RemoteCommand[] {
  if (live === undefined) return [{ argv: routeAddArgv(want) }];
  if (!isOurRoute(live)) assertOwnable(KIND, describeRoute(want), undefined, want.owner, want.adopt);
  return matches(want, live) ? [] : [{ argv: routeReplaceArgv(want) }];
}

async function probe(host: SshHost, want: RouteInputs): Promise<LiveRoute | undefined> {
  return parseProbe((await query(host, [routeShowCmd(want)]))[0], want);
}

/**
 * Probe (1 round trip), then write + read back (1 round trip). A route added in between by someone else
 * makes `ip route add` fail with "File exists": then probe again and judge that route.
 */
async function converge(host: SshHost, want: RouteInputs): Promise<LiveRoute> {
  for (let attempt = 0; ; attempt++) {
    const writes = routeWrites(want, await probe(host, want));
    try {
      const after = parseProbe((await writeThenRead(host, writes, [routeShowCmd(want)]))[0], want);
      if (!after || !matches(want, after)) throw new Error(`route ${describeRoute(want)} is not as declared right after it was written`);
      return after;
    } catch (e) {
      if (attempt === 0 && e instanceof RemoteCommandError && isRouteExists(e.stderr)) continue;
      if (e instanceof RemoteCommandError && want.namespace && isNoNamespace(e.stderr)) {
        throw noNamespaceError(want.namespace);
      }
      throw e;
    }
  }
}

const p = kindModule({
  kind: KIND,
  schema: routeSchema,
  rules,
  label: describeRoute,
  restore: (want) => ({ phase: PHASE.route, steps: [{ argv: routeReplaceArgv(want) }] }),
  async create({ host, conn, want }) {
    await converge(host, want);
    return { id: `${conn.host}/route/${want.namespace ?? "-"}/${want.destination}/${want.metric ?? 0}`, outs: compact(want) };
  },
  async read({ host, id, declared }) {
    const live = await probe(host, declared);
    if (!isOurRoute(live)) return {}; // gone (a link going down takes its routes along), or replaced by someone else
    const inputs = liveInputs(declared, live);
    return readResult(id, inputs, inputs, declared);
  },
  async update({ host, want }) {
    await converge(host, want);
    return { outs: compact(want) };
  },
  async delete({ host, old }) {
    if (!isOurRoute(await probe(host, old))) return; // gone, or not ours: never touch it
    try {
      await writeThenRead(host, [{ argv: routeDelArgv(old) }], []);
    } catch (e) {
      if (e instanceof RemoteCommandError && (isNoSuchRoute(e.stderr) || isNoNamespace(e.stderr))) return; // went away meanwhile
      throw e;
    }
  },
});
// The dynamic provider: what the engine calls.
export const { check, diff, create, read, update } = p;
const remove = p.delete;
export { remove as delete };
