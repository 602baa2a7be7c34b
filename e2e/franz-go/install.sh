#!/usr/bin/env bash
# Builds franz-go's kgo integration-test binary (github.com/twmb/franz-go v1.22.3, from the Go module proxy) in a
# throw-away module outside the repository, for e2e/franz-go-txn.test.ts. Skipped when the binary for this version
# is already there. Prints the binary's path last. Override the location with STRATA_FRANZ_GO_DIR.
set -euo pipefail
version="v1.22.3"
dir="${STRATA_FRANZ_GO_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/strata-test-peers/franz-go}"
bin="$dir/kgo-$version.test"
if [[ -x "$bin" ]]; then
  echo "e2e/franz-go: $bin already built" >&2
  echo "$bin"
  exit 0
fi
command -v go >/dev/null || { echo "e2e/franz-go/install.sh: go (1.23+) is required" >&2; exit 1; }
mkdir -p "$dir"
cd "$dir"
[[ -f go.mod ]] || go mod init strata-franz-go-tests >&2
go get "github.com/twmb/franz-go@$version" "github.com/twmb/franz-go/pkg/kgo@$version" >&2
go test -c -o "$bin.tmp" github.com/twmb/franz-go/pkg/kgo >&2
mv "$bin.tmp" "$bin"
echo "e2e/franz-go: built $bin" >&2
echo "$bin"
