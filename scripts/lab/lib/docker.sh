# shellcheck shell=bash
# The docker daemon (shared by all lab hosts, like the rest of the filesystem)
# and the small local image pulumi-ovs/busybox:latest. Nothing is ever pulled:
# the image is made with `docker import` from the static busybox binary.

DOCKERD_PIDFILE="$LAB_DIR/dockerd.pid"
DOCKERD_LOG="$LAB_DIR/dockerd.log"

docker_ok() { timeout 10 docker info >/dev/null 2>&1; }

# Flags chosen for this sandbox and for CI:
#  --bridge=none, --iptables=false: no docker0 bridge (its default subnet is
#    outside 198.18.0.0/15) and no touching the host firewall; lab containers
#    run with --network none and get veths from the provider.
#  --default-address-pool: should anyone `docker network create`, stay inside
#    198.18.0.0/15.
start_dockerd_with() {
    local driver="$1" args
    args=(--pidfile "$DOCKERD_PIDFILE" --iptables=false --ip-masq=false --bridge=none
        --default-address-pool "base=198.19.128.0/17,size=24")
    [[ -n "$driver" ]] && args+=(--storage-driver "$driver")
    rm -f "$DOCKERD_PIDFILE"
    log "starting dockerd ${driver:+(storage driver $driver)}"
    echo "=== $(date -Is) dockerd ${args[*]}" >>"$DOCKERD_LOG"
    setsid nohup dockerd "${args[@]}" >>"$DOCKERD_LOG" 2>&1 </dev/null 9>&- &
    # Up to 60 s, but give up at once if dockerd died (e.g. storage driver).
    local n=0
    while ((n++ < 600)); do
        docker_ok && return 0
        [[ -n "$(owned_dockerd_pids)" ]] || return 1
        sleep 0.1
    done
    return 1
}

ensure_dockerd() {
    if docker_ok; then return 0; fi
    # A dockerd we started earlier may be hung or half dead: stop it first.
    stop_owned_dockerd
    if start_dockerd_with ""; then return 0; fi
    warn "dockerd with the default storage driver did not come up; retrying with vfs (tail of $DOCKERD_LOG follows)"
    tail -n 5 "$DOCKERD_LOG" >&2 || true
    stop_owned_dockerd
    start_dockerd_with vfs || die "dockerd did not start (see $DOCKERD_LOG)"
}

# The dockerd(s) the lab started: recognized by the pidfile path in their
# command line, so even a lost state dir does not leave one behind. `down`
# stops only these; a docker that was already running is left alone.
owned_dockerd_pids() {
    pgrep -f -- "^dockerd --pidfile $DOCKERD_PIDFILE( |\$)" || true
}

stop_owned_dockerd() {
    local pid pids
    pids="$(owned_dockerd_pids)"
    for pid in $pids; do
        log "stopping the dockerd the lab started (pid $pid)"
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in $pids; do
        # dockerd stops its containerd and unmounts its overlays on TERM.
        local n=0
        while pid_running "$pid" && ((n++ < 300)); do sleep 0.1; done
        if pid_running "$pid"; then
            warn "dockerd did not exit in 30 s; killing it"
            kill -KILL "$pid" 2>/dev/null || true
        fi
    done
    rm -f "$DOCKERD_PIDFILE"
}

ensure_image() {
    if docker image inspect "$LAB_IMAGE" >/dev/null 2>&1; then return 0; fi
    log "building $LAB_IMAGE from the static busybox"
    local rootfs="$LAB_DIR/image-rootfs"
    rm -rf "$rootfs"
    mkdir -p "$rootfs"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,root,proc,sys,dev,var/run,run}
    chmod 1777 "$rootfs/tmp"
    cp /bin/busybox "$rootfs/bin/busybox"
    # The binary is static, so it runs in the chroot and installs symlinks for
    # all its applets (sh, ip, ping, nc, sleep, ifconfig, route, arp, ...).
    chroot "$rootfs" /bin/busybox --install -s /bin
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$rootfs/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
    echo "127.0.0.1 localhost" >"$rootfs/etc/hosts"
    tar -C "$rootfs" -c . | docker import \
        -c 'CMD ["/bin/sh"]' \
        -c 'ENV PATH=/bin:/sbin:/usr/bin:/usr/sbin' \
        -m "pulumi-ovs lab image (static busybox)" - "$LAB_IMAGE" >/dev/null
    rm -rf "$rootfs"
}

# Containers the provider (label pulumi-ovs.managed) or the lab's tests
# (label pulumi-ovs.lab) created, any label value.
remove_lab_containers() {
    docker_ok || return 0
    local ids
    ids="$( (docker ps -aq --filter label=pulumi-ovs.managed; docker ps -aq --filter label=pulumi-ovs.lab) | sort -u)"
    if [[ -n "$ids" ]]; then
        log "removing $(echo "$ids" | wc -l) lab container(s)"
        # shellcheck disable=SC2086
        docker rm -f -v $ids >/dev/null 2>&1 || warn "docker rm failed for some containers"
    fi
}
