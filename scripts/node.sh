#!/usr/bin/env bash
# Makes sure a Node.js >= 24 (the LTS Strata runs on) is available and prints the directory holding its `node`
# binary, for callers to put first on PATH (the Makefile, .ci/run and broker/bin/strata do).
#   - the `node` already on PATH is used when it is Node >= 24;
#   - otherwise the pinned Node below is installed once from the npm registry package node-linux-<arch> (the
#     official Linux build; its bin/node runs as is) into ${XDG_CACHE_HOME:-~/.cache}/strata/, verified against
#     the pinned sha512, and reused afterwards. Downloading uses the `npm` already present (any Node >= 18's npm).
# Messages go to stderr; stdout is only the directory. Override the cache with STRATA_NODE_CACHE.
set -euo pipefail

NODE_VERSION=24.22.3
MIN_MAJOR=24
# npm "integrity" (sha512, base64) of node-linux-<arch>@$NODE_VERSION, as published in the registry.
declare -A INTEGRITY=(
  [x64]='sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA=='
  [arm64]='sha512-IZx0J52/1NDwAsY2iyWR9nlPIYuYviTWetjj8+ElvYQh2+XRhLfCfkbFEF/2O5vGI2hcUbyPNHV+nz342FbJXw=='
)

fail() { echo "scripts/node.sh: $*" >&2; exit 1; }
major_of() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if current="$(command -v node)" && [[ "$(major_of "$current")" -ge $MIN_MAJOR ]]; then
  dirname "$current"
  exit 0
fi

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) arch=x64 ;;
  Linux-aarch64 | Linux-arm64) arch=arm64 ;;
  *) fail "Node >= $MIN_MAJOR is required; install it from https://nodejs.org (no npm package for $(uname -s)-$(uname -m))" ;;
esac
pkg="node-linux-$arch"
dir="${STRATA_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/strata}/node-v$NODE_VERSION-linux-$arch"

if [[ ! -x "$dir/bin/node" ]]; then
  command -v npm >/dev/null 2>&1 || fail "Node >= $MIN_MAJOR is required and npm (to download it) is missing; install Node $MIN_MAJOR from https://nodejs.org"
  echo "scripts/node.sh: installing Node $NODE_VERSION ($pkg from the npm registry) into $dir" >&2
  mkdir -p "$(dirname "$dir")"
  tmp="$(mktemp -d "$dir.tmp.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "$pkg@$NODE_VERSION" >/dev/null) || fail "downloading $pkg@$NODE_VERSION failed"
  tgz="$tmp/$pkg-$NODE_VERSION.tgz"
  got="sha512-$(node -e 'process.stdout.write(require("crypto").createHash("sha512").update(require("fs").readFileSync(process.argv[1])).digest("base64"))' "$tgz")"
  [[ "$got" == "${INTEGRITY[$arch]}" ]] || fail "$pkg@$NODE_VERSION: checksum mismatch (got $got)"
  tar -xzf "$tgz" -C "$tmp" && mv "$tmp/package" "$tmp/node"
  [[ "$("$tmp/node/bin/node" --version)" == "v$NODE_VERSION" ]] || fail "the downloaded node does not run on this machine"
  # Another make may have installed it meanwhile: keep whichever landed first.
  mv -T "$tmp/node" "$dir" 2>/dev/null || [[ -x "$dir/bin/node" ]] || fail "could not install into $dir"
fi
echo "$dir/bin"
