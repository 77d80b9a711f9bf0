#!/usr/bin/env bash
# Stop the control plane started by scripts/kube/start.sh STATE_DIR: every
# process recorded under STATE_DIR/pids, the apiserver before etcd, SIGTERM
# then SIGKILL after a grace period. Keeps the certificates and the token
# (the next start reuses them; etcd's data is recreated at each start).
# Usage: scripts/kube/stop.sh STATE_DIR
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh
. "$here/common.sh"

t0=$(date +%s.%N)
[ $# -eq 1 ] || die "usage: $0 STATE_DIR"
[ -d "$1" ] || { log "no $1, nothing to stop"; exit 0; }
STATE_DIR="$(cd "$1" && pwd -P)"
PIDS="$STATE_DIR/pids"
GRACE="${GOPOLICY_KUBE_STOP_TIMEOUT:-30}"

# is_ours PID NAME: PID is alive and is the process start.sh launched as NAME
# (guards against a pid reused by an unrelated process).
is_ours() {
	local pid="$1" name="$2" exe
	kill -0 "$pid" 2>/dev/null || return 1
	exe="$(readlink "/proc/$pid/exe" 2>/dev/null || true)"
	exe="${exe% (deleted)}"
	[ "$(basename "$exe")" = "$name" ] || return 1
	tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qxF "TMPDIR=$STATE_DIR/tmp"
}

# stop NAME: SIGTERM its process group, wait up to GRACE seconds, then
# SIGKILL. Each server runs in its own session and process group (setsid
# in start.sh).
stop() {
	local name="$1" f="$PIDS/$1.pid" pid deadline _
	[ -f "$f" ] || return 0
	pid="$(cat "$f")"
	if ! is_ours "$pid" "$name"; then rm -f "$f"; return 0; fi
	log "stopping $name (pid $pid)"
	kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
	deadline=$(( $(date +%s) + GRACE ))
	while running "$pid" && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.1; done
	if running "$pid"; then
		log "$name still running after ${GRACE}s; sending SIGKILL"
		kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
		for _ in $(seq 1 100); do running "$pid" || break; sleep 0.1; done
	fi
	kill -KILL -- "-$pid" 2>/dev/null || true   # anything left in its group
	if running "$pid"; then
		log "ERROR: $name (pid $pid) still running"; failed=1; return 0
	fi
	rm -f "$f"
	# Give its parent (init, usually) a moment to reap it, so that `ps`
	# right after stop.sh shows nothing.
	for _ in $(seq 1 50); do [ -e "/proc/$pid" ] || break; sleep 0.1; done
}

rm -f "$STATE_DIR/env"
failed=0
stop kube-apiserver   # first: it is etcd's only client
stop etcd
for f in "$PIDS"/*.pid; do
	[ -e "$f" ] || continue
	pid="$(cat "$f")"
	if running "$pid"; then log "WARNING: unknown pid file $f (pid $pid) left alone"; failed=1; else rm -f "$f"; fi
done
[ "$failed" = 0 ] && log "stopped ($STATE_DIR) in $(awk "BEGIN{printf \"%.1f\", $(date +%s.%N) - $t0}")s"
exit "$failed"
