# Sourced by demo.sh, example.sh and bench.sh: on a fresh machine as root, install what is missing (Debian
# packages, node modules, the Pulumi CLI), build, and bring up the lab. Every step is idempotent.
[ "$(id -u)" = 0 ] || { echo "needs root (network namespaces, OVS daemons)" >&2; exit 1; }
bash scripts/lab/setup.sh
bash scripts/ensure-node-modules.sh
npm run -s build
PATH="$(bash scripts/test-language-host.sh):$(bash scripts/pulumi-cli.sh):$PATH"
export PATH
bash scripts/lab/lab.sh up --hosts "${POVS_LAB_HOSTS:-3}"
