#!/usr/bin/env bash
# Stop the Rekor v2 server started by scripts/rekor/v2-start.sh STATE_DIR.
# (Same mechanism as stop.sh: pid files under STATE_DIR/pids.)
exec "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/stop.sh" "$@"
