#!/usr/bin/env bash
# `npm run example -- NAME`: run one example alone on the lab, through the real engine, with its packet proofs
# (test/e2e/examples/NAME.test.ts). Sets up what is missing first, like `npm test`.
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:?usage: npm run example -- NAME   (see examples/README.md)}
[ -f "test/e2e/examples/$name.test.ts" ] || { echo "no example test test/e2e/examples/$name.test.ts" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "needs root (network namespaces, OVS daemons)" >&2; exit 1; }
bash scripts/lab/setup.sh
bash scripts/ensure-node-modules.sh
npm run -s build
PATH="$(bash scripts/pulumi-cli.sh):$PATH"
export PATH
bash scripts/lab/lab.sh up --hosts "${POVS_LAB_HOSTS:-3}"
NODE_OPTIONS=--experimental-vm-modules npx jest --selectProjects e2e --testPathPatterns "e2e/examples/$name\\.test" --runInBand
