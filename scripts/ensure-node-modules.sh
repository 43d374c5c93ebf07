#!/usr/bin/env bash
# npm ci only when node_modules is missing or older than the lockfile (idempotent, fast when nothing changed).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
