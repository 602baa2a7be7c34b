#!/usr/bin/env bash
# Builds the Kubernetes test peers from the Go module proxy into a cache outside the repository:
#   etcd, kube-apiserver, kube-controller-manager, kubectl, helm  ->  ${XDG_CACHE_HOME:-$HOME/.cache}/strata-test-peers/kube/bin/
# (kube-controller-manager runs the garbage collector and StatefulSet controller in operator/e2e.)
# On request also kubelet, kube-scheduler, kube-proxy and CoreDNS: the real single-node cluster of e2e/k8s.
# Idempotent: a binary whose version stamp matches the pinned version is not rebuilt.
# Usage: build.sh [etcd|kube-apiserver|kubectl|kube-controller-manager|helm|kubelet|kube-scheduler|kube-proxy|coredns ...]
#        (default: the first five; `node` = kubelet kube-scheduler kube-proxy coredns)
# Env: KUBE_TOOLS_CACHE (cache root), GO_BUILD_JOBS (go build -p, default 1; GOFLAGS from the caller is replaced).
set -euo pipefail

# Pinned versions (all served by the Go module proxy).
ETCD_VERSION=v3.6.16      # go.etcd.io/etcd/server/v3
KUBE_VERSION=v1.36.3      # k8s.io/kubernetes; staging modules pinned to v0.36.3
HELM_VERSION=v3.22.0      # helm.sh/helm/v3
COREDNS_VERSION=v1.14.7   # github.com/coredns/coredns (cluster DNS of e2e/k8s: *.svc names inside pods)

CACHE="${KUBE_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/strata-test-peers/kube}"
BIN="$CACHE/bin"
WORK="$CACHE/work"
mkdir -p "$BIN" "$WORK"

command -v go >/dev/null || { echo "build.sh: go is not installed" >&2; exit 1; }
# -mod=mod lets `go build` record the requirements it resolves in the throw-away modules.
export GOFLAGS="-p=${GO_BUILD_JOBS:-1} -mod=mod -buildvcs=false"
export CGO_ENABLED=0
export GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"

log() { echo "[kube-tools $(date +%H:%M:%S)] $*"; }

# up_to_date NAME VERSION: the binary exists and was built from VERSION.
up_to_date() { [[ -x "$BIN/$1" && -f "$BIN/.$1.version" && "$(cat "$BIN/.$1.version")" == "$2" ]]; }

# install_bin NAME VERSION TMPFILE: move a freshly built binary into place, then stamp it.
install_bin() { chmod +x "$3"; mv -f "$3" "$BIN/$1"; echo "$2" > "$BIN/.$1.version"; log "built $BIN/$1 ($2)"; }

# new_module DIR: an empty throw-away module (main-module replaces of dependencies do not apply to us).
new_module() {
  mkdir -p "$1"
  if [[ ! -f "$1/go.mod" ]]; then (cd "$1" && go mod init strata.dev/kube-tools-build >/dev/null 2>&1); fi
}

