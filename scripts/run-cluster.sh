#!/usr/bin/env bash
# `make run-cluster`: a local 3-broker Strata cluster from the built tree (npm run build). Broker <id> (1..3)
# listens on localhost:909<id+1> with metrics on localhost:964<id+3>, keeps its logs in ./data/broker-<id>, and
# all three share the embedded local object store ./data/object-store (metadata log, controller lease, tiered
# segments) and so form one cluster. Every log line is prefixed with its broker id; Ctrl-C stops all three.
#
#   scripts/run-cluster.sh [extra broker flags…]     e.g. --log-level debug
#   scripts/run-cluster.sh --only 2 [flags…]         start just broker 2 (to restart one you killed)
#
# Any broker can also be started by hand with the same flags (see `make run-cluster` in README.md).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BROKERS=${STRATA_CLUSTER_BROKERS:-3}
only=""
if [[ "${1:-}" == "--only" ]]; then
  only="$2"
  shift 2
fi
[[ -f dist/broker/src/main.js ]] || { echo "dist/broker/src/main.js is missing: run make build first" >&2; exit 1; }
mkdir -p data/object-store

pids=()
stop_all() {
  trap - INT TERM
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait
}
trap stop_all INT TERM

for id in $(seq 1 "$BROKERS"); do
  [[ -n "$only" && "$only" != "$id" ]] && continue
  mkdir -p "data/broker-$id"
  # sed prefixes each line (stdout and stderr) with the broker id; $! is the broker itself, so Ctrl-C (or a
  # SIGTERM to this script) reaches every broker as SIGTERM: a controlled shutdown.
  broker/bin/strata \
    --node-id "$id" \
    --port $((9091 + id)) --advertised-host localhost \
    --metrics-port $((9643 + id)) \
    --data-dir "data/broker-$id" \
    --object-store-dir data/object-store \
    --default-replication-factor "$(( BROKERS < 3 ? BROKERS : 3 ))" \
    --log-format text \
    "$@" > >(sed -u "s/^/[broker-$id] /") 2>&1 &
  pids+=("$!")
done
wait
