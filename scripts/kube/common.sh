# shellcheck shell=bash
# shellcheck disable=SC2034  # the variables are used by the scripts that source this file
# Shared settings for scripts/kube/*.sh. Source it; do not run it.

KUBE_VERSION="${GOPOLICY_KUBE_VERSION:-v1.37.1}"
# The staging modules (k8s.io/api, k8s.io/apiserver, ...) are published as
# v0.MINOR.PATCH for kubernetes v1.MINOR.PATCH.
KUBE_STAGING_VERSION="v0.${KUBE_VERSION#v1.}"

KUBE_CACHE_DIR="${GOPOLICY_KUBE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gopolicy-ci/kube}"
KUBE_BIN_DIR="$KUBE_CACHE_DIR/bin"

SCRIPT_NAME=kube
SCRIPT_CACHE_DIR="$KUBE_CACHE_DIR"
# shellcheck source=../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
