#!/usr/bin/env bash
# Builds the container images of the e2e/k8s suite with podman/buildah, without any registry:
#   localhost/strata-base:<v>    Debian bookworm minbase (mmdebstrap) + the Node 24 of scripts/node.sh + uid/gid 1000
#   localhost/strata-build:<v>   the base + the machine's npm (the Dockerfiles' BUILD_IMAGE: their build stages run npm)
#   localhost/strata-pause:<v>   catatonit as /pause (containerd's sandbox image)
#   localhost/strata-kcat:<v>    the base + kcat (the client pod)
#   localhost/strata-broker:e2e, localhost/strata-operator:e2e   broker/Dockerfile and operator/Dockerfile on that base
# Image state lives in a cache outside the repository (podman storage under $CACHE/storage); the base, build,
# pause and kcat images are built once per recipe version, the Strata images on every run (layer cache helps).
# Usage: images.sh build              build (or reuse) every image, print the image names
#        images.sh import SOCKET      import them into the containerd at SOCKET (namespace k8s.io)
#        images.sh names              print the image names
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CACHE="${STRATA_IMAGES_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/strata-test-peers/images}"
mkdir -p "$CACHE/storage" "$CACHE/run" "$CACHE/tmp"

# Bump REV when a recipe below changes: the cached images are then rebuilt.
REV=1
DEBIAN_SUITE=bookworm
NODE_DIR="$(bash "$ROOT/scripts/node.sh")"
NODE_VERSION="$("$NODE_DIR/node" -p process.versions.node)"
TAG="node$NODE_VERSION-r$REV"
BASE="localhost/strata-base:$TAG"
BUILD="localhost/strata-build:$TAG"
PAUSE="localhost/strata-pause:r$REV"
KCAT="localhost/strata-kcat:$TAG"
BROKER="localhost/strata-broker:e2e"
OPERATOR="localhost/strata-operator:e2e"
# CA bundle npm in the build stages trusts: the host's (NODE_EXTRA_CA_CERTS when set), which may hold a proxy's CA.
HOST_CA="${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}"
ALL=("$PAUSE" "$KCAT" "$BROKER" "$OPERATOR")

# podman/buildah read the project's containers.conf and a storage.conf pointing into the cache; nothing under /etc.
export CONTAINERS_CONF="$HERE/containers.conf"
export CONTAINERS_STORAGE_CONF="$CACHE/storage.conf"
export TMPDIR="$CACHE/tmp"
cat > "$CONTAINERS_STORAGE_CONF" <<CONF
[storage]
driver = "overlay"
graphroot = "$CACHE/storage"
runroot = "$CACHE/run"
CONF

log() { echo "[images $(date +%H:%M:%S)] $*" >&2; }
exists() { podman image exists "$1"; }

build_base() {
  exists "$BASE" && return
  local rootfs mirror
  rootfs="$(mktemp -d "$CACHE/tmp/rootfs.XXXXXX")"
  # The Debian mirror apt already uses (no other source is reachable on the test machines).
  mirror="$(sed -n 's/^URIs: *\(http[^ ]*debian\)\/*$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1)"
  mirror="${mirror:-http://deb.debian.org/debian}"
  log "base: mmdebstrap $DEBIAN_SUITE minbase from $mirror + node $NODE_VERSION"
  mmdebstrap --quiet --variant=minbase --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --customize-hook='chroot "$1" groupadd --gid 1000 node' \
    --customize-hook='chroot "$1" useradd --uid 1000 --gid 1000 --home-dir /home/node --create-home --shell /bin/sh node' \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*' \
    "$DEBIAN_SUITE" "$rootfs" "$mirror"
  # The official Linux build of Node needs only libc, libstdc++ and libgcc_s, which minbase has.
  install -m 0755 "$NODE_DIR/node" "$rootfs/usr/local/bin/node"
  tar -C "$rootfs" -c . | podman import --change 'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["node"]' - "$BASE" >/dev/null
  rm -rf "$rootfs"
}

# The machine's npm (the one the Makefile uses) on top of the base, for the Dockerfiles' build stages.
build_build() {
  exists "$BUILD" && return
  local npm_dir
  npm_dir="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")"   # …/node_modules/npm
  log "build image: base + npm $(npm --version) from $npm_dir"
  local ctr
  ctr="$(buildah from "$BASE")"
  buildah copy "$ctr" "$npm_dir" /usr/local/lib/node_modules/npm >/dev/null
  buildah run "$ctr" -- sh -c 'ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx'
  buildah commit --rm "$ctr" "$BUILD" >/dev/null
}

