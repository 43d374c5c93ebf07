import { OPENFLOW_VERSIONS } from "../../provider/ovs/flow-ofctl";

/**
 * One host read in one round trip: a POSIX sh script (sent on stdin, run as root) prints every section discover
 * needs, each after a header line `@@povs-<nonce> NAME ARG` (the nonce keeps command output from faking a
 * header). Every section's body is what the tool prints (JSON where the tool has it), parsed by pure code.
 */

export interface Section {
  name: string;
  /** The bridge, namespace or container the section is about ("" for host-wide sections). */
  arg: string;
  body: string;
}

const VERSIONS = OPENFLOW_VERSIONS.join(",");
/** Printed in a flows section when dump-flows failed (ovs-vswitchd down, say): "no flows" would be a lie. */
export const DUMP_FAILED = "POVS-DUMP-FAILED";

/** The script; its output goes to splitSections. */
export function snapshotScript(nonce: string): string {
  if (!/^[a-z0-9]{6,32}$/.test(nonce)) throw new Error("snapshotScript: the nonce must be 6-32 lowercase letters and digits");
  return `exec 2>/dev/null
s() { printf '\\n@@povs-${nonce} %s %s\\n' "$1" "$2"; }
s hostname ""; hostname
if command -v ovs-vsctl >/dev/null && ovs-vsctl --timeout=5 get Open_vSwitch . ovs_version >/dev/null; then
  s ovs ""; ovs-vsctl --timeout=10 --format=json --data=json list Bridge -- list Port -- list Interface -- list Controller
  s ovs-extra ""; ovs-vsctl --timeout=10 --format=json --data=json list Mirror -- list QoS -- list NetFlow -- list sFlow -- list IPFIX
  ovs-vsctl --timeout=10 list-br | while IFS= read -r b; do s flows "$b"; ovs-ofctl -O ${VERSIONS} --no-names dump-flows "$b" || echo ${DUMP_FAILED}; done
else
  s no-ovs ""
fi
s links ""; ip -j -d addr show
s routes ""; ip -N -4 -j route show table main
s nat ""; iptables -t nat -S
s tables ""; iptables-save | grep -E '^(\\*|-A)'
s netns ""; ip -j netns list
s nsids ""; lsns -t net -J -o NS,NETNSID
ip -j netns list | tr '{' '\\n' | sed -n 's/.*"name":"\\([^"]*\\)".*/\\1/p' | while IFS= read -r n; do
  s ns-inode "$n"; stat -L -c %i "/run/netns/$n"
  s ns-links "$n"; ip -n "$n" -j -d addr show
  s ns-routes "$n"; ip -n "$n" -N -4 -j route show table main
  s ns-nat "$n"; ip netns exec "$n" iptables -t nat -S
done
if command -v docker >/dev/null; then
  ids=$(docker ps -q --no-trunc)
  if [ -n "$ids" ]; then
    s docker ""; docker inspect -f '{"name":{{json .Name}},"id":{{json .Id}},"pid":{{.State.Pid}},"labels":{{json .Config.Labels}}}' $ids
    docker inspect -f '{{.State.Pid}} {{.Name}}' $ids | while read -r pid name; do
      name=\${name#/}
      s ctr-inode "$name"; stat -L -c %i "/proc/$pid/ns/net"
      s ctr-links "$name"; nsenter -t "$pid" -n ip -j -d addr show
      s ctr-routes "$name"; nsenter -t "$pid" -n ip -N -4 -j route show table main
    done
  fi
fi
s end ""
`;
}

/** The sections of the script's output, in order. A missing `end` section means the script was cut short. */
export function splitSections(stdout: string, nonce: string): Section[] {
  const marker = `@@povs-${nonce} `;
  const out: Section[] = [];
  let current: Section | undefined;
  for (const line of stdout.split("\n")) {
    if (line.startsWith(marker)) {
      const rest = line.slice(marker.length);
      const space = rest.indexOf(" ");
      current = { name: space < 0 ? rest : rest.slice(0, space), arg: space < 0 ? "" : rest.slice(space + 1), body: "" };
      out.push(current);
    } else if (current) current.body += (current.body ? "\n" : "") + line;
  }
  if (out[out.length - 1]?.name !== "end") throw new Error("the host's snapshot ended early (no end marker): was the session cut?");
  return out.map((s) => ({ ...s, body: s.body.trim() }));
}