build_etcd() {
  if up_to_date etcd "$ETCD_VERSION"; then log "etcd $ETCD_VERSION up to date"; return; fi
  local dir="$WORK/etcd-$ETCD_VERSION"
  new_module "$dir"
  log "building etcd $ETCD_VERSION"
  (cd "$dir" && go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" \
    && go build -trimpath -ldflags='-s -w' -o "$dir/etcd.tmp" go.etcd.io/etcd/server/v3)
  install_bin etcd "$ETCD_VERSION" "$dir/etcd.tmp"
}

# The throw-away module for k8s.io/kubernetes: require it and replace every staging module it
# replaces with a local directory by the published v0.Y.Z version of that module.
kube_module() {
  local dir="$WORK/kubernetes-$KUBE_VERSION"
  local staging="v0.${KUBE_VERSION#v1.}"
  if [[ -f "$dir/.ready" ]]; then echo "$dir"; return; fi
  new_module "$dir"
  local gomod
  gomod="$(go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')"
  [[ -f "$gomod" ]] || { echo "build.sh: cannot download k8s.io/kubernetes@$KUBE_VERSION" >&2; exit 1; }
  # Lines such as "k8s.io/api => ./staging/src/k8s.io/api", inside or outside a replace ( ) block.
  local mods
  mods="$(grep -Eo '^[[:space:]]*(replace[[:space:]]+)?k8s\.io/[A-Za-z0-9._/-]+[[:space:]]+=>[[:space:]]+\./staging/' "$gomod" \
    | sed -E 's/^[[:space:]]*(replace[[:space:]]+)?//; s/[[:space:]]+=>.*$//' | sort -u)"
  [[ -n "$mods" ]] || { echo "build.sh: no staging replaces found in $gomod" >&2; exit 1; }
  {
    echo
    echo "require k8s.io/kubernetes $KUBE_VERSION"
    echo
    echo "replace ("
    for m in $mods; do echo "	$m => $m $staging"; done
    echo ")"
  } >> "$dir/go.mod"
  log "k8s.io/kubernetes $KUBE_VERSION: $(echo "$mods" | wc -l) staging modules pinned to $staging"
  touch "$dir/.ready"
  echo "$dir"
}

kube_ldflags() {
  local minor="${KUBE_VERSION#v1.}"; minor="${minor%%.*}"
  local v
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    v+=" -X $p.gitVersion=$KUBE_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
  done
  echo "-s -w$v"
}

build_kube() { # NAME (cmd under k8s.io/kubernetes/cmd)
  local name="$1"
  if up_to_date "$name" "$KUBE_VERSION"; then log "$name $KUBE_VERSION up to date"; return; fi
  local dir
  dir="$(kube_module | tail -n1)"
  log "building $name $KUBE_VERSION (several minutes on 2 cores)"
  (cd "$dir" && go build -trimpath -ldflags="$(kube_ldflags)" -o "$dir/$name.tmp" "k8s.io/kubernetes/cmd/$name")
  install_bin "$name" "$KUBE_VERSION" "$dir/$name.tmp"
}

build_coredns() {
  if up_to_date coredns "$COREDNS_VERSION"; then log "coredns $COREDNS_VERSION up to date"; return; fi
  local dir="$WORK/coredns-$COREDNS_VERSION"
  new_module "$dir"
  log "building coredns $COREDNS_VERSION"
  (cd "$dir" && go get "github.com/coredns/coredns@$COREDNS_VERSION" \
    && go build -trimpath -ldflags='-s -w' -o "$dir/coredns.tmp" github.com/coredns/coredns)
  install_bin coredns "$COREDNS_VERSION" "$dir/coredns.tmp"
}

# Helm's built-in Kubernetes version (what `helm template` and `helm lint` assume without
# --kube-version) defaults to 1.20 unless set at link time, as helm's own Makefile does from the
# k8s.io/client-go it builds with; without it, charts with kubeVersion >= 1.21 fail to template.
# The stamp carries a recipe revision so binaries built without these flags are rebuilt.
HELM_STAMP="$HELM_VERSION+kube-version"
build_helm() {
  if up_to_date helm "$HELM_STAMP"; then log "helm $HELM_VERSION up to date"; return; fi
  local dir="$WORK/helm-$HELM_VERSION"
  new_module "$dir"
  log "building helm $HELM_VERSION"
  (cd "$dir" && go get "helm.sh/helm/v3@$HELM_VERSION")
  local cg major minor
  cg="$(cd "$dir" && go list -m -f '{{.Version}}' k8s.io/client-go)"   # v0.MINOR.PATCH
  major=1; minor="$(echo "$cg" | cut -d. -f2)"
  [[ "$minor" =~ ^[0-9]+$ ]] || { echo "build.sh: cannot read k8s.io/client-go version ($cg) for helm" >&2; exit 1; }
  local ld="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
  local p
  for p in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
    ld+=" -X $p.k8sVersionMajor=$major -X $p.k8sVersionMinor=$minor"
  done
  (cd "$dir" && go build -trimpath -ldflags="$ld" -o "$dir/helm.tmp" helm.sh/helm/v3/cmd/helm)
  install_bin helm "$HELM_STAMP" "$dir/helm.tmp"
  log "helm's default Kubernetes version: $major.$minor (k8s.io/client-go $cg)"
}

targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(etcd kube-apiserver kube-controller-manager kubectl helm)
for t in "${targets[@]}"; do
  case "$t" in
    etcd) build_etcd ;;
    kube-apiserver|kubectl|kube-controller-manager|kubelet|kube-scheduler|kube-proxy) build_kube "$t" ;;
    coredns) build_coredns ;;
    node) for n in kubelet kube-scheduler kube-proxy; do build_kube "$n"; done; build_coredns ;;
    helm) build_helm ;;
    *) echo "build.sh: unknown target $t" >&2; exit 2 ;;
  esac
done
log "done: $(ls "$BIN" | tr '\n' ' ')"
echo "$BIN"
