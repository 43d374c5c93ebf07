#!/usr/bin/env bash
# The one test command (README, `npm test`, .ci/run): bootstraps a fresh machine as root, then runs
# unit tests, lab integration tests (real OVS, sshd, docker) and engine end-to-end tests (real Pulumi CLI).
# The lab is torn down at the end, even on failure. Prints "N passed, N failed" as its last line.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT="$ROOT/.cache/test-results"
log() { printf '\n==> %s\n' "$*" >&2; }

if [ "$(id -u)" != 0 ]; then
  echo "npm test needs root (it builds network namespaces and OVS daemons): run it as root or with sudo" >&2
  exit 1
fi

log "system packages"
bash scripts/lab/setup.sh

log "node modules"
bash scripts/ensure-node-modules.sh

log "typecheck and build"
npx tsc -p tsconfig.json --noEmit
npm run -s build

log "Pulumi CLI (cached outside the checkout)"
PATH="$(bash scripts/pulumi-cli.sh):$PATH"
export PATH

rm -rf "$OUT" && mkdir -p "$OUT"
status=0
run_jest() { # project [extra args]
  local project=$1; shift
  log "jest: $project tests"
  NODE_OPTIONS=--experimental-vm-modules npx jest --selectProjects "$project" --passWithNoTests --json --outputFile="$OUT/$project.json" "$@" || status=1
}

run_jest unit
if [ "${POVS_SKIP_LAB:-}" != 1 ]; then
  [ "${POVS_KEEP_LAB:-}" = 1 ] || trap 'log "lab down"; bash scripts/lab/lab.sh down || true' EXIT
  log "lab up"
  bash scripts/lab/lab.sh up --hosts "${POVS_LAB_HOSTS:-3}"
  run_jest lab --runInBand
  run_jest e2e --runInBand
fi

if [ "${POVS_SKIP_LAB:-}" != 1 ] && [ "${POVS_KEEP_LAB:-}" != 1 ]; then
  trap - EXIT
  log "lab down, then nothing of the lab may remain"
  bash scripts/lab/lab.sh down
  leftovers=$( { ip netns list | grep -E '^povs-' || true; ip -o link show | grep -oE 'povs-[a-z0-9]+' || true;
    pgrep -af 'pulumi-ovs-lab' || true; grep pulumi-ovs-lab /proc/mounts || true;
    docker ps -aq --filter label=pulumi-ovs.lab 2>/dev/null || true; } )
  if [ -n "$leftovers" ]; then echo "lab:down left this behind:"; echo "$leftovers"; status=1; else echo "lab:down left nothing behind"; fi
fi

node scripts/summarize-jest.js "$OUT"/*.json || status=1
exit $status
