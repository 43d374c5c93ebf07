# shellcheck shell=bash
# Fault injection for reliability tests: spare hosts outside the inventory, a
# vswitchd restart, a simulated reboot, dropped SSH sessions, an unreachable
# sshd. Nothing here runs unless one of these subcommands is called.
#
# The lab is shared: breaking h1..hN breaks everyone's tests on that host. So
# every fault refuses an inventory host unless --force is given; tests use a
# spare host (spare-up h41) that only they know about.

SPARE_MIN=41

# Host index of a fault target: a live spare, or an inventory host with --force.
fault_target() {
    local h="$1" force="$2" i n
    i="$(parse_host "$h")"
    n="$(lab_recorded_hosts || true)"
    sshd_alive "$i" || die "host h$i is not up"
    if [[ -n "$n" ]] && ((i <= n)) && [[ "$force" != --force ]]; then
        die "h$i is a shared inventory host: other users' objects would be hit; use a spare host (lab.sh spare-up h$SPARE_MIN) or pass --force"
    fi
    echo "$i"
}

# Optional trailing --force after HOST.
fault_args() {
    (($# >= 1 && $# <= 2)) || die "usage: lab.sh ${FUNCNAME[1]#cmd_} HOST [--force]"
    [[ $# -eq 1 || "$2" == --force ]] || die "unknown option $2"
    fault_target "$1" "${2:-}"
}

# Run CMD as root inside host I (its netns and its sshd's mount namespace).
in_host() {
    local i="$1" pid
    shift
    pid="$(pidfile_pid "$(sshd_pidfile "$i")")"
    env -u OVS_RUNDIR -u OVS_DBDIR -u OVS_LOGDIR nsenter --target "$pid" --net --mount -- "$@"
}

# JSON entry of host I in inventory.json's shape (spare hosts are not written there).
host_json() {
    local i="$1"
    jq -n -c \
        --arg name "$(host_name "$i")" --arg address "$(mgmt_ip "$i")" --arg user "$LAB_USER" \
        --arg key "$LAB_KEY" --arg hostKey "$(host_key_line "$i")" --arg hostKeySha256 "$(host_key_sha256 "$i")" \
        --arg ul "$(ul_ip "$i")" --arg ulCidr "$(ul_ip "$i")/$UL_PREFIX" --arg ulBridge "$HOST_UL_BRIDGE" \
        --arg trunk "$HOST_TRUNK_IF" --arg netns "$(host_netns "$i")" --arg dir "$(host_dir "$i")" \
        '{name: $name, address: $address, port: 22, user: $user, privateKeyPath: $key, hostKey: $hostKey,
          hostKeySha256: $hostKeySha256, underlayIp: $ul, underlayCidr: $ulCidr, underlayBridge: $ulBridge,
          trunkNic: $trunk, netns: $netns, dir: $dir}'
}

# spare_host_arg COMMAND HINT ARGS...: the number of the one spare host ARGS
# name (h$SPARE_MIN..h$LAB_MAX_HOSTS), or die with COMMAND's usage (HINT after
# the range). Both spare commands take their host this way.
spare_host_arg() {
    local command=$1 hint=$2 i
    shift 2
    (($# == 1)) || die "usage: lab.sh $command HOST (h$SPARE_MIN..h$LAB_MAX_HOSTS)"
    i="$(parse_host "$1")"
    ((i >= SPARE_MIN)) || die "spare hosts are h$SPARE_MIN..h$LAB_MAX_HOSTS$hint"
    echo "$i"
}

# spare-up HOST: an extra host (h41..h50) built like the others but not in the
# inventory, for tests that break hosts. Prints its JSON entry. Idempotent.
cmd_spare_up() {
    local i
    i="$(spare_host_arg spare-up "" "$@")"
    require_root
    lab_lock
    [[ -n "$(lab_recorded_hosts || true)" ]] || die "lab is not up"
    if ! { [[ -e "/run/netns/$(host_netns "$i")" ]] && sshd_alive "$i" && ovs_alive "$i"; }; then
        log "spare host h$i: $(mgmt_ip "$i") (underlay $(ul_ip "$i"))"
        host_down "$i"
        host_up "$i"
        wait_for 10 sshd_listening "$(mgmt_ip "$i")" || die "sshd of h$i is not reachable"
    fi
    host_json "$i"
}

# spare-down HOST: remove a spare host (never an inventory host).
cmd_spare_down() {
    local i
    i="$(spare_host_arg spare-down "; use lab.sh down for the lab" "$@")"
    require_root
    lab_lock
    host_down "$i"
    ip link del "$(root_mgmt_if "$i")" 2>/dev/null || true
    ip link del "$(root_ul_if "$i")" 2>/dev/null || true
    ip link del "$(root_trunk_if "$i")" 2>/dev/null || true
    log "spare host h$i removed"
}

stop_vswitchd() {
    local i="$1" pidfile pid
    pidfile="$(host_run "$i")/ovs-vswitchd.pid"
    pidfile_alive "$pidfile" ovs-vswitchd || return 0
    pid="$(pidfile_pid "$pidfile")"
    kill -TERM "$pid" 2>/dev/null || true
    wait_gone 10 "$pid" || kill -KILL "$pid" 2>/dev/null || true
    wait_gone 5 "$pid" || die "ovs-vswitchd of h$i ($pid) does not stop"
}

# Wait until PID is dead (zombies count as dead: see pid_running).
wait_gone() {
    local tries=$(($1 * 10))
    while ((tries-- > 0)); do
        pid_running "$2" || return 0
        sleep 0.1
    done
    return 1
}

# Same daemon, same database as start_ovs; then what the host's boot config
# does: the underlay address on br-ul (its tap device died with vswitchd).
start_vswitchd() {
    local i="$1" hd run
    hd="$(host_dir "$i")"
    run="$hd/run"
    in_netns "$i" env "OVS_RUNDIR=$run" "OVS_DBDIR=$hd/db" "OVS_LOGDIR=$hd/log" ovs-vswitchd "unix:$run/db.sock" \
        --pidfile="$run/ovs-vswitchd.pid" \
        -vconsole:err --log-file="$hd/log/ovs-vswitchd.log" \
        --no-chdir --detach 9>&-
    setup_underlay_bridge "$i"
}

# restart-vswitchd HOST [--force]: OpenFlow flows vanish, OVSDB (bridges, ports) stays.
cmd_restart_vswitchd() {
    local i
    i="$(fault_args "$@")"
    require_root
    stop_vswitchd "$i"
    start_vswitchd "$i"
    log "h$i: ovs-vswitchd restarted (flows gone, OVSDB kept)"
}

# What a reboot drops beside links and namespaces, in host I's own namespace: every iptables rule, the routes
# made after boot (kernel routes of the lab's own addresses stay) and addresses on the lab's NICs other than
# the ones its boot config gives them (mgmt0's address; ul0 and eth1 have none).
drop_volatile_config() {
    local i="$1" ns t p a
    ns="$(host_netns "$i")"
    for t in nat filter mangle raw; do
        ip netns exec "$ns" iptables -w 5 -t "$t" -F 2>/dev/null || true
        ip netns exec "$ns" iptables -w 5 -t "$t" -X 2>/dev/null || true
    done
    for p in boot static 198; do
        ip -n "$ns" route flush proto "$p" 2>/dev/null || true
    done
    ip -n "$ns" addr flush dev "$HOST_TRUNK_IF" 2>/dev/null || true
    ip -n "$ns" addr flush dev "$HOST_UL_IF" 2>/dev/null || true
    for a in $(ip -n "$ns" -o -4 addr show dev "$HOST_MGMT_IF" | awk '{print $4}'); do
        [[ "$a" == "$(mgmt_ip "$i")/$MGMT_PREFIX" ]] || ip -n "$ns" addr del "$a" dev "$HOST_MGMT_IF" 2>/dev/null || true
    done
    # The host's boot configuration gives the NIC its address again, even where a management move had taken it.
    ip -n "$ns" addr replace "$(mgmt_ip "$i")/$MGMT_PREFIX" dev "$HOST_MGMT_IF"
}

# reboot HOST [--force]: what a reboot leaves of a host whose network is not
# persisted: no namespaces made inside it, no links but the lab's own NICs, no
# flows, no iptables rules, no routes or addresses but the boot config's; OVSDB
# (conf.db) kept, so bridges and ports are still configured. Files kept (the
# host's /var/lib/pulumi-ovs and /etc/systemd/system). Processes are not killed
# (docker is shared: restart containers yourself).
cmd_reboot() {
    local i ns l
    i="$(fault_args "$@")"
    require_root
    stop_vswitchd "$i"
    for ns in $(in_host "$i" ip netns list | awk '{print $1}'); do
        in_host "$i" ip netns del "$ns" || warn "h$i: could not delete namespace $ns"
    done
    for l in $(ip -n "$(host_netns "$i")" -o link show | awk -F': ' '{print $2}' | sed 's/@.*//'); do
        case "$l" in
        lo | "$HOST_MGMT_IF" | "$HOST_UL_IF" | "$HOST_TRUNK_IF") ;;
        *) ip -n "$(host_netns "$i")" link del "$l" 2>/dev/null || true ;;
        esac
    done
    drop_volatile_config "$i"
    start_vswitchd "$i"
    log "h$i: rebooted (namespaces, links, flows, iptables rules, routes and added addresses gone; OVSDB kept)"
}

# fake-systemd HOST on|off [--force]: inside HOST, /run/systemd/system exists (on) or not (off, as built), so
# the provider takes the path of a host that boots with systemd (it installs units; the lab runs no systemd,
# so tests run a unit's ExecStart themselves). Only the host's sshd mount namespace changes.
cmd_fake_systemd() {
    local i mode hd
    (($# >= 2)) || die "usage: lab.sh fake-systemd HOST on|off [--force]"
    mode="$2"
    i="$(fault_args "$1" "${@:3}")"
    require_root
    hd="$(host_dir "$i")"
    case "$mode" in
    on)
        mkdir -p "$hd/systemd-run/system"
        in_host "$i" sh -c 'mountpoint -q /run/systemd 2>/dev/null && [ -d /run/systemd/system ] || { mkdir -p /run/systemd && mount --bind "$1" /run/systemd; }' sh "$hd/systemd-run"
        ;;
    off) in_host "$i" sh -c '[ -d /run/systemd/system ] && umount /run/systemd || true' ;;
    *) die "fake-systemd: mode must be on or off" ;;
    esac
}

# The processes of host I's SSH sessions: children and grandchildren of its sshd listener.
ssh_session_pids() {
    local listener="$1" p
    for p in $(pgrep -P "$listener" || true); do
        echo "$p"
        pgrep -P "$p" || true
    done
}

# kill-sessions HOST [--force]: drop every SSH connection to HOST (SIGKILL its
# session processes); the listener stays, so new connections work. Prints how
# many processes were killed.
cmd_kill_sessions() {
    local i listener pids
    i="$(fault_args "$@")"
    require_root
    listener="$(pidfile_pid "$(sshd_pidfile "$i")")"
    mapfile -t pids < <(ssh_session_pids "$listener")
    kill_pids KILL "${pids[@]}"
    echo "${#pids[@]}"
}

BLOCK_RULE=(INPUT -p tcp --dport 22 -m comment --comment povs-lab-block-ssh -j DROP)

# block-ssh HOST [--force]: the host's sshd stops answering (packets dropped,
# like an unreachable host); unblock-ssh HOST lifts it.
cmd_block_ssh() {
    local i
    i="$(fault_args "$@")"
    require_root
    in_netns "$i" iptables -C "${BLOCK_RULE[@]}" 2>/dev/null || in_netns "$i" iptables -I "${BLOCK_RULE[@]}"
}

cmd_unblock_ssh() {
    local i
    i="$(fault_args "$@")"
    require_root
    while in_netns "$i" iptables -C "${BLOCK_RULE[@]}" 2>/dev/null; do
        in_netns "$i" iptables -D "${BLOCK_RULE[@]}"
    done
}
