#!/usr/bin/env bash
# `npm run bench:discover [HOST]`: how long `pulumi-ovs discover` takes on one host with 300 ports and 1,000 flows.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/prepare.sh
npx tsc -p bench/tsconfig.json
node .cache/bench/build/bench/discover.js "$@"
