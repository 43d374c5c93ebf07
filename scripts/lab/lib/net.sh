# shellcheck shell=bash
# Root-namespace bridges and per-host network namespaces with their veths.

link_exists() { ip link show dev "$1" >/dev/null 2>&1; }

# With the userspace (netdev) datapath of OVS, TCP through a veth fails unless
# the sending side computes checksums itself, so every lab veth end gets TX
# checksum offload off. (Ping works regardless, which hides the problem.)
tx_off() {
    local ns="$1" ifname="$2"
    if [[ -n "$ns" ]]; then
        ip netns exec "$ns" ethtool -K "$ifname" tx off >/dev/null 2>&1 || warn "ethtool tx off failed on $ns/$ifname"
    else
        ethtool -K "$ifname" tx off >/dev/null 2>&1 || warn "ethtool tx off failed on $ifname"
    fi
}

# A plain Linux bridge in the root namespace: no STP, no VLAN filtering, and no
# netfilter calls (a system docker may have loaded br_netfilter with a FORWARD
# DROP policy, which would otherwise silently eat bridged lab traffic).
ensure_root_bridge() {
    local name="$1" addr="${2:-}"
    link_exists "$name" || ip link add "$name" type bridge
    ip link set "$name" type bridge stp_state 0 forward_delay 0
    # Some kernels (this sandbox's) lack CONFIG_BRIDGE_VLAN_FILTERING: then
    # the bridge is non-filtering anyway and forwards tagged frames as-is.
    if [[ -e "/sys/class/net/$name/bridge/vlan_filtering" ]]; then
        ip link set "$name" type bridge vlan_filtering 0
    fi
    ip link set "$name" type bridge nf_call_iptables 0 nf_call_ip6tables 0 nf_call_arptables 0 2>/dev/null || true
    ip link set "$name" mtu 1500
    if [[ -n "$addr" ]]; then ip addr replace "$addr" dev "$name"; fi
    ip link set "$name" up
}

ensure_root_bridges() {
    ensure_root_bridge "$MGMT_BR" "$MGMT_GW/$MGMT_PREFIX"
    ensure_root_bridge "$UL_BR"
    ensure_root_bridge "$TRUNK_BR"
}

# Veth pair ROOT_IF (root ns, enslaved to BRIDGE) <-> HOST_IF (inside NS).
make_host_veth() {
    local ns="$1" root_if="$2" host_if="$3" bridge="$4"
    link_exists "$root_if" && ip link del "$root_if"
    ip link add "$root_if" mtu 1500 type veth peer name "$host_if" mtu 1500 netns "$ns"
    ip link set "$root_if" master "$bridge"
    tx_off "" "$root_if"
    tx_off "$ns" "$host_if"
    ip link set "$root_if" up
    ip -n "$ns" link set "$host_if" up
}

# Create namespace povs-hI with mgmt0 (addressed), ul0 and eth1 (unaddressed;
# ul0 is handed to OVS later, see ovs.sh).
create_host_netns() {
    local i="$1" ns
    ns="$(host_netns "$i")"
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    make_host_veth "$ns" "$(root_mgmt_if "$i")" "$HOST_MGMT_IF" "$MGMT_BR"
    ip -n "$ns" addr add "$(mgmt_ip "$i")/$MGMT_PREFIX" dev "$HOST_MGMT_IF"
    make_host_veth "$ns" "$(root_ul_if "$i")" "$HOST_UL_IF" "$UL_BR"
    make_host_veth "$ns" "$(root_trunk_if "$i")" "$HOST_TRUNK_IF" "$TRUNK_BR"
    # Hosts forward IPv4, as docker hosts do (docker sets it; the seeds' routed scenarios rely on it). A new
    # namespace does not always inherit it from the root namespace.
    ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1
    # Deliberately no default route: lab hosts can reach only lab addresses.
}

# Every povs-* link left in the root namespace (veth root ends, bridges).
root_lab_links() {
    ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' | grep '^povs-' || true
}

delete_root_links() {
    local l
    # Veths first (their bridges may still hold them), bridges last.
    for l in $(root_lab_links | grep -v -e "^$MGMT_BR\$" -e "^$UL_BR\$" -e "^$TRUNK_BR\$"); do
        ip link del "$l" 2>/dev/null || true
    done
    for l in "$MGMT_BR" "$UL_BR" "$TRUNK_BR"; do
        link_exists "$l" && { ip link del "$l" 2>/dev/null || true; }
    done
    return 0
}
