# shellcheck shell=bash
# inventory.json (what tests and examples read to find the lab) and `status`.

write_inventory() {
    local n="$1" i hosts="[]"
    for ((i = 1; i <= n; i++)); do
        hosts="$(jq -c \
            --arg name "$(host_name "$i")" \
            --arg address "$(mgmt_ip "$i")" \
            --arg user "$LAB_USER" \
            --arg key "$LAB_KEY" \
            --arg hostKey "$(host_key_line "$i")" \
            --arg hostKeySha256 "$(host_key_sha256 "$i")" \
            --arg ul "$(ul_ip "$i")" \
            --arg ulCidr "$(ul_ip "$i")/$UL_PREFIX" \
            --arg ulBridge "$HOST_UL_BRIDGE" \
            --arg trunk "$HOST_TRUNK_IF" \
            --arg netns "$(host_netns "$i")" \
            --arg dir "$(host_dir "$i")" \
            '. + [{name: $name, address: $address, port: 22, user: $user,
                   privateKeyPath: $key, hostKey: $hostKey, hostKeySha256: $hostKeySha256,
                   underlayIp: $ul, underlayCidr: $ulCidr, underlayBridge: $ulBridge,
                   trunkNic: $trunk, netns: $netns, dir: $dir}]' <<<"$hosts")"
    done
    jq -n \
        --arg user "$LAB_USER" \
        --arg key "$LAB_KEY" \
        --arg pw "$LAB_PASSWORD_FILE" \
        --arg kh "$LAB_KNOWN_HOSTS" \
        --arg image "$LAB_IMAGE" \
        --argjson hosts "$hosts" \
        '{user: $user, privateKeyPath: $key, passwordPath: $pw, knownHostsPath: $kh,
          hosts: $hosts, dockerImage: $image}' >"$LAB_INVENTORY.tmp"
    mv "$LAB_INVENTORY.tmp" "$LAB_INVENTORY"
}

lab_recorded_hosts() {
    [[ -r "$LAB_STATE" ]] && sed -n 's/^hosts=//p' "$LAB_STATE" | head -1
}

# Cheap health check of a completed lab with N hosts: state file, inventory,
# root bridges, and per host netns + sshd + OVS daemons alive, docker answers.
lab_is_up() {
    local n="$1" i
    [[ "$(lab_recorded_hosts)" == "$n" && -s "$LAB_INVENTORY" ]] || return 1
    [[ -d "/sys/class/net/$MGMT_BR" && -d "/sys/class/net/$UL_BR" && -d "/sys/class/net/$TRUNK_BR" ]] || return 1
    for ((i = 1; i <= n; i++)); do
        [[ -e "/run/netns/$(host_netns "$i")" ]] || return 1
        sshd_alive "$i" || return 1
        ovs_alive "$i" || return 1
    done
    docker_ok || return 1
    docker image inspect "$LAB_IMAGE" >/dev/null 2>&1 || return 1
}

yes_no() { if "$@" >/dev/null 2>&1; then echo yes; else echo NO; fi; }

cmd_status() {
    local json=0
    while (($#)); do
        case "$1" in
        --json) json=1 ;;
        *) die "status: unknown option $1" ;;
        esac
        shift
    done
    local n
    n="$(lab_recorded_hosts || true)"
    if ((json)); then
        if [[ -z "$n" ]] || ! lab_is_up "$n"; then
            echo "lab is not up (run: bash scripts/lab/lab.sh up)" >&2
            exit 1
        fi
        cat "$LAB_INVENTORY"
        return 0
    fi
    if [[ -z "$n" ]]; then
        echo "lab is not up (state dir $LAB_DIR)"
        exit 1
    fi
    local i fmt="%-4s %-13s %-13s %-8s %-11s %-11s %s\n"
    # shellcheck disable=SC2059
    printf "$fmt" HOST ADDRESS UNDERLAY SSHD OVSDB VSWITCHD BRIDGES
    for ((i = 1; i <= n; i++)); do
        local run bridges
        run="$(host_run "$i")"
        bridges="$(host_vsctl "$i" --timeout=2 list-br 2>/dev/null | paste -sd, || true)"
        # shellcheck disable=SC2059
        printf "$fmt" "h$i" "$(mgmt_ip "$i")" "$(ul_ip "$i")" \
            "$(yes_no sshd_alive "$i")" \
            "$(yes_no pidfile_alive "$run/ovsdb-server.pid" ovsdb-server)" \
            "$(yes_no pidfile_alive "$run/ovs-vswitchd.pid" ovs-vswitchd)" \
            "${bridges:--}"
    done
    echo "docker: $(yes_no docker_ok)$([[ -n "$(owned_dockerd_pids)" ]] && echo " (started by the lab)")," \
        "image $LAB_IMAGE: $(yes_no docker image inspect "$LAB_IMAGE")"
    if lab_is_up "$n"; then
        echo "lab is UP ($n hosts); inventory: $LAB_INVENTORY"
    else
        echo "lab is DEGRADED; run: bash scripts/lab/lab.sh up --hosts $n"
        exit 1
    fi
}
