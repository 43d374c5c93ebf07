# shellcheck shell=bash
# lab up / down / exec.

# --- up -----------------------------------------------------------------------

host_up() {
    local i="$1" hd
    hd="$(host_dir "$i")"
    mkdir -p "$hd"
    rm -rf "$hd/run" "$hd/db" "$hd/netns" "$hd/log" "$hd/state" "$hd/units" "$hd/systemd-run"
    mkdir -p "$hd/run" "$hd/db" "$hd/netns" "$hd/log" "$hd/ssh"
    create_host_netns "$i"
    start_ovs "$i"
    setup_underlay_bridge "$i"
    ensure_host_key "$i"
    write_sshd_config "$i"
    start_sshd "$i"
}

sshd_listening() { timeout 1 bash -c "exec 3<>/dev/tcp/$1/22" 2>/dev/null; }

cmd_up() {
    local n="$LAB_DEFAULT_HOSTS"
    while (($#)); do
        case "$1" in
        --hosts) n="${2:-}"; shift ;;
        --hosts=*) n="${1#--hosts=}" ;;
        *) die "up: unknown option $1" ;;
        esac
        shift
    done
    [[ "$n" =~ ^[0-9]+$ ]] && ((n >= 1 && n <= LAB_MAX_HOSTS)) || die "up: --hosts must be 1..$LAB_MAX_HOSTS"
    require_root
    lab_lock
    if lab_is_up "$n"; then
        log "lab already up with $n hosts"
        return 0
    fi
    local t0=$SECONDS
    if lab_has_state; then
        log "lab is half up or has another size: tearing down first"
        lab_down keep-docker
    fi
    log "bringing up $n hosts in $LAB_DIR"
    bash "$LAB_ROOT/setup.sh"
    mkdir -p "$LAB_DIR"
    chmod 755 "$LAB_DIR"
    ensure_login_user
    ensure_dockerd
    ensure_image
    ensure_root_bridges
    local i
    for ((i = 1; i <= n; i++)); do
        log "host h$i: $(mgmt_ip "$i") (underlay $(ul_ip "$i"))"
        host_up "$i"
    done
    for ((i = 1; i <= n; i++)); do
        wait_for 10 sshd_listening "$(mgmt_ip "$i")" || die "sshd of h$i is not reachable on $(mgmt_ip "$i"):22"
    done
    write_known_hosts "$n"
    write_inventory "$n"
    echo "hosts=$n" >"$LAB_STATE"
    log "lab up: $n hosts in $((SECONDS - t0)) s; inventory: $LAB_INVENTORY"
}

# --- down ---------------------------------------------------------------------

# Anything of a lab around, complete or not?
lab_has_state() {
    [[ -e "$LAB_STATE" ]] && return 0
    [[ -n "$(root_lab_links)" ]] && return 0
    ip netns list 2>/dev/null | grep -q '^povs-h' && return 0
    compgen -G "$LAB_DIR/h*/run/*.pid" >/dev/null && return 0
    compgen -G "$LAB_DIR/h*/ssh/sshd.pid" >/dev/null && return 0
    return 1
}

# Host indexes that may have leftovers: from state dirs and from namespaces.
known_host_indexes() {
    {
        local d
        for d in "$LAB_DIR"/h*/; do
            [[ -d "$d" ]] || continue
            d="${d%/}"
            d="${d##*/h}"
            [[ "$d" =~ ^[0-9]+$ ]] && echo "$d"
        done
        ip netns list 2>/dev/null | awk '{print $1}' | sed -n 's/^povs-h\([0-9][0-9]*\)$/\1/p'
    } | sort -un
}

