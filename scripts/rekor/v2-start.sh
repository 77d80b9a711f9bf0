#!/usr/bin/env bash
# Start a private Rekor v2 (rekor-tiles, POSIX backend) on 127.0.0.1.
# Usage: scripts/rekor/v2-start.sh STATE_DIR   (use a different STATE_DIR than v1)
#
# STATE_DIR keeps the tile storage (STATE_DIR/tiles) and the log's Ed25519
# signing key, so a restart continues the same log. On success writes
# STATE_DIR/env:
#   GOPOLICY_REKOR_V2_URL=http://127.0.0.1:PORT       (POST /api/v2/log/entries, GET /healthz)
#   GOPOLICY_REKOR_V2_GRPC=127.0.0.1:PORT
#   GOPOLICY_REKOR_V2_PUBKEY=STATE_DIR/rekor-v2.pub.pem
#   GOPOLICY_REKOR_V2_ORIGIN=<checkpoint origin>
#   GOPOLICY_REKOR_V2_STORAGE_DIR=STATE_DIR/tiles     (checkpoint, tile/..., serve it yourself:
#                                                      the server's read endpoints answer 501 in POSIX mode)
#   GOPOLICY_REKOR_V2_LOG_ID=<hex>                     (the log ID in its entries, for a trusted root:
#                                                      SHA-256 of origin, "\n", 0x01 and the raw Ed25519 key)
# Ports: GOPOLICY_REKOR_V2_HTTP_PORT, GOPOLICY_REKOR_V2_GRPC_PORT,
#   GOPOLICY_REKOR_V2_METRICS_PORT, else picked free. Other knobs:
#   GOPOLICY_REKOR_V2_ORIGIN (default gopolicy-rekor-v2),
#   GOPOLICY_REKOR_V2_CHECKPOINT_INTERVAL (default 1s), GOPOLICY_REKOR_START_TIMEOUT.
# Stop with scripts/rekor/v2-stop.sh STATE_DIR.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh
. "$here/common.sh"

