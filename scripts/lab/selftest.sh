#!/usr/bin/env bash
# Self test of the lab. Assumes the lab is up (bash scripts/lab/lab.sh up).
#
#   selftest.sh           all checks, ending with a down/up cycle (the lab is
#                         up again afterwards, with the same number of hosts)
#   selftest.sh --quick   skip the down/up cycle
#
# Prints one line per check and ends with "N passed, N failed"; exit 1 on failure.
set -euo pipefail

LAB_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/common.sh
source "$LAB_ROOT/lib/common.sh"
LAB="$LAB_ROOT/lab.sh"

QUICK=0
for a in "$@"; do
    case "$a" in
    --quick) QUICK=1 ;;
    *) die "unknown option $a" ;;
    esac
done
require_root

PASSED=0
FAILED=0
WORK="$(mktemp -d /tmp/povs-selftest.XXXXXX)"
cleanup_work() { rm -rf "$WORK"; }
trap cleanup_work EXIT

pass() { PASSED=$((PASSED + 1)); printf 'ok   - %s\n' "$*"; }
fail() { FAILED=$((FAILED + 1)); printf 'FAIL - %s\n' "$*"; }
# check "description" cmd args... : pass if the command succeeds.
check() {
    local desc="$1"
    shift
    if "$@" >"$WORK/out" 2>&1; then pass "$desc"; else
        fail "$desc"
        sed 's/^/       | /' "$WORK/out" | tail -n 15
    fi
}
note() { printf '       %s\n' "$*"; }

hx() { bash "$LAB" exec "$@"; } # hx h1 -- cmd...
now_ms() { date +%s%3N; }

# --- inventory ------------------------------------------------------------------
INV="$(bash "$LAB" status --json)" || die "lab is not up"
N="$(jq '.hosts | length' <<<"$INV")"
((N >= 2)) || die "selftest needs at least 2 hosts (have $N)"
KEY="$(jq -r .privateKeyPath <<<"$INV")"
PWFILE="$(jq -r .passwordPath <<<"$INV")"
# known_hosts made from the inventory's hostKey fields (as a client would).
jq -r '.hosts[] | "\(.address) \(.hostKey)"' <<<"$INV" >"$WORK/known_hosts"
addr() { jq -r ".hosts[] | select(.name == \"$1\") | .address" <<<"$INV"; }
ulip() { jq -r ".hosts[] | select(.name == \"$1\") | .underlayIp" <<<"$INV"; }
SSH_OPTS=(-i "$KEY" -o UserKnownHostsFile="$WORK/known_hosts" -o StrictHostKeyChecking=yes
    -o BatchMode=yes -o LogLevel=ERROR -o ConnectTimeout=5)
sshh() { local h="$1"; shift; ssh "${SSH_OPTS[@]}" "povs@$(addr "$h")" "$@"; }

echo "# lab with $N hosts, state dir $LAB_DIR"

# --- 1. ssh reaches each host's own OVS ----------------------------------------
t_ssh_ovs() {
    local h="$1" out
    out="$(sshh "$h" 'sudo -n ovs-vsctl show && sudo -n ovs-vsctl get Open_vSwitch . external_ids:system-id')"
    echo "$out"
    grep -q 'Bridge br-ul' <<<"$out" && grep -Eqx "\"?povs-$h\"?" <<<"$out"
}
# Other users of the lab may have bridges of their own, so prove the
# separation with a bridge made on h1 that h2 and h3 must not see.
t_ovs_separate() {
    sshh h1 'sudo -n ovs-vsctl add-br st-only-h1 -- set bridge st-only-h1 datapath_type=netdev'
    local rc=0 h
    sshh h1 'sudo -n ovs-vsctl br-exists st-only-h1' || { echo "not on h1"; rc=1; }
    for h in $(jq -r '.hosts[].name' <<<"$INV"); do
        [[ "$h" == h1 ]] && continue
        if sshh "$h" 'sudo -n ovs-vsctl br-exists st-only-h1'; then echo "visible on $h"; rc=1; fi
    done
    sshh h1 'sudo -n ovs-vsctl del-br st-only-h1'
    return "$rc"
}
t_ssh_ovs_tools() {
    local h="$1"
    # ovs-appctl finds the daemon through /run/openvswitch/<daemon>.pid and
    # ovs-ofctl through /run/openvswitch/br-ul.mgmt, both the host's own.
    sshh "$h" "sudo -n ovs-appctl -t ovs-vswitchd version && sudo -n ovs-appctl -t ovsdb-server version &&
               sudo -n ovs-ofctl show br-ul | grep -q ul0 && sudo -n ovs-vsctl get bridge br-ul datapath_type | grep -qx netdev &&
               ip -4 -o addr show br-ul | grep -q $(ulip "$h")/24"
}
for h in h1 h2; do
    check "1. ssh $h: sudo ovs-vsctl show shows $h's ovsdb (br-ul, system-id povs-$h)" t_ssh_ovs "$h"
    check "1. ssh $h: ovs-appctl/ovs-ofctl reach $h's daemons; br-ul is netdev with the underlay IP" t_ssh_ovs_tools "$h"
