#!/usr/bin/env bash
# pulumi-ovs lab: simulated Linux hosts h1..hN on this machine, each with its own
# network namespace, Open vSwitch (userspace datapath), sshd and /run/netns.
#
#   lab.sh up [--hosts N]        build the lab (default 3 hosts); no-op if already up
#   lab.sh down                  remove every namespace, link, mount, daemon and
#                                lab container (keys and logs stay in the state dir)
#   lab.sh status [--json]       human table, or inventory.json (exit 1 if not up)
#   lab.sh exec HOST -- CMD...   run CMD as root "on" HOST (its netns + sshd mount ns)
#   lab.sh ssh HOST [CMD...]     ssh to HOST as the lab user
#   lab.sh purge                 down + remove login user, sudoers file, state dir, image
#
# Faults (reliability tests; refuse inventory hosts without --force):
#   lab.sh spare-up HOST | spare-down HOST   extra host h41..h50, not in the inventory
#   lab.sh restart-vswitchd HOST   flows vanish, OVSDB kept
#   lab.sh reboot HOST             namespaces, links, flows, iptables rules, added
#                                  routes and addresses gone; OVSDB and files kept
#   lab.sh fake-systemd HOST on|off   /run/systemd/system present inside HOST (or not)
#   lab.sh kill-sessions HOST      drop every SSH connection (listener stays)
#   lab.sh block-ssh HOST | unblock-ssh HOST   sshd unreachable (iptables DROP)
#
# State dir: ${POVS_LAB_DIR:-/var/lib/pulumi-ovs-lab}. See scripts/lab/README.md.
set -euo pipefail

LAB_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/common.sh
source "$LAB_ROOT/lib/common.sh"
# shellcheck source=lib/net.sh
source "$LAB_ROOT/lib/net.sh"
# shellcheck source=lib/ovs.sh
source "$LAB_ROOT/lib/ovs.sh"
# shellcheck source=lib/ssh.sh
source "$LAB_ROOT/lib/ssh.sh"
# shellcheck source=lib/docker.sh
source "$LAB_ROOT/lib/docker.sh"
# shellcheck source=lib/inventory.sh
source "$LAB_ROOT/lib/inventory.sh"
# shellcheck source=lib/lifecycle.sh
source "$LAB_ROOT/lib/lifecycle.sh"
# shellcheck source=lib/faults.sh
source "$LAB_ROOT/lib/faults.sh"

usage() {
    sed -n '2,23p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

main() {
    local cmd="${1:-}"
    (($#)) && shift
    case "$cmd" in
    up) cmd_up "$@" ;;
    down) cmd_down "$@" ;;
    status) cmd_status "$@" ;;
    exec) cmd_exec "$@" ;;
    ssh) cmd_ssh "$@" ;;
    purge) cmd_purge "$@" ;;
    spare-up) cmd_spare_up "$@" ;;
    spare-down) cmd_spare_down "$@" ;;
    restart-vswitchd) cmd_restart_vswitchd "$@" ;;
    reboot) cmd_reboot "$@" ;;
    fake-systemd) cmd_fake_systemd "$@" ;;
    kill-sessions) cmd_kill_sessions "$@" ;;
    block-ssh) cmd_block_ssh "$@" ;;
    unblock-ssh) cmd_unblock_ssh "$@" ;;
    -h | --help | help) usage ;;
    *)
        usage >&2
        exit 2
        ;;
    esac
}

main "$@"
