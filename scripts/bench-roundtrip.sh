#!/usr/bin/env bash
# `npm run bench:roundtrip`: the cost of one round trip to a lab host, long-lived shell vs exec channel + sudo.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/prepare.sh
npx tsc -p bench/tsconfig.json
node .cache/bench/build/bench/roundtrip.js "$@"
