#!/usr/bin/env bash
# A private PostgreSQL server used as a Pulumi state backend by the e2e tests.
#
# Usage:  URL="$(bash scripts/postgres.sh start)"   # then: pulumi login "$URL"
#         bash scripts/postgres.sh url                # print the URL again
#         bash scripts/postgres.sh stop
#
# The only line on stdout (start, url) is the backend URL; progress goes to
# stderr.
#
# Why a private cluster instead of Debian's "main" one: it lives in the cache
# dir (outside the checkout), listens on 127.0.0.1 only at a port of our own,
# has its unix socket in a private dir, and the tests can start and stop it
# without touching whatever else the machine runs.
#
# What Pulumi v3.248.0 needs (pkg/backend/diy/postgres/{bucket,backend}.go):
#   - scheme exactly "postgres://" ("postgresql://" is not registered);
#   - the URL is handed to lib/pq v1.12.0 (default sslmode=prefer); our server
#     has no TLS, so we say sslmode=disable to skip the TLS attempt;
#   - the CLI itself runs CREATE TABLE IF NOT EXISTS pulumi_state (name
#     changeable with ?table=), so the role only needs CREATE in its database's
#     public schema: we make it the database owner (PG 15 no longer grants
#     CREATE on public to everyone);
#   - the URL path (/pulumi) also becomes a key prefix: keys are stored as
#     "pulumi/.pulumi/...".
#
# Environment:
#   PULUMI_OVS_CACHE  cache root (default /var/cache/pulumi-ovs)
#   POVS_PG_PORT      TCP port on 127.0.0.1 (default 55432)
set -euo pipefail
[[ $(id -u) -eq 0 ]] || { echo "postgres: error: must run as root" >&2; exit 1; }

root="${PULUMI_OVS_CACHE:-/var/cache/pulumi-ovs}/postgres"
data="$root/data"     # the cluster, created by initdb
run="$root/run"       # unix socket dir (private, not /var/run/postgresql)
logfile="$root/log/postgres.log" # in a dir the postgres user can write
pwfile="$root/password" # role password, generated once, root-only
port="${POVS_PG_PORT:-55432}"
role=pulumi
db=pulumi

log() { printf 'postgres: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# initdb and postgres refuse to run as root: run them as Debian's postgres
# user, from / (our cwd may not be readable by it), without our lock fd 9
# (else the server would inherit it and hold the lock for its lifetime).
as_pg() { (cd / && runuser -u postgres -- "$@" 9>&-); }

# Newest installed server version's bin dir (Debian: /usr/lib/postgresql/N/bin).
bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

url() {
	[[ -s "$pwfile" ]] || die "no $pwfile: run '$0 start' first"
	printf 'postgres://%s:%s@127.0.0.1:%s/%s?sslmode=disable\n' "$role" "$(cat "$pwfile")" "$port" "$db"
}

install_postgres() {
	local bin
	bin="$(bindir)"
	[[ -n "$bin" && -x "$bin/initdb" && -x "$bin/pg_ctl" ]] && command -v psql >/dev/null && return
	log "installing Debian's postgresql"
	apt-get update -qq >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >&2
	# The package creates a default cluster ("main", port 5432) and asks
	# invoke-rc.d to start it; policy-rc.d usually denies that in containers,
	# but where it does not, stop it: we only want our own cluster.
	local ver name _
	while read -r ver name _; do
		log "stopping Debian's default cluster $ver/$name"
		pg_ctlcluster "$ver" "$name" stop >&2 || true
	done < <(pg_lsclusters -h 2>/dev/null | awk '$4 ~ /^online/')
}

start() {
	install_postgres
	local bin
	bin="$(bindir)"
	mkdir -p "$root"
	# Serialize concurrent starts (parallel test jobs).
	exec 9>"$root/.lock"
	flock 9

	if [[ ! -s "$pwfile" ]]; then
		(umask 077; head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$pwfile.tmp")
		mv -f "$pwfile.tmp" "$pwfile"
	fi
	if [[ ! -s "$data/PG_VERSION" ]]; then
		log "creating cluster in $data"
		install -d -m 0700 -o postgres -g postgres "$data"
		# peer auth on the socket (for the superuser below), passwords over TCP.
		as_pg "$bin/initdb" -D "$data" --no-locale -E UTF8 -U postgres \
			--auth-local=peer --auth-host=scram-sha-256 >/dev/null
	fi
	install -d -m 0700 -o postgres -g postgres "$run" "$root/log"

	if as_pg "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
		# Line 4 of postmaster.pid is the port the running server listens on.
		[[ "$(sed -n 4p "$data/postmaster.pid")" == "$port" ]] ||
			die "already running on port $(sed -n 4p "$data/postmaster.pid"), not $port"
		log "already running on 127.0.0.1:$port"
	else
		log "starting on 127.0.0.1:$port"
		# -w waits until the server accepts connections.
		as_pg "$bin/pg_ctl" -D "$data" -l "$logfile" -w -t 60 \
			-o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$run" \
			start >/dev/null || { tail -n 20 "$logfile" >&2; die "pg_ctl start failed"; }
	fi

	# Role and database for Pulumi, idempotently; the password is (re)set
	# from $pwfile every time so the URL always matches (and goes in on
	# stdin, not argv).
	{ printf '\\set pw %s\n' "$(cat "$pwfile")"; cat; } <<-'SQL' |
		SELECT format('CREATE ROLE %I LOGIN', :'role')
		 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
		ALTER ROLE :"role" WITH LOGIN PASSWORD :'pw';
		SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'role')
		 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec
	SQL
		as_pg psql -X -q -v ON_ERROR_STOP=1 -h "$run" -p "$port" -U postgres -d postgres \
			-v role="$role" -v db="$db" >&2
	url
}

stop() {
	local bin
	bin="$(bindir)"
	if [[ -n "$bin" && -s "$data/PG_VERSION" ]] &&
		as_pg "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
		local pid i
		pid="$(head -n 1 "$data/postmaster.pid")"
		log "stopping (pid $pid)"
		# fast: roll back open transactions and disconnect clients; -w waits
		# until the postmaster (and thus every backend) has exited.
		as_pg "$bin/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null
		# The postmaster was reparented to pid 1: wait until it is reaped too,
		# so that no (zombie) postgres process is left behind.
		for ((i = 0; i < 100 && ${#pid} > 0; i++)); do
			[[ -e /proc/$pid ]] || break
			sleep 0.1
		done
	else
		log "not running"
	fi
}

case "${1:-}" in
start) start ;;
stop) stop ;;
url) url ;;
*) die "usage: $0 start|stop|url" ;;
esac
