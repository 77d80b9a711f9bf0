#!/usr/bin/env bash
# Build (or reuse) the kube-apiserver used by gopolicy's admission webhook
# tests into ${XDG_CACHE_HOME:-$HOME/.cache}/gopolicy-ci/kube/bin, and install
# Debian's etcd-server (the apiserver's storage) if etcd is missing.
# Idempotent: skips the Go build when the cached binary carries the same stamp.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh
. "$here/common.sh"

t0=$(date +%s)

# --- Debian packages -------------------------------------------------------
need_pkgs=()
command -v etcd >/dev/null 2>&1 || need_pkgs+=(etcd-server)
command -v openssl >/dev/null 2>&1 || need_pkgs+=(openssl)
command -v curl >/dev/null 2>&1 || need_pkgs+=(curl)
command -v ss >/dev/null 2>&1 || need_pkgs+=(iproute2)
if [ "${#need_pkgs[@]}" -gt 0 ]; then
	log "installing Debian packages: ${need_pkgs[*]}"
	as_root apt-get update >/dev/null
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y "${need_pkgs[@]}" >/dev/null
	# Debian's postinst may start a system etcd on 127.0.0.1:2379 where no
	# policy-rc.d blocks it; start.sh runs its own instance on other ports.
fi
command -v etcd >/dev/null 2>&1 || die "etcd not found after installing etcd-server"

# --- kube-apiserver ----------------------------------------------------------
command -v go >/dev/null 2>&1 || die "go not found in PATH"
gover="$(hermetic_go env GOVERSION)"
stamp="kubernetes=$KUBE_VERSION staging=$KUBE_STAGING_VERSION ldflags=-s_-w go=$gover $(hermetic_go env GOOS)/$(hermetic_go env GOARCH)"
bin="$KUBE_BIN_DIR/kube-apiserver"

if [ -x "$bin" ] && [ "$(cat "$KUBE_BIN_DIR/STAMP" 2>/dev/null)" = "$stamp" ]; then
	log "cached kube-apiserver up to date ($stamp) in $KUBE_BIN_DIR"
	log "build took $(( $(date +%s) - t0 ))s (nothing to do)"
	exit 0
fi

mkdir -p "$KUBE_CACHE_DIR"
exec 9>"$KUBE_CACHE_DIR/.build.lock"
flock 9   # one build at a time per cache
# Another build may have finished while we waited.
if [ -x "$bin" ] && [ "$(cat "$KUBE_BIN_DIR/STAMP" 2>/dev/null)" = "$stamp" ]; then
	log "cached kube-apiserver up to date (built concurrently)"; exit 0
fi

# `go install k8s.io/kubernetes/cmd/kube-apiserver@VERSION` refuses: kubernetes'
# go.mod replaces every k8s.io staging module with a directory of its own
# tree. A throwaway wrapper module (outside any checkout, so gopolicy's
# go.mod/go.sum are never read or written) requires kubernetes and points
# each of those replacements at the staging module's published release
# instead, which is the same source.
work="$(mktemp -d "$KUBE_CACHE_DIR/work.XXXXXX")"
stage="$KUBE_CACHE_DIR/bin.new"
trap 'rm -rf "$work"' EXIT
rm -rf "$stage"
mkdir -p "$stage"

kmod="$( (cd / && hermetic_go mod download -json "k8s.io/kubernetes@$KUBE_VERSION") |
	sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
[ -s "$kmod" ] || die "could not download k8s.io/kubernetes@$KUBE_VERSION's go.mod"
staging="$(sed -n 's#^[[:space:]]*\(k8s\.io/[^[:space:]]*\) => \./staging/src/k8s\.io/.*#\1#p' "$kmod")"
[ -n "$staging" ] || die "no staging replacements found in $kmod"

cd "$work"
{
	echo "module gopolicy-ci/kube-apiserver"
	echo
	# Same language version and GODEBUG defaults as kubernetes' own build.
	grep -E '^(go|godebug) ' "$kmod"
	echo
	echo "require k8s.io/kubernetes $KUBE_VERSION"
	echo
	echo "replace ("
	for m in $staging; do echo "	$m => $m $KUBE_STAGING_VERSION"; done
	echo ")"
} >go.mod
log "wrapper module: $(echo "$staging" | wc -l) staging modules at $KUBE_STAGING_VERSION"

log "resolving k8s.io/kubernetes/cmd/kube-apiserver@$KUBE_VERSION ..."
hermetic_go get "k8s.io/kubernetes/cmd/kube-apiserver@$KUBE_VERSION"
log "resolved after $(( $(date +%s) - t0 ))s; building ..."

# The version variables hack/lib/version.sh sets; the apiserver reports them
# at /version.
minor="${KUBE_VERSION#v1.}"; minor="${minor%%.*}"
vpkg=k8s.io/component-base/version
ldflags="-s -w -X $vpkg.gitVersion=$KUBE_VERSION -X $vpkg.gitMajor=1 -X $vpkg.gitMinor=$minor -X $vpkg.gitTreeState=clean"
hermetic_go build -trimpath -ldflags "$ldflags" -o "$stage/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver

"$stage/kube-apiserver" --version | grep -qxF "Kubernetes $KUBE_VERSION" ||
	die "built kube-apiserver reports '$("$stage/kube-apiserver" --version)', want Kubernetes $KUBE_VERSION"
echo "$stamp" >"$stage/STAMP"
rm -rf "$KUBE_BIN_DIR.old"
[ -d "$KUBE_BIN_DIR" ] && mv "$KUBE_BIN_DIR" "$KUBE_BIN_DIR.old"
mv "$stage" "$KUBE_BIN_DIR"
rm -rf "$KUBE_BIN_DIR.old"

log "built into $KUBE_BIN_DIR ($(du -sh "$KUBE_BIN_DIR" | cut -f1))"
log "build took $(( $(date +%s) - t0 ))s"
