#!/usr/bin/env bash
# `npm run bench:safe-apply`: what connection.rollbackAfter adds to a round trip that changes a host (a spare lab host).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/prepare.sh
npx tsc -p bench/tsconfig.json
node .cache/bench/build/bench/safe-apply.js "$@"
