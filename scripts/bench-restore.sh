#!/usr/bin/env bash
# `npm run bench:restore`: time from the start of the reboot restore to the demo's matrix passing (bench/restore.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/prepare.sh
npx tsc -p bench/tsconfig.json
node .cache/bench/build/bench/restore.js "$@"
