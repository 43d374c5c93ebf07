# shellcheck shell=bash
# Shared names, addresses and small helpers of the lab.
# Sourced by lab.sh, setup.sh and selftest.sh; defines functions and variables only.

# --- Fixed names other code relies on (see scripts/lab/README.md) -------------
LAB_DIR="${POVS_LAB_DIR:-/var/lib/pulumi-ovs-lab}"
LAB_USER="povs"
LAB_IMAGE="pulumi-ovs/busybox:latest"
LAB_KEY="$LAB_DIR/id_ed25519"
LAB_PASSWORD_FILE="$LAB_DIR/password"
LAB_INVENTORY="$LAB_DIR/inventory.json"
LAB_KNOWN_HOSTS="$LAB_DIR/known_hosts"
# Written last by `up`; holds the host count. Its presence means "up completed".
LAB_STATE="$LAB_DIR/lab.state"
LAB_SUDOERS="/etc/sudoers.d/pulumi-ovs-lab"
LAB_DEFAULT_HOSTS=3
LAB_MAX_HOSTS=50

# Root-namespace Linux bridges.
MGMT_BR="povs-mgmt"   # management network, 198.18.0.0/24, root side has .1
UL_BR="povs-ul"       # underlay ("physical" network for tunnels), no IP in root
TRUNK_BR="povs-trunk" # second unaddressed NIC of every host (eth1), no IP
MGMT_GW="198.18.0.1"
MGMT_PREFIX=24
UL_PREFIX=24

# In-host names.
HOST_MGMT_IF="mgmt0"
HOST_UL_IF="ul0"
HOST_UL_BRIDGE="br-ul"
HOST_TRUNK_IF="eth1"

OVS_SCHEMA="/usr/share/openvswitch/vswitch.ovsschema"

# Where the provider keeps a stack's restore state and installs its units (docs/reboot.md): each host sees its own
# directory there (hN/state, hN/units), bound in its sshd's mount namespace.
HOST_STATE_DIR="/var/lib/pulumi-ovs"
HOST_UNIT_DIR="/etc/systemd/system"

# --- Per-host derived names (argument: host index I >= 1) ---------------------
host_name()  { echo "h$1"; }
host_netns() { echo "povs-h$1"; }
host_dir()   { echo "$LAB_DIR/h$1"; }
host_run()   { echo "$LAB_DIR/h$1/run"; }
mgmt_ip()    { echo "198.18.0.$((10 + $1))"; }
ul_ip()      { echo "198.19.0.$((10 + $1))"; }
root_mgmt_if()  { echo "povs-m$1"; }
root_ul_if()    { echo "povs-u$1"; }
root_trunk_if() { echo "povs-t$1"; }
sshd_pidfile()  { echo "$LAB_DIR/h$1/ssh/sshd.pid"; }

# --- Logging ------------------------------------------------------------------
log()  { printf '[lab] %s\n' "$*" >&2; }
warn() { printf '[lab] warning: %s\n' "$*" >&2; }
die()  { printf '[lab] error: %s\n' "$*" >&2; exit 1; }

require_root() {
    [[ "$(id -u)" == 0 ]] || die "must run as root (the lab creates namespaces, veths and daemons)"
}

# "hN" or "N" -> N; dies on anything else.
parse_host() {
    local h="$1"
    h="${h#h}"
    [[ "$h" =~ ^[0-9]+$ ]] && ((h >= 1 && h <= LAB_MAX_HOSTS)) || die "bad host '$1' (expected h1..h$LAB_MAX_HOSTS)"
    echo "$h"
}

# Is PID a live process? Zombies count as dead: PID 1 of some sandboxes (this
# one included) reaps orphans only every few seconds.
pid_running() {
    local stat
    stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
    stat="${stat##*) }"
    [[ -n "$stat" && "${stat:0:1}" != Z && "${stat:0:1}" != X ]]
}

# Is the process in PIDFILE alive and its command line contains WORD?
# (The WORD check avoids trusting a stale pidfile whose pid got reused.)
pidfile_alive() {
    local pidfile="$1" word="$2" pid
    [[ -r "$pidfile" ]] || return 1
    pid="$(tr -dc '0-9' <"$pidfile" 2>/dev/null)" || return 1
    [[ -n "$pid" ]] && pid_running "$pid" || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$word"
}

pidfile_pid() { tr -dc '0-9' <"$1" 2>/dev/null || true; }

# Run a command inside host I's network namespace (root mount namespace view,
# with OVS pointed at the host's private run dir via env vars).
in_netns() {
    local i="$1"
    shift
    ip netns exec "$(host_netns "$i")" "$@"
}

# ovs-vsctl against host I's ovsdb, from the root namespace.
host_vsctl() {
    local i="$1"
    shift
    OVS_RUNDIR="$(host_run "$i")" ovs-vsctl --db="unix:$(host_run "$i")/db.sock" --timeout=10 "$@"
}

# Wait until CMD... succeeds, polling every 0.1 s for at most SECONDS.
wait_for() {
    local seconds="$1"
    shift
    local tries=$((seconds * 10))
    while ((tries-- > 0)); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 0.1
    done
    return 1
}

# Take the lab-wide lock (fd 9; every daemon we start gets `9>&-` so none of
# them keeps holding it) so concurrent up/down calls (e.g. parallel test
# workers) serialize instead of tearing each other's state apart.
lab_lock() {
    mkdir -p "$LAB_DIR"
    exec 9>"$LAB_DIR/.lock"
    flock -w 900 9 || die "could not take $LAB_DIR/.lock"
}
