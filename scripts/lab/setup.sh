#!/usr/bin/env bash
# Install the Debian packages the lab needs, if (and only if) something is missing.
# Idempotent: when everything is present it only runs a few `command -v` checks.
# CI runs on fresh machines, so `lab.sh up` calls this before building the lab.
set -euo pipefail

# "command-or-path package" pairs: install PACKAGE when COMMAND is missing.
# Checking commands (not package names) tolerates machines that got a tool
# from another package (e.g. docker-ce instead of docker.io).
REQUIREMENTS=(
    "ovs-vswitchd openvswitch-switch"
    "ovsdb-server openvswitch-switch"
    "ovs-vsctl openvswitch-switch"
    "/usr/sbin/sshd openssh-server"
    "ssh openssh-client"
    "ssh-keygen openssh-client"
    "dockerd docker.io"
    "docker docker.io"
    "ip iproute2"
    "ping iputils-ping"
    "nc.openbsd netcat-openbsd"
    "ethtool ethtool"
    "sudo sudo"
    "iptables iptables"
    "jq jq"
    "sshpass sshpass"
    "nsenter util-linux"
    "unshare util-linux"
    "flock util-linux"
    "pgrep procps"
    "chpasswd passwd"
)

have() {
    if [[ "$1" == /* ]]; then [[ -x "$1" ]]; else command -v "$1" >/dev/null 2>&1; fi
}

# The docker image is built from a *static* busybox (a dynamic one would need
# libc inside the image), so check that property rather than a command name.
static_busybox_ok() {
    [[ -x /bin/busybox ]] || return 1
    dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q "install ok installed" && return 0
    ! ldd /bin/busybox >/dev/null 2>&1
}

missing_packages() {
    local req cmd pkg
    local -A seen=()
    for req in "${REQUIREMENTS[@]}"; do
        cmd="${req%% *}"
        pkg="${req#* }"
        if ! have "$cmd" && [[ -z "${seen[$pkg]:-}" ]]; then
            seen[$pkg]=1
            echo "$pkg"
        fi
    done
    if ! static_busybox_ok && [[ -z "${seen[busybox-static]:-}" ]]; then
        echo busybox-static
    fi
}

install_packages() {
    local pkgs=("$@") created_policy=0
    echo "[lab setup] installing: ${pkgs[*]}" >&2
    # Keep maintainer scripts from starting the distro's openvswitch-switch,
    # ssh or docker services: the lab runs its own daemons in namespaces.
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        created_policy=1
    fi
    local rc=0
    DEBIAN_FRONTEND=noninteractive apt-get update -qq || rc=$?
    if ((rc == 0)); then
        NEEDRESTART_SUSPEND=1 DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" || rc=$?
    fi
    if ((created_policy)); then rm -f /usr/sbin/policy-rc.d; fi
    return "$rc"
}

main() {
    [[ "$(id -u)" == 0 ]] || { echo "[lab setup] must run as root" >&2; exit 1; }
    local missing
    mapfile -t missing < <(missing_packages)
    if ((${#missing[@]} == 0)); then
        return 0
    fi
    install_packages "${missing[@]}"
    mapfile -t missing < <(missing_packages)
    if ((${#missing[@]} > 0)); then
        echo "[lab setup] still missing after install: ${missing[*]}" >&2
        exit 1
    fi
}

main "$@"
