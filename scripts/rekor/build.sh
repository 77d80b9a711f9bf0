#!/usr/bin/env bash
# Build (or reuse) the Rekor v1 stack used by gopolicy's tests:
#   trillian_log_server, trillian_log_signer, createtree  (trillian, -tags mysql)
#   rekor-server, rekor-cli                                (rekor v1)
# into ${XDG_CACHE_HOME:-$HOME/.cache}/gopolicy-ci/rekor/bin.
# Also installs the Debian packages start.sh needs (MariaDB) if missing.
# Idempotent: skips the Go build when the cached binaries carry the same stamp.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh
. "$here/common.sh"

t0=$(date +%s)

# --- Debian packages -------------------------------------------------------
need_pkgs=()
command -v mariadbd >/dev/null 2>&1 || need_pkgs+=(mariadb-server)
command -v mariadb >/dev/null 2>&1 || need_pkgs+=(mariadb-client)
command -v openssl >/dev/null 2>&1 || need_pkgs+=(openssl)
command -v curl >/dev/null 2>&1 || need_pkgs+=(curl)
command -v ss >/dev/null 2>&1 || need_pkgs+=(iproute2)
command -v jq >/dev/null 2>&1 || need_pkgs+=(jq)   # smoke.sh
if [ "${#need_pkgs[@]}" -gt 0 ]; then
	[ "$(id -u)" = 0 ] || die "missing packages ${need_pkgs[*]} and not root to install them"
	log "installing Debian packages: ${need_pkgs[*]}"
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get install -y --no-install-recommends "${need_pkgs[@]}" >/dev/null 2>&1; then
		apt-get update >/dev/null
		apt-get install -y --no-install-recommends "${need_pkgs[@]}" >/dev/null
	fi
	# Debian's postinst may start the system MariaDB if no policy-rc.d blocks
	# it; start.sh runs its own private instance and does not use that one.
fi
command -v mariadbd >/dev/null 2>&1 || die "mariadbd not found after install"

# --- Go binaries ------------------------------------------------------------
command -v go >/dev/null 2>&1 || die "go not found in PATH"
gover="$(hermetic_go env GOVERSION)"
stamp="trillian=$TRILLIAN_VERSION tags=mysql rekor=$REKOR_VERSION ldflags=-s_-w go=$gover $(hermetic_go env GOOS)/$(hermetic_go env GOARCH)"
bins=(trillian_log_server trillian_log_signer createtree rekor-server rekor-cli)

# trillian's MySQL schema, needed by start.sh; kept beside the binaries.
schema="$REKOR_CACHE_DIR/share/trillian-$TRILLIAN_VERSION-storage.sql"
if [ ! -s "$schema" ]; then
	mkdir -p "$REKOR_CACHE_DIR/share"
	tdir="$( (cd / && hermetic_go mod download -json "github.com/google/trillian@$TRILLIAN_VERSION") |
		sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
	[ -f "$tdir/storage/mysql/schema/storage.sql" ] || die "trillian schema not found (module dir '$tdir')"
	cp "$tdir/storage/mysql/schema/storage.sql" "$schema.tmp" && mv "$schema.tmp" "$schema"
fi

have_all=1
for b in "${bins[@]}"; do [ -x "$REKOR_BIN_DIR/$b" ] || have_all=0; done
if [ "$have_all" = 1 ] && [ "$(cat "$REKOR_BIN_DIR/STAMP" 2>/dev/null)" = "$stamp" ]; then
	log "cached binaries up to date ($stamp) in $REKOR_BIN_DIR"
	log "build took $(( $(date +%s) - t0 ))s (nothing to do)"
	exit 0
fi

mkdir -p "$REKOR_CACHE_DIR"
exec 9>"$REKOR_CACHE_DIR/.build.lock"
flock 9   # one build at a time per cache
# Another build may have finished while we waited.
if [ "$(cat "$REKOR_BIN_DIR/STAMP" 2>/dev/null)" = "$stamp" ]; then
	log "cached binaries up to date (built concurrently)"; exit 0
fi

# A throwaway working directory (no go.mod) so that nothing of the caller's
# module, in particular gopolicy's go.mod/go.sum, is read or written:
# `go install pkg@version` builds each tool against its own go.mod (neither
# trillian v1.8.0 nor rekor v1.5.4 has replace directives).
work="$REKOR_CACHE_DIR/work"
stage="$REKOR_CACHE_DIR/bin.new"
rm -rf "$work" "$stage"
mkdir -p "$work" "$stage"
cd "$work"

log "building trillian $TRILLIAN_VERSION (-tags mysql) ..."
GOBIN="$stage" hermetic_go install -trimpath -tags mysql -ldflags "-s -w" \
	"github.com/google/trillian/cmd/trillian_log_server@$TRILLIAN_VERSION" \
	"github.com/google/trillian/cmd/trillian_log_signer@$TRILLIAN_VERSION" \
	"github.com/google/trillian/cmd/createtree@$TRILLIAN_VERSION"
log "trillian done after $(( $(date +%s) - t0 ))s; building rekor $REKOR_VERSION ..."
GOBIN="$stage" hermetic_go install -trimpath \
	-ldflags "-s -w -X sigs.k8s.io/release-utils/version.gitVersion=$REKOR_VERSION" \
	"github.com/sigstore/rekor/cmd/rekor-server@$REKOR_VERSION" \
	"github.com/sigstore/rekor/cmd/rekor-cli@$REKOR_VERSION"

for b in "${bins[@]}"; do [ -x "$stage/$b" ] || die "build produced no $b"; done
echo "$stamp" >"$stage/STAMP"
rm -rf "$REKOR_BIN_DIR.old"
[ -d "$REKOR_BIN_DIR" ] && mv "$REKOR_BIN_DIR" "$REKOR_BIN_DIR.old"
mv "$stage" "$REKOR_BIN_DIR"
rm -rf "$REKOR_BIN_DIR.old" "$work"

log "built into $REKOR_BIN_DIR ($(du -sh "$REKOR_BIN_DIR" | cut -f1))"
log "build took $(( $(date +%s) - t0 ))s"
