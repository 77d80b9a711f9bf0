#!/usr/bin/env bash
# Start a private Kubernetes control plane on 127.0.0.1 for gopolicy's
# admission webhook tests: etcd (Debian's etcd-server) and kube-apiserver
# (built by build.sh). No controller manager, scheduler or kubelet: objects
# are stored and admitted, nothing runs.
#
# Usage: scripts/kube/start.sh STATE_DIR
#
# Every start is an empty cluster (etcd's data directory is recreated); the
# certificates, the service-account key and the admin token are made once per
# STATE_DIR and kept. On success it writes STATE_DIR/env:
#   GOPOLICY_KUBE_URL=https://127.0.0.1:PORT
#   GOPOLICY_KUBE_TOKEN=<bearer token of an admin in group system:masters>
#   GOPOLICY_KUBE_CA=STATE_DIR/pki/ca.pem      (the serving certificate's CA)
# (plus a few informational keys). Stop with scripts/kube/stop.sh STATE_DIR.
#
# Ports are picked free at each start unless given: GOPOLICY_KUBE_PORT,
# GOPOLICY_KUBE_ETCD_PORT, GOPOLICY_KUBE_ETCD_PEER_PORT.
# Other knobs: GOPOLICY_KUBE_START_TIMEOUT (seconds per component, default
# 120), GOPOLICY_KUBE_BIN (binary dir, default the build.sh cache).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh
. "$here/common.sh"

