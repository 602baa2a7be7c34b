#!/usr/bin/env bash
# Stops what start-apiserver.sh started in DIR (the folder holding its kubeconfig) and removes DIR.
set -uo pipefail
DIR="${1:?usage: stop-apiserver.sh DIR, the folder holding the kubeconfig}"
for p in apiserver etcd; do
  f="$DIR/$p.pid"
  [[ -f "$f" ]] || continue
  pid="$(cat "$f")"
  kill "$pid" 2>/dev/null
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null
  rm -f "$f"
done
[[ "${KEEP_STATE:-0}" == 1 ]] || rm -rf "$DIR"
