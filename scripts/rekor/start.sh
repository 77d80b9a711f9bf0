#!/usr/bin/env bash
# Start a private Rekor v1 stack on 127.0.0.1 for gopolicy's tests:
#   MariaDB (own datadir) -> trillian_log_server + trillian_log_signer
#   -> rekor-server (file signer, MySQL search index, file attestation storage)
#
# Usage: scripts/rekor/start.sh STATE_DIR
#
# STATE_DIR keeps the database, the trillian tree id and the log's signing key
# between runs, so a restart on the same STATE_DIR serves the same log with the
# same key. On success it writes STATE_DIR/env:
#   GOPOLICY_REKOR_URL=http://127.0.0.1:PORT
#   GOPOLICY_REKOR_PUBKEY=STATE_DIR/rekor.pub.pem
# (plus a few informational keys). Stop with scripts/rekor/stop.sh STATE_DIR.
#
# Ports are picked free at each start unless given:
#   GOPOLICY_REKOR_PORT, GOPOLICY_REKOR_MYSQL_PORT,
#   GOPOLICY_REKOR_TRILLIAN_RPC_PORT, GOPOLICY_REKOR_TRILLIAN_HTTP_PORT,
#   GOPOLICY_REKOR_SIGNER_RPC_PORT, GOPOLICY_REKOR_SIGNER_HTTP_PORT
# Other knobs: GOPOLICY_REKOR_START_TIMEOUT (seconds per component, default 120),
#   GOPOLICY_REKOR_HOSTNAME (checkpoint origin name, default gopolicy-rekor),
#   GOPOLICY_REKOR_BIN (binary dir, default the build.sh cache).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh
. "$here/common.sh"

