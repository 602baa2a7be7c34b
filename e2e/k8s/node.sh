#!/usr/bin/env bash
# A single-node Kubernetes cluster with real containers for the e2e/k8s suite:
#   etcd + kube-apiserver (operator/scripts/kube-tools/start-apiserver.sh, bound to the node address),
#   kube-controller-manager, kube-scheduler, CoreDNS (cluster DNS, a host process), kube-proxy (nftables),
#   containerd (runc, CNI bridge) and a kubelet.
# Binaries: operator/scripts/kube-tools/build.sh (cached in ~/.cache) and Debian packages (make test-deps).
# All state lives in DIR. `stop DIR` tears everything down whatever state it is in (pods, containerd, mounts,
# network namespaces, links, nft tables, cgroups) and restores what the start changed on the machine; it then
# prints what it could not restore (empty output = the machine is as before) and removes DIR.
# Quirks of the test VMs and the settings that get past them: e2e/k8s/README.md.
# Usage: node.sh start DIR   (prints the kubeconfig path)   |   node.sh stop DIR
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
KUBE_TOOLS="$ROOT/operator/scripts/kube-tools"
CACHE="${KUBE_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/strata-test-peers/kube}"
BIN="$CACHE/bin"

# Private addresses, on this machine only: the node's address sits on a bridge of its own (the kubelet refuses
# loopback and the kernel has no dummy links); pods get a CNI bridge; Services a ClusterIP range.
NODE_NAME=strata-node
NODE_IP=10.245.0.1
NODE_BRIDGE=strata-node0
POD_BRIDGE=strata-cni0
POD_CIDR=10.244.0.0/24
SERVICE_CIDR=10.0.0.0/24        # start-apiserver.sh's range (kubernetes Service = 10.0.0.1)
CLUSTER_DOMAIN=cluster.local
# Host settings the kubelet or kube-proxy may write, and the cgroup hierarchies it creates kubepods in.
SYSCTLS=(net/ipv4/ip_forward net/bridge/bridge-nf-call-iptables net/bridge/bridge-nf-call-ip6tables
  net/netfilter/nf_conntrack_max net/netfilter/nf_conntrack_tcp_timeout_established
  net/netfilter/nf_conntrack_tcp_timeout_close_wait net/ipv4/conf/all/route_localnet
  vm/overcommit_memory kernel/panic kernel/panic_on_oops kernel/keys/root_maxkeys kernel/keys/root_maxbytes)
# Values the kubelet insists on; it sees them in files bind-mounted over /proc/sys in its own mount namespace.
declare -A KUBELET_SYSCTLS=([vm/overcommit_memory]=1 [kernel/panic]=10 [kernel/panic_on_oops]=1)
# Paths containerd and the kubelet use outside their configured directories.
HOST_PATHS=(/var/run/netns /var/log/containers /var/log/pods /run/containerd /var/lib/kubelet /etc/cni)

log() { echo "[node $(date +%H:%M:%S)] $*" >&2; }
pid_of() { cat "$DIR/$1.pid" 2>/dev/null || true; }
alive() { local p; p="$(pid_of "$1")"; [[ -n "$p" ]] && kill -0 "$p" 2>/dev/null; }
kubectl_() { "$BIN/kubectl" --kubeconfig "$DIR/kubeconfig" "$@"; }

