#!/usr/bin/env bash
# Provide a Pulumi CLI of a pinned version, plus the Node.js dynamic-provider
# launcher, in a cache directory outside the checkout.
#
# Usage:  PATH="$(bash scripts/pulumi-cli.sh):$PATH"
#
# The only line on stdout is the bin directory; all progress goes to stderr.
#
# Why: the `pulumi` npm package downloads a release binary at install time,
# which needs network access we do not always have. The CLI is therefore built
# from Go modules (the Go module proxy is enough), using the tiny module in
# tools/pulumi-cli/ whose go.sum pins every dependency.
#
# Resolution order:
#   1. the cache already holds a working pulumi of PULUMI_VERSION -> use it;
#   2. a pulumi of exactly PULUMI_VERSION is on PATH -> symlink it into the
#      cache dir;
#   3. otherwise build it with Go (cold: a minute of downloads plus ~5 minutes
#      of compiling on 2 cores; ~160 MB binary).
# In all cases the dynamic-provider launcher `pulumi-resource-pulumi-nodejs`
# is (re)written into the cache dir, so the one PATH entry covers both.
#
# Environment:
#   PULUMI_OVS_CACHE  cache root (default /var/cache/pulumi-ovs)
#   GO                go binary (default: `go` on PATH, else /usr/local/go/bin/go)
# Needs: go >= 1.25 (or GOTOOLCHAIN=auto with access to the Go module proxy).
#
# Note: the Node language host (pulumi-language-nodejs) is not built here;
# its module is not available from the proxy.
set -euo pipefail

PULUMI_VERSION=v3.248.0

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
module_dir="$(cd "$script_dir/../tools/pulumi-cli" && pwd)"
cache_dir="${PULUMI_OVS_CACHE:-/var/cache/pulumi-ovs}/pulumi-cli/${PULUMI_VERSION}"
launcher_name=pulumi-resource-pulumi-nodejs

log() { printf 'pulumi-cli: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Prints the version reported by the given pulumi binary (empty on failure).
pulumi_version_of() {
	PULUMI_SKIP_UPDATE_CHECK=true "$1" version 2>/dev/null | tr -d '[:space:]' || true
}

mkdir -p "$cache_dir"

# Serialize concurrent runs (e.g. parallel CI jobs) on the same cache.
if command -v flock >/dev/null 2>&1; then
	exec 9>"$cache_dir/.lock"
	if ! flock -n 9; then
		log "waiting for another run holding $cache_dir/.lock"
		flock 9
	fi
fi

tmp_files=()
cleanup() {
	local f
	for f in "${tmp_files[@]+"${tmp_files[@]}"}"; do
		rm -f -- "$f"
	done
}
trap cleanup EXIT

# The launcher the engine runs for `new pulumi.dynamic.Resource(...)`. The
# engine starts it in the Pulumi program's working directory, so the relative
# node_modules path resolves to the program's @pulumi/pulumi.
ensure_launcher() {
	local target="$cache_dir/$launcher_name"
	local content
	content='#!/bin/sh
exec node ./node_modules/@pulumi/pulumi/cmd/dynamic-provider "$@"'
	if [[ -f "$target" && -x "$target" && "$(cat "$target")" == "$content" ]]; then
		return
	fi
	local tmp="$cache_dir/.$launcher_name.tmp.$$"
	tmp_files+=("$tmp")
	printf '%s\n' "$content" >"$tmp"
	chmod 0755 "$tmp"
	mv -fT -- "$tmp" "$target"
	log "wrote $target"
}

# shellcheck source=find-go.sh
source "$(dirname "${BASH_SOURCE[0]}")/find-go.sh"

build_pulumi() {
	local go_bin
	go_bin="$(find_go)"
	[[ -f "$module_dir/go.mod" && -f "$module_dir/go.sum" ]] ||
		die "missing $module_dir/go.mod or go.sum"

	local tmp="$cache_dir/.pulumi.tmp.$$"
	tmp_files+=("$tmp")
	rm -f -- "$cache_dir"/.pulumi.tmp.* # leftovers of interrupted builds

	log "building pulumi $PULUMI_VERSION from Go modules ($("$go_bin" version))"
	log "  module: $module_dir"
	log "  output: $cache_dir/pulumi"
	log "  a cold build downloads ~250 modules and compiles for several minutes"
	log "  (about 5-6 min on 2 cores); later runs reuse the Go build cache"
	local start=$SECONDS
	(
		cd "$module_dir"
		# -mod=readonly on the command line overrides any GOFLAGS=-mod=mod:
		# go.sum is complete, so the build never needs the checksum database
		# (which has no entry for pkg/v3@v3.248.0 anyway).
		GOWORK=off CGO_ENABLED=0 "$go_bin" build \
			-mod=readonly -buildvcs=false -trimpath \
			-ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=${PULUMI_VERSION}" \
			-o "$tmp" \
			github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
	) || die "go build failed"

	local got
	got="$(pulumi_version_of "$tmp")"
	[[ "$got" == "$PULUMI_VERSION" ]] ||
		die "built binary reports version '$got', expected $PULUMI_VERSION"
	chmod 0755 "$tmp"
	mv -fT -- "$tmp" "$cache_dir/pulumi"
	log "built $cache_dir/pulumi in $((SECONDS - start)) s"
}

if [[ -x "$cache_dir/pulumi" && "$(pulumi_version_of "$cache_dir/pulumi")" == "$PULUMI_VERSION" ]]; then
	: # cached
elif path_pulumi="$(command -v pulumi 2>/dev/null)" &&
	[[ "$(pulumi_version_of "$path_pulumi")" == "$PULUMI_VERSION" ]]; then
	path_pulumi="$(readlink -f -- "$path_pulumi")"
	log "using $path_pulumi (already $PULUMI_VERSION); linking it into $cache_dir"
	tmp_link="$cache_dir/.pulumi.link.$$"
	tmp_files+=("$tmp_link")
	ln -sfn -- "$path_pulumi" "$tmp_link"
	mv -fT -- "$tmp_link" "$cache_dir/pulumi"
else
	build_pulumi
fi

ensure_launcher
printf '%s\n' "$cache_dir"
