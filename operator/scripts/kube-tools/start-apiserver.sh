#!/usr/bin/env bash
# Starts etcd and kube-apiserver on loopback (binaries from build.sh), writes a kubeconfig with an
# admin token and prints its path on stdout. State lives in a temp dir; stop with stop-apiserver.sh <dir>
# (the dir is the kubeconfig's folder), or run with --foreground to stop both on Ctrl-C / SIGTERM.
# Env: KUBE_TOOLS_CACHE, KUBE_STATE_DIR (default: mktemp), ETCD_PORT / APISERVER_PORT (default: free ports),
#      APISERVER_ADDRESS (default 127.0.0.1; e2e/k8s binds the node's address so pods reach it),
#      APISERVER_EXTRA_ARGS (more kube-apiserver flags, space-separated).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${KUBE_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/strata-test-peers/kube}"
BIN="$CACHE/bin"
for b in etcd kube-apiserver; do [[ -x "$BIN/$b" ]] || { echo "start-apiserver.sh: $BIN/$b missing; run $HERE/build.sh" >&2; exit 1; }; done
command -v openssl >/dev/null || { echo "start-apiserver.sh: openssl is needed" >&2; exit 1; }

FOREGROUND=0; [[ "${1:-}" == "--foreground" ]] && FOREGROUND=1
DIR="${KUBE_STATE_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/strata-kube.XXXXXX")}"
mkdir -p "$DIR/etcd-data" "$DIR/pki"
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
ETCD_PORT="${ETCD_PORT:-$(free_port)}"
ETCD_PEER_PORT="$(free_port)"
APISERVER_PORT="${APISERVER_PORT:-$(free_port)}"
ADDR="${APISERVER_ADDRESS:-127.0.0.1}"

# Certificates: a CA, the API server's serving certificate for $ADDR/127.0.0.1/localhost, a service-account key.
P="$DIR/pki"
openssl req -x509 -newkey rsa:2048 -nodes -days 7 -subj "/CN=strata-test-ca" -keyout "$P/ca.key" -out "$P/ca.crt" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" -keyout "$P/apiserver.key" -out "$P/apiserver.csr" 2>/dev/null
printf 'subjectAltName=IP:%s,IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,IP:10.0.0.1\nextendedKeyUsage=serverAuth\n' "$ADDR" > "$P/apiserver.ext"
openssl x509 -req -in "$P/apiserver.csr" -CA "$P/ca.crt" -CAkey "$P/ca.key" -CAcreateserial -days 7 -extfile "$P/apiserver.ext" -out "$P/apiserver.crt" 2>/dev/null
openssl genrsa -out "$P/sa.key" 2048 2>/dev/null
openssl rsa -in "$P/sa.key" -pubout -out "$P/sa.pub" 2>/dev/null
TOKEN="$(openssl rand -hex 24)"
echo "$TOKEN,strata-admin,strata-admin,system:masters" > "$P/tokens.csv"

"$BIN/etcd" --name strata-test --data-dir "$DIR/etcd-data" \
  --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster "strata-test=http://127.0.0.1:$ETCD_PEER_PORT" --log-level warn > "$DIR/etcd.log" 2>&1 &
echo $! > "$DIR/etcd.pid"

"$BIN/kube-apiserver" \
  --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
  --bind-address "$ADDR" --advertise-address "$ADDR" --secure-port "$APISERVER_PORT" \
  --tls-cert-file "$P/apiserver.crt" --tls-private-key-file "$P/apiserver.key" --client-ca-file "$P/ca.crt" \
  --service-account-issuer https://kubernetes.default.svc --service-account-key-file "$P/sa.pub" \
  --service-account-signing-key-file "$P/sa.key" --api-audiences https://kubernetes.default.svc \
  --token-auth-file "$P/tokens.csv" --authorization-mode RBAC --anonymous-auth=false \
  --service-cluster-ip-range 10.0.0.0/24 --allow-privileged=true \
  --enable-priority-and-fairness=false --v 1 ${APISERVER_EXTRA_ARGS:-} > "$DIR/apiserver.log" 2>&1 &
echo $! > "$DIR/apiserver.pid"

KUBECONFIG_FILE="$DIR/kubeconfig"
cat > "$KUBECONFIG_FILE" <<KC
apiVersion: v1
kind: Config
clusters:
- name: strata-test
  cluster:
    server: https://$ADDR:$APISERVER_PORT
    certificate-authority-data: $(base64 -w0 < "$P/ca.crt")
users:
- name: strata-admin
  user:
    token: $TOKEN
contexts:
- name: strata-test
  context: {cluster: strata-test, user: strata-admin, namespace: default}
current-context: strata-test
KC

stop() { bash "$HERE/stop-apiserver.sh" "$DIR"; }
# Wait for /readyz (up to 120 s).
for _ in $(seq 1 240); do
  if curl -fsk -H "Authorization: Bearer $TOKEN" "https://$ADDR:$APISERVER_PORT/readyz" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$(cat "$DIR/apiserver.pid")" 2>/dev/null; then echo "kube-apiserver exited; see $DIR/apiserver.log" >&2; stop; exit 1; fi
  sleep 0.5
done
curl -fsk -H "Authorization: Bearer $TOKEN" "https://$ADDR:$APISERVER_PORT/readyz" >/dev/null \
  || { echo "kube-apiserver not ready in 120 s; see $DIR/apiserver.log" >&2; stop; exit 1; }

echo "$KUBECONFIG_FILE"
if [[ $FOREGROUND == 1 ]]; then
  trap 'stop; exit 0' INT TERM
  wait
fi
