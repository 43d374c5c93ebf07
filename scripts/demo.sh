#!/usr/bin/env bash
# `npm run demo`: on a fresh machine as root, build everything, bring up a local 2-host lab, deploy the root
# stack (the seed 004 topology) through the real Pulumi engine and prove it with pings and TCP.
# `npm run demo -- --destroy` removes the stack (the lab stays: `npm run lab:down`).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "the demo needs root (network namespaces, OVS daemons)" >&2; exit 1; }
bash scripts/lab/setup.sh
bash scripts/ensure-node-modules.sh
npm run -s build
npx tsc -p tsconfig.scripts.json
PATH="$(bash scripts/pulumi-cli.sh):$PATH"
export PATH
bash scripts/lab/lab.sh up --hosts "${POVS_LAB_HOSTS:-3}"
node .cache/scripts/scripts/demo.js "$@"
