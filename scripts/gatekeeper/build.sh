#!/usr/bin/env bash
# Build (or reuse) Gatekeeper's gator CLI for test/gatekeeper's gator test:
#   gator  (github.com/open-policy-agent/gatekeeper/v3/cmd/gator)
# into ${XDG_CACHE_HOME:-$HOME/.cache}/gopolicy-ci/gatekeeper/bin, and print
# the binary's path on stdout (progress goes to stderr), so that
#   GOPOLICY_GATOR=$(scripts/gatekeeper/build.sh)
# works. Idempotent: skips the build when the cached binary carries the same
# stamp.
set -euo pipefail

# v3.23.1 is the newest release the module proxy serves that builds with
# go1.26 (later ones need go1.27).
GATOR_VERSION="${GOPOLICY_GATOR_VERSION:-v3.23.1}"
CACHE_DIR="${GOPOLICY_GATEKEEPER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gopolicy-ci/gatekeeper}"
BIN_DIR="$CACHE_DIR/bin"

SCRIPT_NAME=gatekeeper
SCRIPT_CACHE_DIR="$CACHE_DIR"
# shellcheck source=../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

t0=$(date +%s)
command -v go >/dev/null 2>&1 || die "go not found in PATH"
command -v flock >/dev/null 2>&1 || die "flock not found in PATH (util-linux)"
gover="$(hermetic_go env GOVERSION)"
stamp="gator=$GATOR_VERSION ldflags=-s_-w go=$gover $(hermetic_go env GOOS)/$(hermetic_go env GOARCH)"

if [ -x "$BIN_DIR/gator" ] && [ "$(cat "$BIN_DIR/STAMP" 2>/dev/null)" = "$stamp" ]; then
	log "cached gator up to date ($stamp)"
	echo "$BIN_DIR/gator"
	exit 0
fi

mkdir -p "$CACHE_DIR"
exec 9>"$CACHE_DIR/.build.lock"
flock 9 # one build at a time per cache
# Another build may have finished while we waited.
if [ -x "$BIN_DIR/gator" ] && [ "$(cat "$BIN_DIR/STAMP" 2>/dev/null)" = "$stamp" ]; then
	log "cached gator up to date (built concurrently)"
	echo "$BIN_DIR/gator"
	exit 0
fi

# A throwaway working directory (no go.mod) so that nothing of the caller's
# module is read or written: `go install pkg@version` builds gator against
# Gatekeeper's own go.mod, which has no replace directives.
work="$CACHE_DIR/work"
stage="$CACHE_DIR/bin.new"
rm -rf "$work" "$stage"
mkdir -p "$work" "$stage"
cd "$work"

log "building gator $GATOR_VERSION ..."
GOBIN="$stage" hermetic_go install -trimpath -ldflags "-s -w" \
	"github.com/open-policy-agent/gatekeeper/v3/cmd/gator@$GATOR_VERSION"
[ -x "$stage/gator" ] || die "build produced no gator"
"$stage/gator" --help >/dev/null || die "the built gator does not run"
echo "$stamp" >"$stage/STAMP"
rm -rf "$BIN_DIR.old"
[ -d "$BIN_DIR" ] && mv "$BIN_DIR" "$BIN_DIR.old"
mv "$stage" "$BIN_DIR"
rm -rf "$BIN_DIR.old" "$work"

log "built $BIN_DIR/gator ($(du -sh "$BIN_DIR/gator" | cut -f1)) in $(($(date +%s) - t0))s"
echo "$BIN_DIR/gator"
