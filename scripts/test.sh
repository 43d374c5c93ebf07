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

# set -e stops the run here: a public class, Args field or output without TSDoc (or a broken link) is a failure.
log "API reference (TypeDoc, warnings fail)"
npm run -s docs

log "Pulumi CLI and the test Node language host (cached outside the checkout)"
PATH="$(bash scripts/test-language-host.sh):$(bash scripts/pulumi-cli.sh):$PATH"
export PATH

rm -rf "$OUT" && mkdir -p "$OUT"
status=0
ran=()
# A hang must fail the run, never outlast CI: each project has a hard limit (timeout signals jest's whole process
# group: the Pulumi CLI and provider processes it started too), and --forceExit ends jest even if a test left a
# handle open. Limits are minutes, several times what a project takes on a 2-core machine.
run_jest() { # project minutes [extra args]
  local project=$1 minutes=$2; shift 2
  log "jest: $project tests (at most $minutes min)"
  ran+=("$OUT/$project.json")
  local rc=0
  NODE_OPTIONS=--experimental-vm-modules timeout -k 30 "${minutes}m" npx jest --selectProjects "$project" --passWithNoTests \
    --forceExit --json --outputFile="$OUT/$project.json" "$@" || rc=$?
  [ "$rc" = 124 ] && echo "jest: $project tests did not finish within $minutes minutes: stopped" >&2
  [ "$rc" = 0 ] || status=1
}

run_jest unit 10
if [ "${POVS_SKIP_LAB:-}" != 1 ]; then
  [ "${POVS_KEEP_LAB:-}" = 1 ] || trap 'log "lab down"; bash scripts/lab/lab.sh down || true' EXIT
  log "lab up"
  bash scripts/lab/lab.sh up --hosts "${POVS_LAB_HOSTS:-3}"
  run_jest lab 15 --runInBand
  run_jest e2e 35 --runInBand
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

node scripts/summarize-jest.js "${ran[@]}" || status=1
exit $status
