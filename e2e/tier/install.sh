#!/usr/bin/env bash
# Installs moto (S3-compatible server, pinned in e2e/tier/requirements.txt) from PyPI into a venv outside the
# repository, for the tiered-storage e2e suites and bench/tier.ts. Skipped when the venv already has exactly
# these requirements (a stamp file holds a hash of requirements.txt). Prints the venv's moto_server path last.
# Override the location with STRATA_MOTO_VENV.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
req="$here/requirements.txt"
venv="${STRATA_MOTO_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/strata-test-peers/moto-venv}"
stamp="$venv/.strata-requirements.sha256"
want="$(sha256sum "$req" | cut -d' ' -f1)"
if [[ -x "$venv/bin/moto_server" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  echo "e2e/tier: moto already installed in $venv" >&2
  echo "$venv/bin/moto_server"
  exit 0
fi
py="${PYTHON:-$(command -v python3 || true)}"
[[ -n "$py" ]] || { echo "e2e/tier/install.sh: python3 (3.9+) is required" >&2; exit 1; }
if [[ ! -x "$venv/bin/python" ]]; then
  mkdir -p "$(dirname "$venv")"
  "$py" -m venv "$venv" || { echo "e2e/tier/install.sh: python3 -m venv failed (Debian: apt-get install python3-venv)" >&2; exit 1; }
fi
"$venv/bin/python" -m pip install -q --disable-pip-version-check --no-input -r "$req" >&2
"$venv/bin/moto_server" --help >/dev/null
echo "$want" > "$stamp"
echo "e2e/tier: moto installed in $venv" >&2
echo "$venv/bin/moto_server"