[ $# -eq 1 ] || die "usage: $0 STATE_DIR"
mkdir -p "$1"
STATE_DIR="$(cd "$1" && pwd -P)"
case "$STATE_DIR" in *[[:space:]\'\"\$\`\\]*) die "STATE_DIR must not contain whitespace or shell quoting characters: $STATE_DIR";; esac

cd "$STATE_DIR"   # the servers' working directory; nothing lands in the caller's

BIN="${GOPOLICY_REKOR_BIN:-$REKOR_BIN_DIR}"
SCHEMA="$REKOR_CACHE_DIR/share/trillian-$TRILLIAN_VERSION-storage.sql"
for b in trillian_log_server trillian_log_signer createtree rekor-server; do
	[ -x "$BIN/$b" ] || die "$BIN/$b missing: run scripts/rekor/build.sh first"
done
[ -s "$SCHEMA" ] || die "$SCHEMA missing: run scripts/rekor/build.sh first"
for c in mariadbd mariadb-install-db mariadb openssl curl ss; do
	command -v "$c" >/dev/null 2>&1 || die "$c not found: run scripts/rekor/build.sh first (it installs the Debian packages)"
done

TIMEOUT="${GOPOLICY_REKOR_START_TIMEOUT:-120}"
LOGS="$STATE_DIR/logs"
PIDS="$STATE_DIR/pids"
mkdir -p "$LOGS" "$PIDS" "$STATE_DIR/tmp" "$STATE_DIR/attestations"

refuse_running
STOP_SCRIPT="$here/stop.sh"
trap stop_unless_started EXIT
ERROR_LINES='panic:|FATAL|Fatal|\[ERROR\]|ERROR|^E[0-9]{4} '

PORTS_TAKEN="$STATE_DIR/tmp/ports.taken"; : >"$PORTS_TAKEN"; export PORTS_TAKEN
MYSQL_PORT="$(pick_port GOPOLICY_REKOR_MYSQL_PORT)"
TL_RPC="$(pick_port GOPOLICY_REKOR_TRILLIAN_RPC_PORT)"
TL_HTTP="$(pick_port GOPOLICY_REKOR_TRILLIAN_HTTP_PORT)"
TS_RPC="$(pick_port GOPOLICY_REKOR_SIGNER_RPC_PORT)"
TS_HTTP="$(pick_port GOPOLICY_REKOR_SIGNER_HTTP_PORT)"
REKOR_PORT="$(pick_port GOPOLICY_REKOR_PORT)"

# ---------------------------------------------------------------- MariaDB ---
DATADIR="$STATE_DIR/mysql"
# A unix socket path must stay under ~107 bytes; long STATE_DIRs get one in /tmp.
SOCK="$STATE_DIR/mysqld.sock"
if [ "${#SOCK}" -gt 100 ]; then
	SOCK="/tmp/gopolicy-rekor-$(printf '%s' "$STATE_DIR" | sha256sum | cut -c1-16).sock"
fi
DB_USER=trillian
DB_PASS=trillian-test
DB_NAME=trillian
DSN="$DB_USER:$DB_PASS@tcp(127.0.0.1:$MYSQL_PORT)/$DB_NAME?parseTime=true&interpolateParams=true"

as_user=()
[ "$(id -u)" = 0 ] && as_user=(--user=root)
mysqld_opts=(
	--datadir="$DATADIR"
	--innodb-log-file-size=16M
	--innodb-buffer-pool-size=64M
)

if [ ! -d "$DATADIR/mysql" ]; then
	log "initialising MariaDB datadir $DATADIR"
	rm -rf "$DATADIR"; mkdir -p "$DATADIR"
	mariadb-install-db --no-defaults "${as_user[@]}" "${mysqld_opts[@]}" \
		--auth-root-authentication-method=socket --skip-test-db --skip-name-resolve \
		>>"$LOGS/mariadb-install.log" 2>&1 ||
		fail "mariadb-install-db failed" mariadb-install
	rm -f "$STATE_DIR/db.initialized" "$STATE_DIR/tree_id"
fi

log "starting MariaDB on 127.0.0.1:$MYSQL_PORT"
launch mariadb mariadbd --no-defaults "${as_user[@]}" "${mysqld_opts[@]}" \
	--bind-address=127.0.0.1 --port="$MYSQL_PORT" --socket="$SOCK" \
	--pid-file="$STATE_DIR/tmp/mariadbd.pid" --tmpdir="$STATE_DIR/tmp" \
	--skip-name-resolve --innodb-flush-log-at-trx-commit=2 \
	--log-error="$LOGS/mariadb.log"
root_sql() { mariadb --no-defaults --protocol=socket --socket="$SOCK" -u "$(id -un)" "$@"; }
wait_for mariadb "MariaDB to accept connections" root_sql -e 'SELECT 1'

if [ ! -f "$STATE_DIR/db.initialized" ]; then
	# (Re)create from scratch: the schema's CREATE INDEX statements cannot be
	# replayed over a half-loaded database.
	log "creating database $DB_NAME and loading trillian's schema"
	root_sql <<-SQL || fail "creating the database failed" mariadb
		DROP DATABASE IF EXISTS $DB_NAME;
		CREATE DATABASE $DB_NAME;
		CREATE USER IF NOT EXISTS '$DB_USER'@'127.0.0.1' IDENTIFIED BY '$DB_PASS';
		CREATE USER IF NOT EXISTS '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASS';
		GRANT ALL PRIVILEGES ON $DB_NAME.* TO '$DB_USER'@'127.0.0.1';
		GRANT ALL PRIVILEGES ON $DB_NAME.* TO '$DB_USER'@'localhost';
		FLUSH PRIVILEGES;
	SQL
	root_sql "$DB_NAME" <"$SCHEMA" || fail "loading $SCHEMA failed" mariadb
	rm -f "$STATE_DIR/tree_id"   # a fresh database has no tree yet
	touch "$STATE_DIR/db.initialized"
fi

# --------------------------------------------------------------- trillian ---
trillian_common=(--storage_system=mysql --mysql_uri="$DSN" --quota_system=noop --alsologtostderr)
log "starting trillian_log_server (rpc 127.0.0.1:$TL_RPC, http 127.0.0.1:$TL_HTTP)"
launch trillian_log_server "$BIN/trillian_log_server" "${trillian_common[@]}" \
	--rpc_endpoint="127.0.0.1:$TL_RPC" --http_endpoint="127.0.0.1:$TL_HTTP"
log "starting trillian_log_signer (rpc 127.0.0.1:$TS_RPC, http 127.0.0.1:$TS_HTTP)"
launch trillian_log_signer "$BIN/trillian_log_signer" "${trillian_common[@]}" \
	--rpc_endpoint="127.0.0.1:$TS_RPC" --http_endpoint="127.0.0.1:$TS_HTTP" \
	--force_master
wait_for trillian_log_server "trillian_log_server /healthz" curl -fsS "http://127.0.0.1:$TL_HTTP/healthz"
wait_for trillian_log_signer "trillian_log_signer /healthz" curl -fsS "http://127.0.0.1:$TS_HTTP/healthz"

if [ ! -s "$STATE_DIR/tree_id" ]; then
	log "creating trillian tree"
	tree_id="$("$BIN/createtree" --admin_server="127.0.0.1:$TL_RPC" --tree_type=LOG \
		--display_name=gopolicy-rekor 2>>"$LOGS/createtree.log")" ||
		fail "createtree failed" createtree trillian_log_server
	case "$tree_id" in ''|*[!0-9]*) fail "createtree printed no tree id: '$tree_id'" createtree;; esac
	echo "$tree_id" >"$STATE_DIR/tree_id"
fi
TREE_ID="$(cat "$STATE_DIR/tree_id")"

# ------------------------------------------------------------------ rekor ---
KEY="$STATE_DIR/rekor.key.pem"
if [ ! -s "$KEY" ]; then
	log "generating the log's signing key (ECDSA P-256) $KEY"
	(umask 077; openssl ecparam -name prime256v1 -genkey -noout -out "$KEY.tmp") && mv "$KEY.tmp" "$KEY"
fi
# Empty config file: otherwise rekor-server reads ~/.rekor-server.yaml or ./rekor-server.yaml.
printf '# intentionally empty; all settings are flags (scripts/rekor/start.sh)\n{}\n' >"$STATE_DIR/rekor-server.yaml"

port_in_use 2112 && log "note: port 2112 is taken (another rekor-server?); this rekor-server's /metrics listener will fail silently"
log "starting rekor-server on 127.0.0.1:$REKOR_PORT (tree $TREE_ID)"
launch rekor-server "$BIN/rekor-server" serve \
	--config="$STATE_DIR/rekor-server.yaml" \
	--rekor_server.address=127.0.0.1 --port="$REKOR_PORT" \
	--rekor_server.hostname="${GOPOLICY_REKOR_HOSTNAME:-gopolicy-rekor}" \
	--rekor_server.signer="$KEY" \
	--trillian_log_server.address=127.0.0.1 --trillian_log_server.port="$TL_RPC" \
	--trillian_log_server.tlog_id="$TREE_ID" \
	--search_index.storage_provider=mysql --search_index.mysql.dsn="$DSN" \
	--enable_attestation_storage \
	--attestation_storage_bucket="file://$STATE_DIR/attestations" \
	--log_type=dev
wait_for rekor-server "rekor-server GET /api/v1/log" curl -fsS "http://127.0.0.1:$REKOR_PORT/api/v1/log"

curl -fsS -o "$STATE_DIR/rekor.pub.pem.tmp" "http://127.0.0.1:$REKOR_PORT/api/v1/log/publicKey" ||
	fail "fetching /api/v1/log/publicKey failed" rekor-server
grep -q 'BEGIN PUBLIC KEY' "$STATE_DIR/rekor.pub.pem.tmp" || fail "/api/v1/log/publicKey returned no PEM" rekor-server
# The served key must be the one derived from our key file.
if ! cmp -s <(openssl pkey -pubin -in "$STATE_DIR/rekor.pub.pem.tmp" -outform DER) \
	<(openssl pkey -in "$KEY" -pubout -outform DER); then
	fail "rekor-server serves a public key that does not match $KEY" rekor-server
fi
mv "$STATE_DIR/rekor.pub.pem.tmp" "$STATE_DIR/rekor.pub.pem"

cat >"$STATE_DIR/env.tmp" <<EOF
GOPOLICY_REKOR_URL=http://127.0.0.1:$REKOR_PORT
GOPOLICY_REKOR_PUBKEY=$STATE_DIR/rekor.pub.pem
GOPOLICY_REKOR_TREE_ID=$TREE_ID
GOPOLICY_REKOR_TRILLIAN_ADDR=127.0.0.1:$TL_RPC
GOPOLICY_REKOR_MYSQL_ADDR=127.0.0.1:$MYSQL_PORT
GOPOLICY_REKOR_CLI=$BIN/rekor-cli
EOF
mv "$STATE_DIR/env.tmp" "$STATE_DIR/env"
started_ok=1
log "rekor up: http://127.0.0.1:$REKOR_PORT (env: $STATE_DIR/env)"
cat "$STATE_DIR/env"
