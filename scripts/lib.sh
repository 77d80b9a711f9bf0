# shellcheck shell=bash
# Functions the scripts under scripts/ share. Source it; do not run it.
# Set SCRIPT_NAME (the prefix of log lines) and SCRIPT_CACHE_DIR (the cache
# directory, where the empty GOENV file lives) first.

log() { printf '[%s %s] %s\n' "$SCRIPT_NAME" "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf '[%s] ERROR: %s\n' "$SCRIPT_NAME" "$*" >&2; exit 1; }

# Every go invocation is hermetic: an empty GOENV file, no inherited GOFLAGS,
# the local toolchain only. GOPATH/GOMODCACHE/GOCACHE keep their defaults so
# the module and build caches are shared with the rest of the machine.
hermetic_go() {
	mkdir -p "$SCRIPT_CACHE_DIR"
	local goenv="$SCRIPT_CACHE_DIR/goenv.empty"
	[ -f "$goenv" ] || : >"$goenv"
	env GOENV="$goenv" GOFLAGS= GOTOOLCHAIN=local GOWORK=off GO111MODULE=on \
		CGO_ENABLED=0 nice -n 10 go "$@"
}

# free_port: print a TCP port that is currently free on 127.0.0.1. Picks from
# 20000-32767, below Linux's default ephemeral range, so outgoing connections
# are unlikely to take it between now and the bind. Ports handed out are
# remembered in the file PORTS_TAKEN names, when set, so that one start
# never hands out the same port twice.
free_port() {
	local p _
	for _ in $(seq 1 200); do
		p=$(( 20000 + (RANDOM % 12768) ))
		if ! port_in_use "$p" && ! grep -qx "$p" "${PORTS_TAKEN:-/dev/null}" 2>/dev/null; then
			[ -n "${PORTS_TAKEN:-}" ] && echo "$p" >>"$PORTS_TAKEN"
			echo "$p"
			return 0
		fi
	done
	return 1
}

# port_in_use PORT: true if something listens on PORT (any address).
port_in_use() {
	ss -Hltn "sport = :$1" 2>/dev/null | grep -q .
}

# as_root CMD...: run CMD as root, through sudo when not root already.
as_root() {
	if [ "$(id -u)" = 0 ]; then
		"$@"
	else
		command -v sudo >/dev/null 2>&1 || die "not root and no sudo to run: $*"
		sudo "$@"
	fi
}

# The servers' processes: the start.sh and stop.sh scripts set PIDS (the
# pid files' directory), LOGS, STATE_DIR and TIMEOUT (seconds).

# launch NAME CMD...: start CMD detached (own session, clean environment),
# stdout+stderr appended to logs/NAME.log, pid in pids/NAME.pid.
launch() {
	local name="$1"; shift
	printf '\n===== %s start %s: %s\n' "$name" "$(date -Is)" "$*" >>"$LOGS/$name.log"
	# setsid execs in place (we are not a process group leader), so $! is the
	# server's own pid. env -i: nothing of the caller's environment leaks into
	# the servers: viper in rekor-server reads e.g. $PORT, and an HTTP(S)_PROXY
	# would send the apiserver's webhook calls to 127.0.0.1 through a proxy.
	env -i PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
		HOME="$STATE_DIR" TMPDIR="$STATE_DIR/tmp" LANG=C.UTF-8 \
		setsid "$@" </dev/null >>"$LOGS/$name.log" 2>&1 &
	echo $! >"$PIDS/$name.pid"
	disown $! 2>/dev/null || true   # no "Killed" job notices from this shell
}

alive() { kill -0 "$(cat "$PIDS/$1.pid")" 2>/dev/null; }

# wait_for NAME DESCRIPTION CMD...: poll CMD until it succeeds, NAME dies, or timeout.
wait_for() {
	local name="$1" what="$2"; shift 2
	local deadline=$(( $(date +%s) + TIMEOUT ))
	while :; do
		if "$@" >/dev/null 2>&1; then return 0; fi
		alive "$name" || fail "$name exited before $what" "$name"
		[ "$(date +%s)" -lt "$deadline" ] || fail "timed out after ${TIMEOUT}s waiting for $what" "$name"
		sleep 0.3
	done
}

# pick_port ENVVAR: the port ENVVAR names (refused if taken), or a free one.
pick_port() {
	local v="${!1:-}"
	if [ -n "$v" ]; then
		port_in_use "$v" && die "port $v (from $1) is already in use"
		echo "$v"
	else
		free_port || die "no free port found"
	fi
}

# running PID: alive and not a zombie waiting to be reaped.
running() {
	local st
	kill -0 "$1" 2>/dev/null || return 1
	st="$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null || true)"
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# refuse_running: die if a server of STATE_DIR still runs; forget stale pid
# files and the env file, which only a finished start writes.
refuse_running() {
	local f p
	for f in "$PIDS"/*.pid; do
		[ -e "$f" ] || continue
		p="$(cat "$f" 2>/dev/null || true)"
		if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then
			die "$(basename "$f" .pid) (pid $p) is already running for $STATE_DIR; run scripts/$SCRIPT_NAME/stop.sh $STATE_DIR first"
		fi
		rm -f "$f"
	done
	rm -f "$STATE_DIR/env"
}

# stop_unless_started: the EXIT trap of a start script; until it sets
# started_ok=1, exiting stops whatever was started, with STOP_SCRIPT.
started_ok=0
stop_unless_started() {
	local rc=$?
	if [ "$started_ok" != 1 ]; then
		echo "[$SCRIPT_NAME] start failed (exit $rc); stopping what was started" >&2
		"$STOP_SCRIPT" "$STATE_DIR" >&2 || true
	fi
}

# fail MSG LOGNAME...: die, showing the first lines of each log that match
# ERROR_LINES (an extended regular expression) and its last 40 lines.
fail() {
	local msg="$1"; shift
	echo "[$SCRIPT_NAME] ERROR: $msg" >&2
	local l
	for l in "$@"; do
		if [ -f "$LOGS/$l.log" ]; then
			if grep -qE "$ERROR_LINES" "$LOGS/$l.log"; then
				echo "----- first error lines of $LOGS/$l.log -----" >&2
				grep -m 8 -E "$ERROR_LINES" "$LOGS/$l.log" | cut -c1-400 >&2
			fi
			echo "----- last 40 lines of $LOGS/$l.log -----" >&2
			tail -n 40 "$LOGS/$l.log" | cut -c1-400 >&2
		fi
	done
	exit 1
}