# PIDs whose net or mnt namespace is one of the given "net:[ino]"/"mnt:[ino]".
pids_in_namespaces() {
    (($#)) || return 0
    find /proc/[0-9]*/ns/net /proc/[0-9]*/ns/mnt -maxdepth 0 -printf '%p %l\n' 2>/dev/null |
        awk -v set="$*" -v self="$$" '
            BEGIN { n = split(set, a, " "); for (i = 1; i <= n; i++) want[a[i]] = 1 }
            ($2 in want) { split($1, p, "/"); if (p[3] != self) print p[3] }' |
        sort -un
}

# Namespaces belonging to host I: its netns, and - while its sshd lives - the
# sshd mount namespace and every netns created inside the host with
# `ip netns add` (nsfs mounts under the host's /run/netns, reachable through
# /proc/PID/root of the sshd). Namespace ids are only trusted while something
# pins them (the netns mount, the live sshd): a dead namespace's inode number
# can be reused by an unrelated new namespace.
host_namespaces() {
    local i="$1" ns pid f
    ns="$(host_netns "$i")"
    if [[ "$(stat -f -c %T "/run/netns/$ns" 2>/dev/null)" == nsfs ]]; then
        echo "net:[$(stat -c %i "/run/netns/$ns")]"
    fi
    sshd_alive "$i" || return 0
    pid="$(pidfile_pid "$(sshd_pidfile "$i")")"
    readlink "/proc/$pid/ns/mnt" || return 0
    for f in "/proc/$pid/root/run/netns/"*; do
        [[ -e "$f" ]] || continue
        # Only nsfs mounts count (a leftover plain file has a normal inode).
        if [[ "$(stat -f -c %T "$f" 2>/dev/null)" == nsfs ]]; then
            echo "net:[$(stat -c %i "$f")]"
        fi
    done
}

kill_pids() {
    local sig="$1"
    shift
    (($#)) && kill "-$sig" "$@" 2>/dev/null
    return 0
}

# Stop everything that runs "on" host I: sshd and its sessions, the OVS
# daemons, and whatever users started in the host or in netns made inside it.
kill_host_processes() {
    local i="$1" hd nss pids
    hd="$(host_dir "$i")"
    mapfile -t nss < <(host_namespaces "$i")
    local round
    for round in TERM TERM KILL; do
        mapfile -t pids < <({
            pids_in_namespaces "${nss[@]}"
            # Fallback for the host's daemons whose namespace is already gone
            # from view: their command lines name the host dir.
            pgrep -f -- "^(sshd: )?(/usr/s?bin/)?(sshd|ovsdb-server|ovs-vswitchd) .*$hd/" || true
        } | grep -vx -e "$$" -e "$BASHPID" | sort -un)
        ((${#pids[@]})) || return 0
        kill_pids "$round" "${pids[@]}"
        local n=0
        while ((n++ < 20)); do
            local alive=0 p
            for p in "${pids[@]}"; do pid_running "$p" && alive=1; done
            ((alive)) || break
            sleep 0.1
        done
    done
}

host_down() {
    local i="$1" hd ns
    hd="$(host_dir "$i")"
    ns="$(host_netns "$i")"
    kill_host_processes "$i"
    if [[ -e "/run/netns/$ns" ]] || ip netns list 2>/dev/null | grep -q "^$ns\b"; then
        ip netns del "$ns" 2>/dev/null || warn "could not delete netns $ns"
    fi
    # Mounts of the host live only in its (now dead) mount namespace; this
    # catches any that leaked into the root namespace anyway.
    local m
    for m in $(awk -v d="$hd" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r); do
        umount -l "$m" 2>/dev/null || true
    done
    rm -rf "$hd/run" "$hd/db" "$hd/netns" "$hd/state" "$hd/units" "$hd/systemd-run"
    rm -f "$hd/ssh/sshd.pid"
}

# Tear down, tolerating any partial state. Keeps keys, the password, host keys
# and logs (so known_hosts stays valid and failures can be inspected).
# With "keep-docker" (a rebuild by `up`) a dockerd the lab started stays up.
lab_down() {
    local keep_docker="${1:-}"
    rm -f "$LAB_STATE" "$LAB_INVENTORY"
    remove_lab_containers
    local i
    for i in $(known_host_indexes); do
        host_down "$i"
    done
    delete_root_links
    [[ "$keep_docker" == keep-docker ]] || stop_owned_dockerd
    local m
    for m in $(awk -v d="$LAB_DIR/" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r); do
        umount -l "$m" 2>/dev/null || true
    done
    rm -rf "$LAB_DIR/image-rootfs"
    # The mount point start_sshd made (empty unless a host built before it existed wrote there).
    rmdir "$HOST_STATE_DIR" 2>/dev/null || true
}

cmd_down() {
    (($# == 0)) || die "down takes no arguments"
    require_root
    lab_lock
    lab_down
    log "lab down"
}

# down, then also remove the login user, sudoers file, state dir and image.
cmd_purge() {
    require_root
    lab_lock
    if docker_ok; then docker rmi -f "$LAB_IMAGE" >/dev/null 2>&1 || true; fi
    lab_down
    rm -f "$LAB_SUDOERS"
    if id "$LAB_USER" >/dev/null 2>&1; then userdel -r "$LAB_USER" 2>/dev/null || userdel "$LAB_USER" || true; fi
    rm -rf "${LAB_DIR:?}"
    log "lab purged"
}

# --- exec / ssh ---------------------------------------------------------------

# Run CMD as root "on" host I: in its network namespace and the mount
# namespace of its sshd, i.e. what an ssh session there sees.
cmd_exec() {
    (($# >= 1)) || die "usage: lab.sh exec HOST -- CMD [ARGS...]"
    local i pid
    i="$(parse_host "$1")"
    shift
    [[ "${1:-}" == "--" ]] && shift
    (($#)) || die "usage: lab.sh exec HOST -- CMD [ARGS...]"
    require_root
    sshd_alive "$i" || die "host h$i is not up (no live sshd)"
    pid="$(pidfile_pid "$(sshd_pidfile "$i")")"
    # Drop OVS_* overrides of the caller: inside the host /run/openvswitch is
    # already the host's run dir.
    exec env -u OVS_RUNDIR -u OVS_DBDIR -u OVS_LOGDIR nsenter --target "$pid" --net --mount -- "$@"
}

# Interactive/one-shot ssh as the login user, for humans.
cmd_ssh() {
    (($# >= 1)) || die "usage: lab.sh ssh HOST [CMD...]"
    local i
    i="$(parse_host "$1")"
    shift
    [[ "${1:-}" == "--" ]] && shift
    [[ -s "$LAB_KNOWN_HOSTS" ]] || die "lab is not up"
    exec ssh -i "$LAB_KEY" -o UserKnownHostsFile="$LAB_KNOWN_HOSTS" -o StrictHostKeyChecking=yes \
        -o BatchMode=yes -o LogLevel=ERROR "$LAB_USER@$(mgmt_ip "$i")" "$@"
}