[ $# -eq 1 ] || die "usage: $0 STATE_DIR"
mkdir -p "$1"
STATE_DIR="$(cd "$1" && pwd -P)"
case "$STATE_DIR" in *[[:space:]\'\"\$\`\\]*) die "STATE_DIR must not contain whitespace or shell quoting characters";; esac
[ -e "$STATE_DIR/mysql" ] && die "$STATE_DIR holds a Rekor v1 stack; use another STATE_DIR for v2"

BIN="${GOPOLICY_REKOR_V2_BIN:-$REKOR_V2_BIN_DIR}/rekor-tiles-posix"
[ -x "$BIN" ] || die "$BIN missing: run scripts/rekor/v2-build.sh first"
TIMEOUT="${GOPOLICY_REKOR_START_TIMEOUT:-120}"
LOGS="$STATE_DIR/logs"; PIDS="$STATE_DIR/pids"
mkdir -p "$LOGS" "$PIDS" "$STATE_DIR/tmp" "$STATE_DIR/tiles"

f="$PIDS/rekor-tiles.pid"
if [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null; then
	die "rekor-tiles (pid $(cat "$f")) already running for $STATE_DIR; run scripts/rekor/v2-stop.sh $STATE_DIR first"
fi
rm -f "$f" "$STATE_DIR/env"

started_ok=0
trap '[ "$started_ok" = 1 ] || { echo "[rekor] v2 start failed; stopping" >&2; "$here/stop.sh" "$STATE_DIR" >&2 || true; }' EXIT
fail() {
	echo "[rekor] ERROR: $1" >&2
	echo "----- last 40 lines of $LOGS/rekor-tiles.log -----" >&2
	tail -n 40 "$LOGS/rekor-tiles.log" >&2 || true
	exit 1
}
pick_port() {
	local v="${!1:-}"
	if [ -n "$v" ]; then port_in_use "$v" && die "port $v (from $1) is already in use"; echo "$v"
	else free_port || die "no free port found"; fi
}
PORTS_TAKEN="$STATE_DIR/tmp/ports.taken"; : >"$PORTS_TAKEN"; export PORTS_TAKEN
HTTP_PORT="$(pick_port GOPOLICY_REKOR_V2_HTTP_PORT)"
GRPC_PORT="$(pick_port GOPOLICY_REKOR_V2_GRPC_PORT)"
METRICS_PORT="$(pick_port GOPOLICY_REKOR_V2_METRICS_PORT)"
ORIGIN="${GOPOLICY_REKOR_V2_ORIGIN:-gopolicy-rekor-v2}"

KEY="$STATE_DIR/rekor-v2.key.pem"
if [ ! -s "$KEY" ]; then
	log "generating the log's Ed25519 signing key $KEY"
	(umask 077; openssl genpkey -algorithm ed25519 -out "$KEY.tmp") && mv "$KEY.tmp" "$KEY"
fi
openssl pkey -in "$KEY" -pubout -out "$STATE_DIR/rekor-v2.pub.pem"

log "starting rekor-tiles (POSIX) http 127.0.0.1:$HTTP_PORT grpc 127.0.0.1:$GRPC_PORT metrics 127.0.0.1:$METRICS_PORT"
printf '\n===== rekor-tiles start %s\n' "$(date -Is)" >>"$LOGS/rekor-tiles.log"
cd "$STATE_DIR"
env -i PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
	HOME="$STATE_DIR" TMPDIR="$STATE_DIR/tmp" LANG=C.UTF-8 \
	setsid "$BIN" serve \
	--http-address=127.0.0.1 --http-port="$HTTP_PORT" \
	--grpc-address=127.0.0.1 --grpc-port="$GRPC_PORT" \
	--http-metrics-port="$METRICS_PORT" \
	--hostname="$ORIGIN" \
	--storage-dir="$STATE_DIR/tiles" \
	--signer-filepath="$KEY" \
	--checkpoint-interval="${GOPOLICY_REKOR_V2_CHECKPOINT_INTERVAL:-1s}" \
	--persistent-antispam=true \
	--log-level=info \
	</dev/null >>"$LOGS/rekor-tiles.log" 2>&1 &
pid=$!
echo "$pid" >"$PIDS/rekor-tiles.pid"

deadline=$(( $(date +%s) + TIMEOUT ))
until curl -fsS "http://127.0.0.1:$HTTP_PORT/healthz" 2>/dev/null | grep -q SERVING; do
	kill -0 "$pid" 2>/dev/null || fail "rekor-tiles exited during startup"
	[ "$(date +%s)" -lt "$deadline" ] || fail "timed out after ${TIMEOUT}s waiting for /healthz"
	sleep 0.3
done
# The log publishes its first (empty) checkpoint shortly after start.
until [ -s "$STATE_DIR/tiles/checkpoint" ]; do
	[ "$(date +%s)" -lt "$deadline" ] || fail "timed out waiting for $STATE_DIR/tiles/checkpoint"
	sleep 0.3
done

# The log ID rekor-tiles reports in its entries (the signed-note key ID
# before truncation): a trusted root names the log by it.
LOG_ID="$( { printf '%s\n\001' "$ORIGIN"; openssl pkey -pubin -in "$STATE_DIR/rekor-v2.pub.pem" -outform DER | tail -c 32; } | sha256sum | cut -d' ' -f1)"

cat >"$STATE_DIR/env.tmp" <<EOT
GOPOLICY_REKOR_V2_URL=http://127.0.0.1:$HTTP_PORT
GOPOLICY_REKOR_V2_GRPC=127.0.0.1:$GRPC_PORT
GOPOLICY_REKOR_V2_PUBKEY=$STATE_DIR/rekor-v2.pub.pem
GOPOLICY_REKOR_V2_ORIGIN=$ORIGIN
GOPOLICY_REKOR_V2_STORAGE_DIR=$STATE_DIR/tiles
GOPOLICY_REKOR_V2_LOG_ID=$LOG_ID
EOT
mv "$STATE_DIR/env.tmp" "$STATE_DIR/env"
started_ok=1
log "rekor v2 up: http://127.0.0.1:$HTTP_PORT (env: $STATE_DIR/env)"
cat "$STATE_DIR/env"
