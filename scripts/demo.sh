#!/usr/bin/env bash
# `npm run demo`: on a fresh machine as root, build everything, bring up a local lab, deploy the root
# stack (the seed 004 topology) through the real Pulumi engine and prove it with pings and TCP.
# `npm run demo -- --destroy` removes the stack (the lab stays: `npm run lab:down`).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/prepare.sh
npx tsc -p tsconfig.scripts.json
node .cache/scripts/scripts/demo.js "$@"
