# shellcheck shell=bash
# shellcheck disable=SC2034  # the variables are used by the scripts that source this file
# Shared settings for scripts/kube/*.sh. Source it; do not run it.

KUBE_VERSION="${GOPOLICY_KUBE_VERSION:-v1.37.1}"
# The staging modules (k8s.io/api, k8s.io/apiserver, ...) are published as
# v0.MINOR.PATCH for kubernetes v1.MINOR.PATCH.
KUBE_STAGING_VERSION="v0.${KUBE_VERSION#v1.}"

KUBE_CACHE_DIR="${GOPOLICY_KUBE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gopolicy-ci/kube}"
KUBE_BIN_DIR="$KUBE_CACHE_DIR/bin"

log() { printf '[kube %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf '[kube] ERROR: %s\n' "$*" >&2; exit 1; }

# Every go invocation is hermetic: an empty GOENV file, no inherited GOFLAGS,
# the local toolchain only. GOPATH/GOMODCACHE/GOCACHE keep their defaults so
# the module and build caches are shared with the rest of the machine.
hermetic_go() {
	mkdir -p "$KUBE_CACHE_DIR"
	local goenv="$KUBE_CACHE_DIR/goenv.empty"
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
		if ! port_in_use "$p" && ! grep -qx "$p" "${KUBE_PORTS_TAKEN:-/dev/null}" 2>/dev/null; then
			[ -n "${KUBE_PORTS_TAKEN:-}" ] && echo "$p" >>"$KUBE_PORTS_TAKEN"
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