done
t_exec_matches_ssh() {
    [[ "$(hx h1 -- ovs-vsctl get Open_vSwitch . _uuid)" == "$(sshh h1 'sudo -n ovs-vsctl get Open_vSwitch . _uuid')" ]]
}
check "1. a bridge added on h1 over ssh is seen on no other host" t_ovs_separate
check "1. lab.sh exec h1 sees the same ovsdb as an ssh session on h1" t_exec_matches_ssh

time_ssh() { # [KEX]: prints the mean of 5 new-connection round trips in ms
    local t0 t1 i a opts=()
    a="$(addr h1)"
    [[ -n "${1:-}" ]] && opts=(-o "KexAlgorithms=$1")
    t0="$(now_ms)"
    for i in 1 2 3 4 5; do ssh "${SSH_OPTS[@]}" "${opts[@]}" "povs@$a" true; done
    t1="$(now_ms)"
    echo $(((t1 - t0) / 5))
}
RT_DEFAULT="$(time_ssh)"
RT_CURVE="$(time_ssh curve25519-sha256)"
A1="$(addr h1)"
t0="$(now_ms)"
ssh "${SSH_OPTS[@]}" -o KexAlgorithms=curve25519-sha256 "povs@$A1" 'sudo -n ovs-vsctl show' >/dev/null
t1="$(now_ms)"
RT_SUDO=$((t1 - t0))
note "ssh round trip (new connection each, 'true'): ${RT_DEFAULT} ms with OpenSSH's default kex (sntrup761, CPU heavy)," \
    "${RT_CURVE} ms with curve25519-sha256 (what ssh2 for Node uses); 'sudo -n ovs-vsctl show': ${RT_SUDO} ms"
# What the provider uses: ssh2 for Node (connect + one exec), if installed.
REPO_ROOT="$(cd "$LAB_ROOT/../.." && pwd)"
if command -v node >/dev/null && [[ -d "$REPO_ROOT/node_modules/ssh2" ]]; then
    RT_NODE="$(cd "$REPO_ROOT" && node -e '
        const { Client } = require("ssh2");
        const fs = require("fs");
        const [host, key] = process.argv.slice(1);
        const once = () => new Promise((resolve, reject) => {
            const t0 = Date.now(), c = new Client();
            c.on("ready", () => c.exec("true", (e, s) => {
                if (e) return reject(e);
                s.on("close", () => { c.end(); resolve(Date.now() - t0); }).resume();
                s.stderr.resume();
            })).on("error", reject).connect({ host, username: "povs", privateKey: fs.readFileSync(key) });
        });
        (async () => { let sum = 0; for (let i = 0; i < 5; i++) sum += await once(); console.log(Math.round(sum / 5)); })()
            .catch((e) => { console.error(e.message); process.exit(1); });' "$A1" "$KEY" 2>&1)" || RT_NODE="error: $RT_NODE"
    note "ssh2 for Node, connect + exec 'true' (mean of 5): ${RT_NODE} ms"
fi
if ((RT_CURVE < 300)); then pass "1. ssh round trip is fast (${RT_CURVE} ms < 300 ms)"; else fail "1. ssh round trip slow: ${RT_CURVE} ms"; fi

# --- 2. ip netns inside a host is private to that host -----------------------
t_netns_private() {
    sshh h1 'sudo -n ip netns add selftest-x && sudo -n ip netns exec selftest-x ip link show lo >/dev/null'
    sshh h1 'sudo -n ip netns list' | grep -qw selftest-x || { echo "not visible on h1"; return 1; }
    hx h1 -- ip netns list | grep -qw selftest-x || { echo "not visible via lab.sh exec h1"; return 1; }
    if sshh h2 'sudo -n ip netns list' | grep -qw selftest-x; then echo "visible on h2"; return 1; fi
    if ip netns list | grep -qw selftest-x; then echo "visible in the root namespace"; return 1; fi
    sshh h1 'sudo -n ip netns del selftest-x'
    if hx h1 -- ip netns list | grep -qw selftest-x; then echo "not deleted"; return 1; fi
}
check "2. ip netns add on h1 is invisible on h2 and in the root namespace; deleted again" t_netns_private

