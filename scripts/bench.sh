#!/usr/bin/env bash
# `npm run bench -- [flags]` (bench/run.ts lists them): on a fresh machine as root, set up what is missing and
# the lab, then measure the provider, naive mode and the engine floor through the real engine; then what safe
# apply (connection.rollbackAfter) adds per changed host per round trip, on a spare host (bench/safe-apply.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/prepare.sh
npx tsc -p bench/tsconfig.json
node .cache/bench/build/bench/run.js "$@"
node .cache/bench/build/bench/safe-apply.js
