#!/usr/bin/env bash
# Install node modules only when node_modules is missing or older than the lockfile (idempotent, fast when
# nothing changed). `npm ci` first; npm 11 writes lockfiles without the other platforms' optional packages
# (e.g. @unrs/resolver-binding-*) and then its own `npm ci` calls them "missing", so fall back to `npm install`,
# which keeps every locked version.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund || npm install --no-audit --no-fund
fi
