#!/usr/bin/env bash
# Build (or reuse) Rekor v2 (rekor-tiles, POSIX storage backend: no database)
# into ${XDG_CACHE_HOME:-$HOME/.cache}/gopolicy-ci/rekor/v2-bin/rekor-tiles-posix.
# Idempotent: skips the build when the cached binary carries the same stamp.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh
. "$here/common.sh"

t0=$(date +%s)
command -v openssl >/dev/null 2>&1 && command -v curl >/dev/null 2>&1 && command -v ss >/dev/null 2>&1 || {
	[ "$(id -u)" = 0 ] || die "need openssl, curl and ss (iproute2)"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y --no-install-recommends openssl curl iproute2 >/dev/null 2>&1 ||
		{ apt-get update >/dev/null && apt-get install -y --no-install-recommends openssl curl iproute2 >/dev/null; }
}
command -v go >/dev/null 2>&1 || die "go not found in PATH"

gover="$(hermetic_go env GOVERSION)"
stamp="rekor-tiles=$REKOR_TILES_VERSION cmd=posix ldflags=-s_-w go=$gover $(hermetic_go env GOOS)/$(hermetic_go env GOARCH)"
if [ -x "$REKOR_V2_BIN_DIR/rekor-tiles-posix" ] && [ "$(cat "$REKOR_V2_BIN_DIR/STAMP" 2>/dev/null)" = "$stamp" ]; then
	log "cached rekor v2 binary up to date ($stamp) in $REKOR_V2_BIN_DIR"
	log "build took $(( $(date +%s) - t0 ))s (nothing to do)"
	exit 0
fi

mkdir -p "$REKOR_CACHE_DIR"
exec 9>"$REKOR_CACHE_DIR/.build-v2.lock"
flock 9
if [ "$(cat "$REKOR_V2_BIN_DIR/STAMP" 2>/dev/null)" = "$stamp" ]; then
	log "cached rekor v2 binary up to date (built concurrently)"; exit 0
fi

work="$REKOR_CACHE_DIR/work-v2"
stage="$REKOR_CACHE_DIR/v2-bin.new"
rm -rf "$work" "$stage"; mkdir -p "$work" "$stage"
cd "$work"   # no go.mod here: nothing of the caller's module is touched
log "building rekor-tiles $REKOR_TILES_VERSION cmd/rekor-server/posix ..."
GOBIN="$stage" hermetic_go install -trimpath \
	-ldflags "-s -w -X sigs.k8s.io/release-utils/version.gitVersion=$REKOR_TILES_VERSION" \
	"github.com/sigstore/rekor-tiles/v2/cmd/rekor-server/posix@$REKOR_TILES_VERSION"
[ -x "$stage/posix" ] || die "build produced no binary"
mv "$stage/posix" "$stage/rekor-tiles-posix"
echo "$stamp" >"$stage/STAMP"
rm -rf "$REKOR_V2_BIN_DIR.old"
[ -d "$REKOR_V2_BIN_DIR" ] && mv "$REKOR_V2_BIN_DIR" "$REKOR_V2_BIN_DIR.old"
mv "$stage" "$REKOR_V2_BIN_DIR"
rm -rf "$REKOR_V2_BIN_DIR.old" "$work"
log "built into $REKOR_V2_BIN_DIR ($(du -sh "$REKOR_V2_BIN_DIR" | cut -f1))"
log "build took $(( $(date +%s) - t0 ))s"