# wait_until SECONDS WHAT CMD...: polls CMD every 0.5 s.
wait_until() {
  local secs="$1" what="$2"; shift 2
  for _ in $(seq 1 $((secs * 2))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done
  log "timed out after ${secs}s waiting for $what"; return 1
}

# spawn NAME CMD...: a background process with its log and pid in DIR.
spawn() { local name="$1"; shift; "$@" > "$DIR/logs/$name.log" 2>&1 & echo $! > "$DIR/$name.pid"; }

snapshot() { # what start saves to compare and restore at stop
  local s
  for s in "${SYSCTLS[@]}"; do if [[ -f /proc/sys/$s ]]; then echo "$s=$(cat /proc/sys/$s)"; fi; done > "$DIR/saved/sysctls"
  for s in "${HOST_PATHS[@]}"; do if [[ -e "$s" ]]; then echo "$s"; fi; done > "$DIR/saved/paths"
  ls /var/run/netns 2>/dev/null > "$DIR/saved/netns" || true
  nft list tables > "$DIR/saved/nft-tables" 2>/dev/null || true
  { iptables-save; ip6tables-save; } 2>/dev/null | grep -vE '^#' | sed 's/\[[0-9]*:[0-9]*\]//' > "$DIR/saved/iptables" || true
  ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort > "$DIR/saved/links"
}

start() {
  for b in etcd kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl coredns; do
    [[ -x "$BIN/$b" ]] || { log "$BIN/$b missing; run make test-deps"; exit 1; }
  done
  for b in containerd runc ctr nft ip unshare mount; do command -v "$b" >/dev/null || { log "$b missing; run make test-deps"; exit 1; }; done
  [[ -x /usr/lib/cni/bridge ]] || { log "/usr/lib/cni/bridge missing (containernetworking-plugins); run make test-deps"; exit 1; }
  [[ $EUID == 0 ]] || { log "needs root (containers, bridges, cgroups)"; exit 1; }
  if ip link show "$NODE_BRIDGE" >/dev/null 2>&1 || ls -d /sys/fs/cgroup/*/kubepods >/dev/null 2>&1; then
    log "another node (or the leftovers of one) is present: $NODE_BRIDGE or /sys/fs/cgroup/*/kubepods exists"; exit 1
  fi
  mkdir -p "$DIR"/{saved,logs,pki,containerd,cni/conf,cni/ipam,kubelet,kubelet-pki,pod-logs,pv,sysctl-pin/vm,sysctl-pin/kernel}
  snapshot

  log "network: $NODE_BRIDGE $NODE_IP/32 (node), pods on $POD_BRIDGE $POD_CIDR"
  ip link add "$NODE_BRIDGE" type bridge
  ip addr add "$NODE_IP/32" dev "$NODE_BRIDGE"
  ip link set "$NODE_BRIDGE" up
  # Pod → ClusterIP → pod on the same bridge is routed by the host.
  echo 1 > /proc/sys/net/ipv4/ip_forward

  log "containerd"
  local sock="$DIR/containerd/containerd.sock"
  cat > "$DIR/containerd/config.toml" <<EOF
version = 2
root = "$DIR/containerd/root"
state = "$DIR/containerd/state"
[grpc]
  address = "$sock"
[ttrpc]
  address = "$sock.ttrpc"
[debug]
  level = "warn"
[plugins."io.containerd.internal.v1.opt"]
  path = "$DIR/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$(bash "$HERE/images.sh" names | grep strata-pause)"
  # No CAP_SYS_RESOURCE on the test VMs: oom_score_adj may not be lowered.
  restrict_oom_score_adj = true
  disable_apparmor = true
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$DIR/cni/conf"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "$(command -v runc)"
        Root = "$DIR/containerd/runc"
        SystemdCgroup = false
EOF
  cat > "$DIR/cni/conf/10-strata.conflist" <<EOF
{"cniVersion": "0.4.0", "name": "strata", "plugins": [
  {"type": "bridge", "bridge": "$POD_BRIDGE", "isGateway": true, "ipMasq": false, "hairpinMode": true,
   "ipam": {"type": "host-local", "ranges": [[{"subnet": "$POD_CIDR"}]], "routes": [{"dst": "0.0.0.0/0"}],
            "dataDir": "$DIR/cni/ipam"}}
]}
EOF
  spawn containerd containerd --config "$DIR/containerd/config.toml"
  wait_until 30 "containerd" ctr --address "$sock" version

  log "etcd + kube-apiserver on $NODE_IP"
  KUBE_STATE_DIR="$DIR/apiserver" APISERVER_ADDRESS="$NODE_IP" \
    APISERVER_EXTRA_ARGS="--kubelet-preferred-address-types=InternalIP --service-node-port-range=30000-30100" \
    bash "$KUBE_TOOLS/start-apiserver.sh" > "$DIR/logs/start-apiserver.log"
  cp "$DIR/apiserver/kubeconfig" "$DIR/kubeconfig"
  local kc="$DIR/kubeconfig" pki="$DIR/apiserver/pki"

  spawn kube-controller-manager "$BIN/kube-controller-manager" --kubeconfig="$kc" --leader-elect=false --secure-port=0 \
    --root-ca-file="$pki/ca.crt" --service-account-private-key-file="$pki/sa.key" --use-service-account-credentials=false \
    --controllers='*' --concurrent-gc-syncs=5 --node-monitor-grace-period=60s --v=1
  spawn kube-scheduler "$BIN/kube-scheduler" --kubeconfig="$kc" --leader-elect=false --secure-port=0 --v=1

  # Cluster DNS (*.svc names inside pods), on the node address: the kubelet's clusterDNS.
  cat > "$DIR/Corefile" <<EOF
.:53 {
  bind $NODE_IP
  errors
  kubernetes $CLUSTER_DOMAIN in-addr.arpa ip6.arpa {
    kubeconfig $kc
    pods insecure
    fallthrough in-addr.arpa ip6.arpa
    ttl 5
  }
  forward . /etc/resolv.conf
  cache 5
}
EOF
  spawn coredns "$BIN/coredns" -conf "$DIR/Corefile"

  # kube-proxy in nftables mode; conntrack settings left as the machine has them (0 = do not touch).
  cat > "$DIR/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: nftables
clusterCIDR: $POD_CIDR
hostnameOverride: $NODE_NAME
bindAddress: $NODE_IP
healthzBindAddress: ""
metricsBindAddress: ""
clientConnection:
  kubeconfig: $kc
conntrack:
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
nftables:
  masqueradeAll: true
EOF
  spawn kube-proxy "$BIN/kube-proxy" --config="$DIR/kube-proxy.yaml" --v=1

  log "kubelet"
  cat > "$DIR/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
port: 10250
readOnlyPort: 0
healthzPort: 0
containerRuntimeEndpoint: unix://$sock
# cgroup v1 hierarchy on the test VMs (kubelet >= 1.35 refuses it unless told), no systemd.
failCgroupV1: false
cgroupDriver: cgroupfs
# No CAP_SYS_RESOURCE: the kubelet may not lower its own oom_score_adj.
oomScoreAdj: 0
failSwapOn: false
authentication:
  anonymous: {enabled: true}
  webhook: {enabled: false}
authorization:
  mode: AlwaysAllow
clusterDNS: [$NODE_IP]
clusterDomain: $CLUSTER_DOMAIN
resolvConf: /etc/resolv.conf
podLogsDir: $DIR/pod-logs
serializeImagePulls: false
# Images are imported, never pulled: keep them whatever the disk use of the shared machine.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%, nodefs.inodesFree: 1%}
rotateCertificates: false
serverTLSBootstrap: false
maxPods: 50
EOF
  local s
  for s in "${!KUBELET_SYSCTLS[@]}"; do echo "${KUBELET_SYSCTLS[$s]}" > "$DIR/sysctl-pin/$s"; done
  # Volume mounts the kubelet makes must reach containerd: the kubelet root is a shared mount.
  mount --bind "$DIR/kubelet" "$DIR/kubelet"
  mount --make-rshared "$DIR/kubelet"
  local pins=""
  for s in "${!KUBELET_SYSCTLS[@]}"; do pins+="mount --bind '$DIR/sysctl-pin/$s' /proc/sys/$s && "; done
  spawn kubelet unshare -m --propagation unchanged sh -c "$pins exec '$BIN/kubelet' --config='$DIR/kubelet.yaml' \
    --kubeconfig='$kc' --root-dir='$DIR/kubelet' --cert-dir='$DIR/kubelet-pki' --hostname-override=$NODE_NAME \
    --node-ip=$NODE_IP --v=1"

  wait_until 120 "node $NODE_NAME Ready" \
    sh -c "'$BIN/kubectl' --kubeconfig '$kc' get node $NODE_NAME -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}' | grep -qx True"
  echo "$kc"
}

# remove_new_kube_chains iptables|ip6tables: KUBE-* chains the kubelet added (not in the snapshot), with the
# rules that jump to them.
remove_new_kube_chains() {
  local ipt="$1" tbl chain rule
  for tbl in mangle nat filter; do
    for chain in $("$ipt" -t "$tbl" -S 2>/dev/null | awk '$1=="-N" && $2 ~ /^KUBE-/ {print $2}'); do
      grep -q "^:$chain " "$DIR/saved/iptables" 2>/dev/null && continue
      "$ipt" -t "$tbl" -S 2>/dev/null | grep -E -- "-j $chain( |\$)" | sed 's/^-A //' | while read -r rule; do
        eval "'$ipt' -t '$tbl' -D $rule" 2>/dev/null
      done
      "$ipt" -t "$tbl" -F "$chain" 2>/dev/null; "$ipt" -t "$tbl" -X "$chain" 2>/dev/null
    done
  done
}

# kill_pid PID [GRACE_SECONDS]: SIGTERM, then SIGKILL.
kill_pid() {
  local p="$1" grace="${2:-10}"
  [[ -n "$p" ]] || return 0
  kill "$p" 2>/dev/null || return 0
  for _ in $(seq 1 $((grace * 10))); do kill -0 "$p" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$p" 2>/dev/null || true
}
stop_proc() { kill_pid "$(pid_of "$1")" "${2:-10}"; rm -f "$DIR/$1.pid"; }

# Pids whose command line mentions DIR (containerd's shims carry its socket path), found through /proc.
pids_in_dir() {
  local f
  for f in /proc/[0-9]*/cmdline; do
    if { tr '\0' ' ' < "$f"; } 2>/dev/null | grep -qF -- "$DIR/"; then f="${f#/proc/}"; echo "${f%/cmdline}"; fi
  done
}

stop() {
  set +e   # best effort throughout: every step runs whatever the previous one did
  [[ -d "$DIR" ]] || { log "$DIR does not exist"; return 0; }
  local sock="$DIR/containerd/containerd.sock" kc="$DIR/kubeconfig"
  # 1. Pods, through the kubelet (it stops containers and releases their networks): controllers first, so
  #    nothing recreates them.
  stop_proc kube-controller-manager; stop_proc kube-scheduler
  if alive kubelet && [[ -f "$kc" ]]; then
    kubectl_ delete pods --all -A --grace-period=1 --wait=true --timeout=60s >/dev/null 2>&1 || log "some pods did not stop in 60 s"
  fi
  stop_proc kubelet 15; stop_proc kube-proxy; stop_proc coredns
  KEEP_STATE=1 bash "$KUBE_TOOLS/stop-apiserver.sh" "$DIR/apiserver" >/dev/null 2>&1 || true
  # 2. Whatever containers remain: killed through containerd, then containerd and its shims.
  if alive containerd; then
    local t
    for t in $(ctr --address "$sock" -n k8s.io tasks ls -q 2>/dev/null); do
      ctr --address "$sock" -n k8s.io tasks kill -s SIGKILL "$t" >/dev/null 2>&1 || true
    done
  fi
  stop_proc containerd
  local p
  for p in $(pids_in_dir); do [[ "$p" != "$$" ]] && kill_pid "$p" 5; done
  # 3. Network namespaces made for pods (the CNI DEL did not run for pods killed above), mounts, links.
  local ns
  for ns in $(ls /var/run/netns 2>/dev/null); do
    grep -qx "$ns" "$DIR/saved/netns" 2>/dev/null || ip netns delete "$ns" 2>/dev/null || true
  done
  for m in $(awk '{print $5}' /proc/self/mountinfo | grep -F "$DIR" | sort -r); do umount -l "$m" 2>/dev/null || true; done
  ip link del "$POD_BRIDGE" 2>/dev/null || true
  ip link del "$NODE_BRIDGE" 2>/dev/null || true
  # 4. kube-proxy's nft tables, the kubelet's iptables canary chains.
  for fam in ip ip6 inet; do nft delete table "$fam" kube-proxy 2>/dev/null || true; done
  local ipt
  for ipt in iptables ip6tables; do remove_new_kube_chains "$ipt"; done
  # Tables that iptables-nft created for those chains and that are now empty.
  local fam name
  while read -r _ fam name; do
    grep -qx "table $fam $name" "$DIR/saved/nft-tables" 2>/dev/null && continue
    nft list table "$fam" "$name" 2>/dev/null | grep -qvE '^[[:space:]]*(table|chain|type|policy|\}|$)' || nft delete table "$fam" "$name"
  done < <(nft list tables 2>/dev/null)
  # 5. The kubelet's cgroups (deepest first), in every hierarchy.
  local h
  for h in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods; do
    [[ -d "$h" ]] && find "$h" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  done
  # 6. Sysctls back to their saved values; host paths that did not exist before removed.
  local kv
  while IFS= read -r kv; do
    [[ "$(cat "/proc/sys/${kv%%=*}" 2>/dev/null)" == "${kv#*=}" ]] || echo "${kv#*=}" > "/proc/sys/${kv%%=*}" 2>/dev/null || true
  done < "$DIR/saved/sysctls" 2>/dev/null
  for p in "${HOST_PATHS[@]}"; do
    grep -qx "$p" "$DIR/saved/paths" 2>/dev/null || rm -rf "$p"
  done
  check_restored
  [[ "${KEEP_STATE:-0}" == 1 ]] || rm -rf "$DIR"
}

# Prints every difference between the machine now and the snapshot taken at start (nothing = restored).
check_restored() {
  [[ -d "$DIR/saved" ]] || return 0
  local now; now="$(mktemp -d)"
  local saved_dir="$DIR/saved" orig="$DIR"
  DIR="$now"; mkdir -p "$now/saved"; snapshot; DIR="$orig"
  local f
  for f in sysctls paths netns nft-tables iptables links; do
    diff -q "$saved_dir/$f" "$now/saved/$f" >/dev/null 2>&1 || { echo "not restored: $f"; diff "$saved_dir/$f" "$now/saved/$f" | sed 's/^/  /'; }
  done
  ls -d /sys/fs/cgroup/*/kubepods 2>/dev/null | sed 's/^/not restored: cgroup /'
  pids_in_dir | grep -vx "$$" | sed 's/^/not restored: process /' || true
  rm -rf "$now"
}

cmd="${1:-}"; DIR="${2:-}"
[[ -n "$DIR" ]] || { echo "usage: node.sh start|stop DIR" >&2; exit 2; }
DIR="$(mkdir -p "$DIR" && cd "$DIR" && pwd)"
case "$cmd" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: node.sh start|stop DIR" >&2; exit 2 ;;
esac