t0=$(date +%s.%N)
[ $# -eq 1 ] || die "usage: $0 STATE_DIR"
mkdir -p "$1"
STATE_DIR="$(cd "$1" && pwd -P)"
case "$STATE_DIR" in *[[:space:]\'\"\$\`\\]*) die "STATE_DIR must not contain whitespace or shell quoting characters: $STATE_DIR";; esac

cd "$STATE_DIR"   # the servers' working directory; nothing lands in the caller's

BIN="${GOPOLICY_KUBE_BIN:-$KUBE_BIN_DIR}"
[ -x "$BIN/kube-apiserver" ] || die "$BIN/kube-apiserver missing: run scripts/kube/build.sh first"
for c in etcd openssl curl ss; do
	command -v "$c" >/dev/null 2>&1 || die "$c not found: run scripts/kube/build.sh first (it installs the Debian packages)"
done

TIMEOUT="${GOPOLICY_KUBE_START_TIMEOUT:-120}"
LOGS="$STATE_DIR/logs"
PIDS="$STATE_DIR/pids"
PKI="$STATE_DIR/pki"
mkdir -p "$LOGS" "$PIDS" "$STATE_DIR/tmp" "$PKI"

refuse_running
STOP_SCRIPT="$here/stop.sh"
trap stop_unless_started EXIT
ERROR_LINES='panic:|FATAL|Fatal|"level":"(fatal|panic)"|^E[0-9]{4} |^F[0-9]{4} '

PORTS_TAKEN="$STATE_DIR/tmp/ports.taken"; : >"$PORTS_TAKEN"; export PORTS_TAKEN
ETCD_PORT="$(pick_port GOPOLICY_KUBE_ETCD_PORT)"
ETCD_PEER_PORT="$(pick_port GOPOLICY_KUBE_ETCD_PEER_PORT)"
API_PORT="$(pick_port GOPOLICY_KUBE_PORT)"

# ------------------------------------------------------------ credentials ---
# Made once per STATE_DIR: a CA, the apiserver's serving certificate for
# 127.0.0.1, the service-account signing key and an admin token.
if [ ! -s "$PKI/ca.pem" ] || [ ! -s "$PKI/apiserver.pem" ] || [ ! -s "$PKI/sa.key" ] || [ ! -s "$PKI/tokens.csv" ]; then
	log "making certificates, keys and the admin token in $PKI"
	(
		set -e
		umask 077
		cd "$PKI"
		rm -f ./*.pem ./*.key ./*.csr ./*.srl ./*.cnf tokens.csv
		openssl ecparam -name prime256v1 -genkey -noout -out ca.key
		openssl req -x509 -new -key ca.key -sha256 -days 3650 -subj "/CN=gopolicy-test-kube-ca" \
			-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.pem
		openssl ecparam -name prime256v1 -genkey -noout -out apiserver.key
		openssl req -new -key apiserver.key -subj "/CN=kube-apiserver" -out apiserver.csr
		cat >apiserver.cnf <<-CNF
			basicConstraints=critical,CA:FALSE
			keyUsage=critical,digitalSignature,keyEncipherment
			extendedKeyUsage=serverAuth
			subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc
		CNF
		openssl x509 -req -in apiserver.csr -CA ca.pem -CAkey ca.key -CAcreateserial -sha256 -days 3650 \
			-extfile apiserver.cnf -out apiserver.pem
		openssl genrsa -out sa.key 2048
		openssl rsa -in sa.key -pubout -out sa.pub.pem
		printf '%s,gopolicy-admin,gopolicy-admin,"system:masters"\n' "$(openssl rand -hex 32)" >tokens.csv
		rm -f apiserver.csr apiserver.cnf ca.srl
	) >>"$LOGS/pki.log" 2>&1 || fail "making the certificates failed" pki
	chmod 644 "$PKI/ca.pem" "$PKI/apiserver.pem" "$PKI/sa.pub.pem"
fi
TOKEN="$(cut -d, -f1 "$PKI/tokens.csv")"

# ------------------------------------------------------------------- etcd ---
# An empty cluster at every start: tests create uniquely named objects, and
# without a controller manager nothing would ever finish deleting them.
rm -rf "$STATE_DIR/etcd"
ETCD_URL="http://127.0.0.1:$ETCD_PORT"
log "starting etcd $(etcd --version | sed -n 's/^etcd Version: //p') on 127.0.0.1:$ETCD_PORT (peer $ETCD_PEER_PORT)"
launch etcd etcd --name gopolicy-test --data-dir "$STATE_DIR/etcd" \
	--listen-client-urls "$ETCD_URL" --advertise-client-urls "$ETCD_URL" \
	--listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
	--initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
	--initial-cluster "gopolicy-test=http://127.0.0.1:$ETCD_PEER_PORT" \
	--initial-cluster-state new --logger zap --log-outputs stderr
wait_for etcd "etcd to be healthy" sh -c "curl -fsS '$ETCD_URL/health' | grep -q '\"health\":\"true\"'"
t_etcd=$(date +%s.%N)

# --------------------------------------------------------- kube-apiserver ---
API_URL="https://127.0.0.1:$API_PORT"
# SizeBasedListCostEstimate=false: its background object-size estimator
# reads keys from the watch cache at the latest revision, which needs
# etcd's watch progress requests (etcd >= 3.4.31); Debian 12's 3.4.23 lacks
# them, so every such read times out, is logged every few seconds, and
# holds up the apiserver's shutdown by ~6 s. It only tunes API priority and
# fairness cost estimates for lists.
log "starting $("$BIN/kube-apiserver" --version) on 127.0.0.1:$API_PORT"
launch kube-apiserver "$BIN/kube-apiserver" \
	--etcd-servers="$ETCD_URL" \
	--bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$API_PORT" \
	--cert-dir="$STATE_DIR/tmp" \
	--tls-cert-file="$PKI/apiserver.pem" --tls-private-key-file="$PKI/apiserver.key" \
	--token-auth-file="$PKI/tokens.csv" \
	--authorization-mode=RBAC \
	--service-account-issuer=https://kubernetes.default.svc.cluster.local \
	--service-account-key-file="$PKI/sa.pub.pem" \
	--service-account-signing-key-file="$PKI/sa.key" \
	--api-audiences=https://kubernetes.default.svc.cluster.local \
	--service-cluster-ip-range=10.0.0.0/24 \
	--endpoint-reconciler-type=none \
	--enable-admission-plugins=NamespaceLifecycle,ValidatingAdmissionWebhook \
	--profiling=false \
	--feature-gates=SizeBasedListCostEstimate=false \
	--v=1
api_ready() {
	[ "$(curl -sS --max-time 5 --cacert "$PKI/ca.pem" -H "Authorization: Bearer $TOKEN" "$API_URL/readyz")" = ok ]
}
wait_for kube-apiserver "kube-apiserver's /readyz" api_ready
t_api=$(date +%s.%N)

# A kubeconfig for people with kubectl; the tests use the env file.
cat >"$STATE_DIR/kubeconfig.tmp" <<EOT
apiVersion: v1
kind: Config
clusters:
- name: gopolicy-test
  cluster: {server: "$API_URL", certificate-authority: "$PKI/ca.pem"}
users:
- name: gopolicy-admin
  user: {token: "$TOKEN"}
contexts:
- name: gopolicy-test
  context: {cluster: gopolicy-test, user: gopolicy-admin}
current-context: gopolicy-test
EOT
chmod 600 "$STATE_DIR/kubeconfig.tmp"
mv "$STATE_DIR/kubeconfig.tmp" "$STATE_DIR/kubeconfig"

cat >"$STATE_DIR/env.tmp" <<EOT
GOPOLICY_KUBE_URL=$API_URL
GOPOLICY_KUBE_TOKEN=$TOKEN
GOPOLICY_KUBE_CA=$PKI/ca.pem
GOPOLICY_KUBE_ETCD=$ETCD_URL
GOPOLICY_KUBE_KUBECONFIG=$STATE_DIR/kubeconfig
EOT
chmod 600 "$STATE_DIR/env.tmp"
mv "$STATE_DIR/env.tmp" "$STATE_DIR/env"
started_ok=1
log "kube-apiserver up: $API_URL (etcd $(awk "BEGIN{printf \"%.1f\", $t_etcd - $t0}")s, apiserver ready $(awk "BEGIN{printf \"%.1f\", $t_api - $t_etcd}")s later, start took $(awk "BEGIN{printf \"%.1f\", $t_api - $t0}")s; env: $STATE_DIR/env)"
