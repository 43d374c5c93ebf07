#!/usr/bin/env bash
# `npm run example -- NAME`: run one example alone on the lab, through the real engine, with its packet proofs
# (test/e2e/examples/NAME.test.ts). Sets up what is missing first, like `npm test`.
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:?usage: npm run example -- NAME   (see examples/README.md)}
[ -f "test/e2e/examples/$name.test.ts" ] || { echo "no example test test/e2e/examples/$name.test.ts" >&2; exit 1; }
source scripts/prepare.sh
NODE_OPTIONS=--experimental-vm-modules npx jest --selectProjects e2e --testPathPatterns "e2e/examples/$name\\.test" --runInBand
