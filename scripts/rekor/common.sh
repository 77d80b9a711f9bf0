# shellcheck shell=bash
# shellcheck disable=SC2034  # the variables are used by the scripts that source this file
# Shared settings for scripts/rekor/*.sh. Source it; do not run it.

REKOR_VERSION="${GOPOLICY_REKOR_VERSION:-v1.5.4}"      # v1.5.5 needs go1.27
TRILLIAN_VERSION="${GOPOLICY_TRILLIAN_VERSION:-v1.8.0}"
REKOR_TILES_VERSION="${GOPOLICY_REKOR_TILES_VERSION:-v2.3.0}"  # v2.4 needs go1.27

REKOR_CACHE_DIR="${GOPOLICY_REKOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gopolicy-ci/rekor}"
REKOR_BIN_DIR="$REKOR_CACHE_DIR/bin"
REKOR_V2_BIN_DIR="$REKOR_CACHE_DIR/v2-bin"

log() { printf '[rekor %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf '[rekor] ERROR: %s\n' "$*" >&2; exit 1; }

# Every go invocation is hermetic: an empty GOENV file, no inherited GOFLAGS,
# the local toolchain only. GOPATH/GOMODCACHE/GOCACHE keep their defaults so
# the module and build caches are shared with the rest of the machine.
hermetic_go() {
	mkdir -p "$REKOR_CACHE_DIR"
	local goenv="$REKOR_CACHE_DIR/goenv.empty"
	[ -f "$goenv" ] || : >"$goenv"
	env GOENV="$goenv" GOFLAGS= GOTOOLCHAIN=local GOWORK=off GO111MODULE=on \
		CGO_ENABLED=0 nice -n 10 go "$@"
}

# free_port: print a TCP port that is currently free on 127.0.0.1. Picks from
# 20000-32767, below Linux's default ephemeral range, so outgoing connections
# are unlikely to take it between now and the bind.
free_port() {
	local p _
	for _ in $(seq 1 200); do
		p=$(( 20000 + (RANDOM % 12768) ))
		if ! port_in_use "$p" && ! grep -qx "$p" "${REKOR_PORTS_TAKEN:-/dev/null}" 2>/dev/null; then
			[ -n "${REKOR_PORTS_TAKEN:-}" ] && echo "$p" >>"$REKOR_PORTS_TAKEN"
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
