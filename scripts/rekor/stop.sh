#!/usr/bin/env bash
# Stop the Rekor stack started by scripts/rekor/start.sh STATE_DIR (v1) or
# scripts/rekor/v2-start.sh STATE_DIR (v2): every process recorded under
# STATE_DIR/pids, newest first, SIGTERM then SIGKILL after a grace period.
# Keeps the data (database, tree id, signing key) for the next start.
# Usage: scripts/rekor/stop.sh STATE_DIR
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh
. "$here/common.sh"

[ $# -eq 1 ] || die "usage: $0 STATE_DIR"
[ -d "$1" ] || { log "no $1, nothing to stop"; exit 0; }
STATE_DIR="$(cd "$1" && pwd -P)"
PIDS="$STATE_DIR/pids"
GRACE="${GOPOLICY_REKOR_STOP_TIMEOUT:-30}"

# is_ours PID NAME: PID is alive and is the process start.sh launched as NAME
# (guards against a pid reused by an unrelated process).
is_ours() {
	local pid="$1" name="$2" exe
	kill -0 "$pid" 2>/dev/null || return 1
	exe="$(readlink "/proc/$pid/exe" 2>/dev/null || true)"
	exe="${exe% (deleted)}"
	case "$name" in
		mariadb) [ "$(basename "$exe")" = mariadbd ] || return 1 ;;
		rekor-tiles) [ "$(basename "$exe")" = rekor-tiles-posix ] || return 1 ;;
		*) [ "$(basename "$exe")" = "$name" ] || return 1 ;;
	esac
	tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qxF "TMPDIR=$STATE_DIR/tmp"
}

# stop_group SECONDS NAME...: SIGTERM all of them at once, wait (up to SECONDS)
# for all to exit, SIGKILL what is left. Each server runs in its own session
# and process group (setsid in start.sh), so the group is signalled.
stop_group() {
	local grace="$1"; shift
	local name f pid deadline
	local -a names=() pids=()
	for name in "$@"; do
		f="$PIDS/$name.pid"
		[ -f "$f" ] || continue
		pid="$(cat "$f")"
		if ! is_ours "$pid" "$name"; then rm -f "$f"; continue; fi
		log "stopping $name (pid $pid)"
		kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
		names+=("$name"); pids+=("$pid")
	done
	[ "${#pids[@]}" -gt 0 ] || return 0
	deadline=$(( $(date +%s) + grace ))
	while [ "$(date +%s)" -lt "$deadline" ]; do
		local any=0
		for pid in "${pids[@]}"; do running "$pid" && any=1; done
		[ "$any" = 0 ] && break
		sleep 0.2
	done
	local i
	for i in "${!pids[@]}"; do
		pid="${pids[$i]}"; name="${names[$i]}"
		if running "$pid"; then
			case "$name" in
				trillian_*) log "$name: SIGKILL after ${grace}s (expected: it sleeps before exiting)" ;;
				*) log "$name still running after ${grace}s; sending SIGKILL" ;;
			esac
			kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
		fi
		kill -KILL -- "-$pid" 2>/dev/null || true   # anything left in its group
		# A killed process needs a moment to go away (longer on a loaded machine).
		local _
		for _ in $(seq 1 100); do running "$pid" || break; sleep 0.1; done
		if running "$pid"; then
			log "ERROR: $name (pid $pid) still running"; failed=1
		else
			rm -f "$PIDS/$name.pid"
		fi
	done
	# All dead; give their parent (init, usually) a moment to reap the zombies
	# so that `ps` right after stop.sh shows nothing.
	for _ in $(seq 1 50); do
		local left=0
		for pid in "${pids[@]}"; do [ -e "/proc/$pid" ] && left=1; done
		[ "$left" = 0 ] && break
		sleep 0.1
	done
}

rm -f "$STATE_DIR/env"
failed=0
# Front ends first, then trillian, then the database they use.
stop_group "$GRACE" rekor-server rekor-tiles
# trillian stops its servers at once on SIGTERM and then just sleeps 5 s
# (log server) or 10 s (signer) before exiting; all its state is in MariaDB,
# so it is killed after a short grace instead of waiting for those sleeps.
stop_group "${GOPOLICY_REKOR_TRILLIAN_STOP_TIMEOUT:-3}" trillian_log_signer trillian_log_server
stop_group "$GRACE" mariadb
# Any pid file not in the list above (should not happen) is reported.
for f in "$PIDS"/*.pid; do
	[ -e "$f" ] || continue
	pid="$(cat "$f")"
	if running "$pid"; then log "WARNING: unknown pid file $f (pid $pid) left alone"; failed=1; else rm -f "$f"; fi
done
rm -f "/tmp/gopolicy-rekor-$(printf '%s' "$STATE_DIR" | sha256sum | cut -c1-16).sock"
[ "$failed" = 0 ] && log "stopped ($STATE_DIR)"
exit "$failed"
