# shellcheck shell=bash
# One ovsdb-server + ovs-vswitchd per lab host, inside the host's network
# namespace. The kernel has no openvswitch module, so every bridge must use the
# userspace datapath (datapath_type=netdev).
#
# OVS_RUNDIR/OVS_DBDIR/OVS_LOGDIR make the daemons put pidfiles, control
# sockets (<daemon>.<pid>.ctl) and bridge management sockets (<br>.mgmt) into
# the host's run dir, which the host's sshd mount namespace binds on
# /run/openvswitch. So inside an ssh session plain `ovs-vsctl`, `ovs-ofctl` and
# `ovs-appctl` find this host's daemons exactly like on a real host.
# We leave --unixctl at its default name (<daemon>.<pid>.ctl): that is what
# `ovs-appctl -t ovsdb-server` looks up via the pidfile.

start_ovs() {
    local i="$1" hd run db log
    hd="$(host_dir "$i")"
    run="$hd/run"
    db="$hd/db/conf.db"
    log="$hd/log"
    mkdir -p "$run" "$hd/db" "$log"
    rm -f "$db" "$run"/* 2>/dev/null || true
    ovsdb-tool create "$db" "$OVS_SCHEMA"

    local env_=(env "OVS_RUNDIR=$run" "OVS_DBDIR=$hd/db" "OVS_LOGDIR=$log")
    in_netns "$i" "${env_[@]}" ovsdb-server "$db" \
        --remote="punix:$run/db.sock" \
        --remote=db:Open_vSwitch,Open_vSwitch,manager_options \
        --pidfile="$run/ovsdb-server.pid" \
        -vconsole:err --log-file="$log/ovsdb-server.log" \
        --no-chdir --detach 9>&-
    host_vsctl "$i" --no-wait init
    host_vsctl "$i" --no-wait set Open_vSwitch . \
        "external_ids:system-id=povs-h$i" "external_ids:hostname=h$i"

    in_netns "$i" "${env_[@]}" ovs-vswitchd "unix:$run/db.sock" \
        --pidfile="$run/ovs-vswitchd.pid" \
        -vconsole:err --log-file="$log/ovs-vswitchd.log" \
        --no-chdir --detach 9>&-
}

# br-ul: the underlay bridge. Userspace VXLAN/GRE route their encapsulated
# packets with OVS's own routing table and need the local tunnel endpoint IP on
# the internal interface of a netdev bridge that holds the underlay NIC.
setup_underlay_bridge() {
    local i="$1" ns
    ns="$(host_netns "$i")"
    # Without --no-wait ovs-vsctl returns only after ovs-vswitchd has created
    # the br-ul tap device, so the ip commands below find it.
    host_vsctl "$i" -- --may-exist add-br "$HOST_UL_BRIDGE" \
        -- set bridge "$HOST_UL_BRIDGE" datapath_type=netdev \
        -- --may-exist add-port "$HOST_UL_BRIDGE" "$HOST_UL_IF"
    ip -n "$ns" link set "$HOST_UL_BRIDGE" mtu 1500
    ip -n "$ns" addr replace "$(ul_ip "$i")/$UL_PREFIX" dev "$HOST_UL_BRIDGE"
    ip -n "$ns" link set "$HOST_UL_BRIDGE" up
    tx_off "$ns" "$HOST_UL_BRIDGE"
}

ovs_alive() {
    local i="$1" run
    run="$(host_run "$i")"
    pidfile_alive "$run/ovsdb-server.pid" ovsdb-server && pidfile_alive "$run/ovs-vswitchd.pid" ovs-vswitchd
}