# The reboot restore's files (docs/reboot.md) land in the host's own directories, never on the machine.
t_restore_dirs_private() {
    local d inside own
    for d in "$HOST_STATE_DIR:state" "$HOST_UNIT_DIR:units"; do
        inside="$(hx h1 -- stat -c %d:%i "${d%%:*}")" || return 1
        own="$(stat -c %d:%i "$LAB_DIR/h1/${d##*:}")" || return 1
        [[ "$inside" == "$own" ]] || { echo "${d%%:*} inside h1 is not $LAB_DIR/h1/${d##*:}"; return 1; }
    done
}
check "2. /var/lib/pulumi-ovs and /etc/systemd/system inside h1 are h1's own directories" t_restore_dirs_private

# --- 3. VXLAN between h1 and h2, ping and TCP through it ----------------------
# h1: netns st-ns + veth (st-a in OVS, st-b in the netns) with 198.18.200.1
# h2: OVS internal port brtest with 198.18.200.2. Inner MTU 1400.
vxlan_cleanup() {
    local h
    for h in h1 h2; do
        hx "$h" -- ovs-vsctl --if-exists del-br brtest >/dev/null 2>&1 || true
        hx "$h" -- ip netns del st-ns >/dev/null 2>&1 || true
        hx "$h" -- ip link del st-a >/dev/null 2>&1 || true
    done
}
vxlan_setup() {
    hx h1 -- ovs-vsctl add-br brtest -- set bridge brtest datapath_type=netdev \
        -- add-port brtest vx0 -- set interface vx0 type=vxlan "options:remote_ip=$(ulip h2)" options:key=4242
    hx h2 -- ovs-vsctl add-br brtest -- set bridge brtest datapath_type=netdev \
        -- add-port brtest vx0 -- set interface vx0 type=vxlan "options:remote_ip=$(ulip h1)" options:key=4242
    # h1: namespace + veth; TX checksum offload off on both veth ends.
    hx h1 -- sh -ec '
        ip netns add st-ns
        ip link add st-a mtu 1400 type veth peer name st-b mtu 1400 netns st-ns
        ethtool -K st-a tx off >/dev/null
        ip netns exec st-ns ethtool -K st-b tx off >/dev/null
        ip link set st-a up
        ip -n st-ns link set lo up
        ip -n st-ns addr add 198.18.200.1/24 dev st-b
        ip -n st-ns link set st-b up
        ovs-vsctl add-port brtest st-a'
    # h2: the bridge's internal port carries the address.
    hx h2 -- sh -ec '
        ip link set brtest mtu 1400
        ip addr add 198.18.200.2/24 dev brtest
        ip link set brtest up'
}
t_vxlan_ping() {
    hx h1 -- ip netns exec st-ns ping -c 3 -i 0.2 -W 2 198.18.200.2
}
t_vxlan_ping_df() { # full inner MTU (1400) with DF set must pass through the tunnel
    hx h1 -- ip netns exec st-ns ping -c 2 -i 0.2 -W 2 -M 'do' -s 1372 198.18.200.2
}
t_vxlan_tcp() {
    head -c 300000 /dev/urandom >"$WORK/payload"
    hx h2 -- timeout 20 nc.openbsd -l 198.18.200.2 5555 >"$WORK/received" &
    local lpid=$!
    wait_for 5 hx h2 -- sh -c 'ss -ltn | grep -q 198.18.200.2:5555' || { echo "listener did not start"; return 1; }
    hx h1 -- ip netns exec st-ns timeout 20 nc.openbsd -N -w 10 198.18.200.2 5555 <"$WORK/payload"
    wait "$lpid"
    cmp "$WORK/payload" "$WORK/received" && echo "300000 bytes intact"
}
ul_rx_bytes() { cat "/sys/class/net/$(root_ul_if 1)/statistics/rx_bytes"; }
t_vxlan_stats() { # the 300 kB really crossed the underlay (h1's ul0 -> povs-ul)
    local delta=$(($(ul_rx_bytes) - UL_RX_BEFORE))
    echo "h1 sent $delta bytes on the underlay"
    ((delta > 300000))
}
vxlan_cleanup
UL_RX_BEFORE="$(ul_rx_bytes)"
if check "3. set up brtest + vxlan (VNI 4242) on h1 and h2" vxlan_setup; then
    check "3. ping across the VXLAN tunnel (h1 netns+veth -> h2 internal port)" t_vxlan_ping
    check "3. 1400-byte packets with DF across the tunnel (inner MTU 1400)" t_vxlan_ping_df
    check "3. TCP (300 kB, netcat-openbsd) across the VXLAN tunnel" t_vxlan_tcp
    check "3. the traffic crossed the underlay (povs-u1 counters)" t_vxlan_stats
fi
vxlan_cleanup
t_vxlan_gone() { ! hx h1 -- ovs-vsctl br-exists brtest && ! hx h2 -- ovs-vsctl br-exists brtest && ! hx h1 -- ip netns list | grep -q st-ns; }
check "3. brtest and st-ns deleted again" t_vxlan_gone

# --- 4. password authentication ------------------------------------------------
PW_OPTS=(-o UserKnownHostsFile="$WORK/known_hosts" -o StrictHostKeyChecking=yes -o LogLevel=ERROR
    -o PubkeyAuthentication=no -o PreferredAuthentications=password -o NumberOfPasswordPrompts=1 -o ConnectTimeout=5)
if command -v sshpass >/dev/null; then
    t_password_ok() { sshpass -f "$PWFILE" ssh "${PW_OPTS[@]}" "povs@$(addr h2)" 'sudo -n ovs-vsctl br-exists br-ul && echo password-login-ok'; }
    t_password_bad() { echo wrong-password >"$WORK/badpw"; ! sshpass -f "$WORK/badpw" ssh "${PW_OPTS[@]}" "povs@$(addr h2)" true; }
    check "4. password login (sshpass, password from $PWFILE) works" t_password_ok
    check "4. a wrong password is rejected" t_password_bad
else
    note "4. SKIPPED: sshpass not installed (apt-get install sshpass)"
fi

# --- docker: the local image, busybox nc, and a container wired into OVS ------
IMG="$(jq -r .dockerImage <<<"$INV")"
t_docker_image() {
    docker run --rm --network none --label pulumi-ovs.lab=selftest "$IMG" sh -c 'ip link && nc --help 2>&1 | head -1' | grep -q BusyBox
}
t_docker_nc() {
    docker run --rm --network none --label pulumi-ovs.lab=selftest "$IMG" sh -c \
        'nc -l -p 5000 >/tmp/out & sleep 0.3; echo hello | nc 127.0.0.1 5000; sleep 0.3; grep -q hello /tmp/out'
}
# The shape the provider uses: container with --network none, a veth from h1
# moved into it, the other end on a netdev OVS bridge of h1.
ctr_cleanup() {
    docker rm -f povs-selftest-c1 >/dev/null 2>&1 || true
    hx h1 -- ovs-vsctl --if-exists del-br brctr >/dev/null 2>&1 || true
    hx h1 -- ip link del st-c >/dev/null 2>&1 || true
}
t_container_ovs() {
    docker run -d --name povs-selftest-c1 --network none --label pulumi-ovs.lab=selftest "$IMG" \
        sh -c 'nc -l -p 6000 > /tmp/got; sleep 3600' >/dev/null
    local pid
    pid="$(docker inspect -f '{{.State.Pid}}' povs-selftest-c1)"
    hx h1 -- sh -ec "
        ovs-vsctl add-br brctr -- set bridge brctr datapath_type=netdev
        ip link add st-c mtu 1400 type veth peer name st-cc mtu 1400 netns $pid
        ethtool -K st-c tx off >/dev/null
        nsenter -t $pid -n ethtool -K st-cc tx off >/dev/null
        nsenter -t $pid -n ip addr add 198.18.201.2/24 dev st-cc
        nsenter -t $pid -n ip link set st-cc up
        ip link set st-c up
        ovs-vsctl add-port brctr st-c
        ip link set brctr mtu 1400
        ip addr add 198.18.201.1/24 dev brctr
        ip link set brctr up
        ping -c 2 -i 0.2 -W 2 198.18.201.2
        head -c 100000 /dev/zero | timeout 10 nc.openbsd -N -w 5 198.18.201.2 6000"
    sleep 0.5
    local got
    got="$(docker exec povs-selftest-c1 sh -c 'wc -c < /tmp/got' | tr -d ' ')"
    echo "container received $got bytes"
    [[ "$got" == 100000 ]]
}
t_netns_attach() { # a container's netns can be named inside h1 with ip netns attach
    local pid
    pid="$(docker inspect -f '{{.State.Pid}}' povs-selftest-c1)"
    hx h1 -- sh -ec "ip netns attach st-ctr $pid; ip -n st-ctr -o addr show st-cc | grep 198.18.201.2; ip netns del st-ctr"
}
check "docker: $IMG runs (ip, busybox nc)" t_docker_image
check "docker: busybox nc -l -p works in $IMG" t_docker_nc
ctr_cleanup
check "docker: container veth into h1's netdev OVS bridge, ping + TCP 100 kB" t_container_ovs
check "docker: ip netns attach of the container's pid inside h1" t_netns_attach
ctr_cleanup

# --- 5. down leaves nothing; up again; up when up is fast ----------------------
lab_leftovers() { # prints leftovers, fails if any
    local bad=0 x
    x="$(ip netns list | grep -E '^(povs-|selftest-|st-ns)' || true)"; [[ -z "$x" ]] || { echo "netns: $x"; bad=1; }
    x="$(ip -o link show | awk -F': ' '{print $2}' | grep '^povs-' || true)"; [[ -z "$x" ]] || { echo "links: $x"; bad=1; }
    x="$(pgrep -af "ovs-vswitchd.*$LAB_DIR" || true)"; [[ -z "$x" ]] || { echo "ovs-vswitchd: $x"; bad=1; }
    x="$(pgrep -af "ovsdb-server.*$LAB_DIR" || true)"; [[ -z "$x" ]] || { echo "ovsdb-server: $x"; bad=1; }
    x="$(pgrep -af "sshd.*$LAB_DIR" || true)"; [[ -z "$x" ]] || { echo "sshd: $x"; bad=1; }
    x="$(pgrep -af "dockerd.*$LAB_DIR" || true)"; [[ -z "$x" ]] || { echo "dockerd: $x"; bad=1; }
    x="$(pgrep -af "selftest-sleeper" || true)"; [[ -z "$x" ]] || { echo "in-host process: $x"; bad=1; }
    x="$(grep -F "$LAB_DIR" /proc/mounts || true)"; [[ -z "$x" ]] || { echo "mounts: $x"; bad=1; }
    if docker info >/dev/null 2>&1; then
        x="$(docker ps -aq --filter label=pulumi-ovs.managed; docker ps -aq --filter label=pulumi-ovs.lab)"
        [[ -z "$x" ]] || { echo "containers: $x"; bad=1; }
    fi
    return "$bad"
}
if ((QUICK)); then
    note "5. down/up cycle skipped (--quick)"
else
    # Leave some mess behind for down to clean: a labeled container, a netns
    # inside h1 with a process in it, a process in h2's namespace.
    docker run -d --network none --label pulumi-ovs.managed=selftest "$IMG" sleep 3600 >/dev/null
    hx h1 -- ip netns add selftest-left
    hx h1 -- ip netns exec selftest-left setsid sh -c 'exec -a selftest-sleeper sleep 3600' </dev/null >/dev/null 2>&1 &
    hx h2 -- setsid sh -c 'exec -a selftest-sleeper sleep 3600' </dev/null >/dev/null 2>&1 &
    sleep 0.5
    check "5. lab.sh down" bash "$LAB" down
    check "5. nothing of the lab is left after down" lab_leftovers
    note "other OVS/sshd processes on this machine (not the lab's): $(pgrep -x ovs-vswitchd | wc -l) ovs-vswitchd, $(pgrep -x ovsdb-server | wc -l) ovsdb-server"
    check "5. lab.sh down again (idempotent)" bash "$LAB" down
    t0="$(now_ms)"
    check "5. lab.sh up --hosts $N (cold)" bash "$LAB" up --hosts "$N"
    UP_COLD=$(($(now_ms) - t0))
    t0="$(now_ms)"
    check "5. lab.sh up --hosts $N (already up)" bash "$LAB" up --hosts "$N"
    UP_WARM=$(($(now_ms) - t0))
    note "up cold: ${UP_COLD} ms, up when already up: ${UP_WARM} ms"
    if ((UP_WARM < 2000)); then pass "5. up when already up is fast (${UP_WARM} ms)"; else fail "5. up when up took ${UP_WARM} ms"; fi
    # Half-up: kill h2's ovs-vswitchd; up must notice and rebuild.
    kill "$(pidfile_pid "$(host_run 2)/ovs-vswitchd.pid")"
    sleep 0.3
    check "5. status reports the degraded lab" bash -c "! bash '$LAB' status >/dev/null"
    check "5. lab.sh up rebuilds a half-up lab" bash "$LAB" up --hosts "$N"
    check "5. ssh to h2 works after the rebuild" t_ssh_ovs h2
    check "5. status --json works after the rebuild" bash -c "bash '$LAB' status --json | jq -e '.hosts | length == $N'"
fi

echo "$PASSED passed, $FAILED failed"
((FAILED == 0))
