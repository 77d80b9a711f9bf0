#!/usr/bin/env bash
# Build (or reuse) cosign into ${XDG_CACHE_HOME:-$HOME/.cache}/gopolicy-ci/cosign/bin
# and print the binary's path. The interoperability tests run it against
# attestations gopolicy pushed, to prove cosign users find them where they
# look. Idempotent: skips the build when the cached binary carries the same
# stamp.
set -euo pipefail

version="${GOPOLICY_COSIGN_VERSION:-v3.1.3}"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/gopolicy-ci/cosign"
bin="$cache/bin"
SCRIPT_NAME=cosign
SCRIPT_CACHE_DIR="$cache"
# shellcheck source=../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
mkdir -p "$cache"

stamp="cosign=$version ldflags=-s_-w go=$(hermetic_go env GOVERSION) $(hermetic_go env GOOS)/$(hermetic_go env GOARCH)"
if [ -x "$bin/cosign" ] && [ "$(cat "$bin/STAMP" 2>/dev/null)" = "$stamp" ]; then
	echo "$bin/cosign"; exit 0
fi

exec 9>"$cache/.build.lock"
flock 9
if [ -x "$bin/cosign" ] && [ "$(cat "$bin/STAMP" 2>/dev/null)" = "$stamp" ]; then
	echo "$bin/cosign"; exit 0
fi

t0=$(date +%s)
work=$(mktemp -d "$cache/work.XXXXXX")
stage="$cache/bin.new"
rm -rf "$stage"; mkdir -p "$stage"
trap 'rm -rf "$work" "$stage"' EXIT
cd "$work" # no go.mod here: nothing of the caller's module is touched
major="${version%%.*}"
log "building github.com/sigstore/cosign/$major/cmd/cosign@$version ..."
GOBIN="$stage" hermetic_go install -trimpath -ldflags "-s -w" "github.com/sigstore/cosign/$major/cmd/cosign@$version"
[ -x "$stage/cosign" ] || die "build produced no binary"
echo "$stamp" >"$stage/STAMP"
rm -rf "$bin"
mv "$stage" "$bin"
log "built in $(( $(date +%s) - t0 ))s"
echo "$bin/cosign"
