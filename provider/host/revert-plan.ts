import type { RevertPlan } from "../transport/safe-apply";
import { OPENFLOW_VERSIONS } from "../ovs/flow-ofctl";

/**
 * What a safe-apply revert saves before a change and puts back after it (docs/safe-apply.md): the OVS database
 * (bridges, ports, interfaces and their settings: `ovsdb-client backup`, then `restore`), every bridge's
 * OpenFlow flows (dumped, then `replace-flows`), and the root namespace's global addresses, main-table routes
 * and link up/down states (saved as `ip -o` text; the revert deletes what appeared and adds what went away).
 * Not reverted: containers, other namespaces, iptables, groups and meters, files, links created by the change
 * (veths: an internal port goes with the OVS database).
 *
 * Everything runs on the host as POSIX sh with the iproute2 and OVS tools the provider already uses: a revert
 * must work when the provider is gone.
 */

const VERSIONS = OPENFLOW_VERSIONS.join(",");

/** Root-namespace "DEV FAMILY CIDR" lines of global addresses (the dev without its @peer suffix). */
const ADDRS = `ip -o addr show scope global | while read -r _ dev fam addr _; do echo "\${dev%%@*} $fam $addr"; done`;
/** Main-table routes the kernel did not add for an address, without the state words `ip route add` refuses. */
const ROUTES = (fam: "4" | "6") => `ip -${fam} route show table main | grep -v ' proto kernel ' | sed -e 's/ linkdown//g' -e 's/ dead//g' -e 's/ offload//g' -e 's/ trap//g'`;
/** "DEV up|down" of every root-namespace link (administrative state). */
const LINKS = `ip -o link show | while read -r _ dev flags _; do case "$flags" in *[\\<,]UP[,\\>]*) s=up ;; *) s=down ;; esac; dev=\${dev%:}; echo "\${dev%%@*} $s"; done`;

const save = [
  `ovsdb-client backup >"$d/ovsdb"`,
  `for br in $(ovs-vsctl list-br); do ovs-ofctl -O ${VERSIONS} --no-names dump-flows --no-stats "$br" | sed -e '/FLOW reply/d' >"$d/flows.$br" || exit 1; done`,
  `${ADDRS} >"$d/addrs"`,
  `${ROUTES("4")} >"$d/routes4"`,
  `${ROUTES("6")} >"$d/routes6"`,
  `${LINKS} >"$d/links"`,
].join("\n");

const restore = [
  `echo "revert started $(date -u +%H:%M:%S)"`,
  `ovsdb-client restore <"$d/ovsdb" || echo "ovsdb-client restore failed"`,
  // ovs-vswitchd applies the database asynchronously: wait (at most ~10 s) until the saved devices are back.
  `i=0; while [ $i -lt 50 ]; do ok=1; while read -r dev _ _; do ip link show dev "$dev" >/dev/null 2>&1 || ok=0; done <"$d/addrs"; [ $ok = 1 ] && break; sleep 0.2; i=$((i+1)); done`,
  `sleep 0.3`,
  `while read -r dev s; do ip link show dev "$dev" >/dev/null 2>&1 || continue; case "$(ip -o link show dev "$dev")" in *[\\<,]UP[,\\>]*) now=up ;; *) now=down ;; esac; [ "$now" = "$s" ] || ip link set dev "$dev" "$s"; done <"$d/links"`,
  `${ADDRS} >"$d/addrs.now"`,
  `while read -r dev fam addr; do grep -qxF "$dev $fam $addr" "$d/addrs" || ip addr del "$addr" dev "$dev"; done <"$d/addrs.now"`,
  `while read -r dev fam addr; do grep -qxF "$dev $fam $addr" "$d/addrs.now" && continue; if [ "$fam" = inet ]; then ip addr add "$addr" brd + dev "$dev"; else ip addr add "$addr" dev "$dev"; fi; done <"$d/addrs"`,
  ...(["4", "6"] as const).map(
    (f) =>
      `${ROUTES(f)} >"$d/routes${f}.now"; while read -r r; do grep -qxF "$r" "$d/routes${f}" || ip -${f} route del $r; done <"$d/routes${f}.now"; while read -r r; do grep -qxF "$r" "$d/routes${f}.now" || ip -${f} route replace $r; done <"$d/routes${f}"`,
  ),
  `for f in "$d"/flows.*; do br=\${f#"$d"/flows.}; ovs-vsctl br-exists "$br" && ovs-ofctl -O ${VERSIONS} --no-names replace-flows "$br" "$f"; done`,
  `echo "revert done $(date -u +%H:%M:%S)"`,
].join("\n");

/** The plan every host uses. */
export const REVERT_PLAN: RevertPlan = { save, restore };
