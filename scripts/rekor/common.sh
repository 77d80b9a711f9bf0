# shellcheck shell=bash
# shellcheck disable=SC2034  # the variables are used by the scripts that source this file
# Shared settings for scripts/rekor/*.sh. Source it; do not run it.

REKOR_VERSION="${GOPOLICY_REKOR_VERSION:-v1.5.4}"      # v1.5.5 needs go1.27
TRILLIAN_VERSION="${GOPOLICY_TRILLIAN_VERSION:-v1.8.0}"
REKOR_TILES_VERSION="${GOPOLICY_REKOR_TILES_VERSION:-v2.3.0}"  # v2.4 needs go1.27

REKOR_CACHE_DIR="${GOPOLICY_REKOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gopolicy-ci/rekor}"
REKOR_BIN_DIR="$REKOR_CACHE_DIR/bin"
REKOR_V2_BIN_DIR="$REKOR_CACHE_DIR/v2-bin"

SCRIPT_NAME=rekor
SCRIPT_CACHE_DIR="$REKOR_CACHE_DIR"
# shellcheck source=../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