build_pause() {
  exists "$PAUSE" && return
  log "pause image: catatonit"
  local ctr
  ctr="$(buildah from scratch)"
  buildah copy "$ctr" "$(command -v catatonit)" /pause >/dev/null
  buildah config --entrypoint '["/pause","-P"]' --user 65535:65535 "$ctr"
  buildah commit --rm "$ctr" "$PAUSE" >/dev/null
}

build_kcat() {
  exists "$KCAT" && return
  log "kcat image: base + kcat (apt)"
  podman build --quiet --network host --build-arg BASE_IMAGE="$BASE" -t "$KCAT" -f "$HERE/kcat.Containerfile" "$HERE" >/dev/null
}

# Hash of everything a Strata image is built from (its Dockerfile, the package files and the SOURCES it
# copies): an image labelled with the same hash is not rebuilt (podman's layer cache still re-runs npm ci on
# these machines: minutes per image).
inputs_hash() { # DOCKERFILE SOURCES...
  local dockerfile="$1"; shift
  (cd "$ROOT" && { echo "$BASE $BUILD"; find "$dockerfile" "$dockerfile.dockerignore" package.json package-lock.json tsconfig.json "$@" \
    -type f -print0 | sort -z | xargs -0 sha256sum; } | sha256sum | cut -c1-32)
}

build_strata() { # IMAGE DOCKERFILE SOURCES...
  local hash
  hash="$(inputs_hash "${@:2}")"
  if exists "$1" && [[ "$(podman image inspect --format '{{index .Labels "strata.inputs"}}' "$1")" == "$hash" ]]; then
    log "$1 up to date"; return
  fi
  log "$1 from $2"
  # The host's npm cache as the build stages' cache, preferred over the registry (an npmrc of our own).
  printf 'prefer-offline=true\naudit=false\nfund=false\nupdate-notifier=false\n' > "$CACHE/npmrc"
  # On a cache miss npm goes to the registry, maybe through a TLS-inspecting proxy only the host's CA bundle
  # trusts (the build image has none): lend it that bundle.
  local ca=()
  if [[ -f "$HOST_CA" ]]; then
    echo "cafile=/etc/strata-host-ca.crt" >> "$CACHE/npmrc"
    ca=(-v "$HOST_CA:/etc/strata-host-ca.crt:ro")
  fi
  podman build --quiet --network host --layers --label "strata.inputs=$hash" \
    --build-arg BASE_IMAGE="$BASE" --build-arg BUILD_IMAGE="$BUILD" \
    -v "${npm_config_cache:-$HOME/.npm}:/root/.npm" -v "$CACHE/npmrc:/root/.npmrc:ro" "${ca[@]}" \
    --ignorefile "$ROOT/$2.dockerignore" -f "$ROOT/$2" -t "$1" "$ROOT" >/dev/null
}

case "${1:-build}" in
  build)
    build_base; build_build; build_pause; build_kcat
    build_strata "$BROKER" broker/Dockerfile broker/src
    # The operator image also ships the console and stratactl (and the admin library they share).
    build_strata "$OPERATOR" operator/Dockerfile broker/src operator/src admin console stratactl scripts/node.sh
    podman image prune -f >/dev/null   # superseded layers of earlier runs
    for i in "$BASE" "${ALL[@]}"; do log "$i $(podman image inspect --format '{{.Size}}' "$i" | numfmt --to=iec)"; done
    printf '%s\n' "${ALL[@]}"
    ;;
  import)
    sock="${2:?usage: images.sh import CONTAINERD_SOCKET}"
    # docker-archive keeps the image names; the kubelet then finds them without pulling.
    podman save --quiet --format docker-archive -m -o "$CACHE/tmp/images.tar" "${ALL[@]}"
    ctr --address "$sock" -n k8s.io images import --no-unpack=false "$CACHE/tmp/images.tar" >/dev/null
    rm -f "$CACHE/tmp/images.tar"
    ;;
  names) printf '%s\n' "${ALL[@]}" ;;
  *) echo "usage: images.sh build|import SOCKET|names" >&2; exit 2 ;;
esac
