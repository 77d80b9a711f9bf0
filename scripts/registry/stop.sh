#!/bin/sh
# stop.sh DIR: stop the registry start.sh started in DIR (by its pid).
set -eu
dir=${1:?usage: stop.sh DIR}
if [ -f "$dir/registry.pid" ]; then
	kill "$(cat "$dir/registry.pid")" 2>/dev/null || true
	rm -f "$dir/registry.pid"
fi
