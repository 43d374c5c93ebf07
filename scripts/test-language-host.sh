#!/usr/bin/env bash
# Provide a minimal, test-only Node.js language host (`pulumi-language-nodejs`)
# in a cache directory outside the checkout, so that tests can run
# `pulumi preview/up/refresh/destroy` through the real Pulumi CLI.
#
# Usage:  PATH="$(bash scripts/test-language-host.sh):$(bash scripts/pulumi-cli.sh):$PATH"
#
# The only line on stdout is the bin directory; all progress goes to stderr.
#
# Why: the official host's Go module is not served by the Go module proxy we
# can reach, so tools/pulumi-cli/langhost/main.go (inside the module that pins
# the CLI's dependencies) implements the subset of it that our tests need; see
# the comment at the top of that file. It is a test tool, never shipped.
#
# The binary goes to <cache>/language-host/<hash>/pulumi-language-nodejs, where
# <hash> is the first 16 hex digits of the sha256 of main.go, go.mod and go.sum:
# a changed source gets a new directory, an unchanged one is reused as is.
# A cold build takes about a minute when the Go build cache is warm from
# scripts/pulumi-cli.sh (it shares its dependencies), longer otherwise.
#
# Environment:
#   PULUMI_OVS_CACHE  cache root (default /var/cache/pulumi-ovs)
#   GO                go binary (default: `go` on PATH, else /usr/local/go/bin/go)
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
module_dir="$(cd "$script_dir/../tools/pulumi-cli" && pwd)"
source_file="$module_dir/langhost/main.go"
binary_name=pulumi-language-nodejs

log() { printf 'test-language-host: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

for f in "$source_file" "$module_dir/go.mod" "$module_dir/go.sum"; do
	[[ -f "$f" ]] || die "missing $f"
done

hash="$(cat "$source_file" "$module_dir/go.mod" "$module_dir/go.sum" | sha256sum | cut -c1-16)"
cache_root="${PULUMI_OVS_CACHE:-/var/cache/pulumi-ovs}/language-host"
cache_dir="$cache_root/$hash"
target="$cache_dir/$binary_name"

# Prints the version reported by the given binary (empty on failure).
version_of() { "$1" -version 2>/dev/null | tr -d '[:space:]' || true; }

if [[ -x "$target" && -n "$(version_of "$target")" ]]; then
	printf '%s\n' "$cache_dir"
	exit 0
fi

mkdir -p "$cache_dir"

# Serialize concurrent runs on the same cache.
if command -v flock >/dev/null 2>&1; then
	exec 9>"$cache_root/.lock"
	if ! flock -n 9; then
		log "waiting for another run holding $cache_root/.lock"
		flock 9
	fi
fi

tmp="$cache_dir/.$binary_name.tmp.$$"
trap 'rm -f -- "$tmp"' EXIT

# shellcheck source=find-go.sh
source "$(dirname "${BASH_SOURCE[0]}")/find-go.sh"

# Another run may have built it while we waited for the lock.
if ! [[ -x "$target" && -n "$(version_of "$target")" ]]; then
	go_bin="$(find_go)"
	rm -f -- "$cache_dir"/."$binary_name".tmp.* # leftovers of interrupted builds
	log "building $binary_name ($("$go_bin" version)) into $cache_dir"
	start=$SECONDS
	(
		cd "$module_dir"
		# -mod=readonly on the command line overrides any GOFLAGS=-mod=mod:
		# go.sum is complete, so the build never needs the checksum database.
		GOWORK=off CGO_ENABLED=0 "$go_bin" build \
			-mod=readonly -buildvcs=false -trimpath \
			-o "$tmp" ./langhost
	) || die "go build failed"
	[[ -n "$(version_of "$tmp")" ]] || die "built binary does not answer -version"
	chmod 0755 "$tmp"
	mv -fT -- "$tmp" "$target"
	log "built $target in $((SECONDS - start)) s"
fi

printf '%s\n' "$cache_dir"
