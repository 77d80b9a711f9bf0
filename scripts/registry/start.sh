#!/bin/sh
# start.sh DIR [PORT]: run Debian's docker-registry (distribution) on
# 127.0.0.1 with storage and a config file of its own in DIR, and wait
# until it answers. Prints the address (127.0.0.1:PORT); export it as
# GOPOLICY_REGISTRY to run the registry tests:
#   export GOPOLICY_REGISTRY=$(scripts/registry/start.sh /tmp/reg)
#   go test ./pkg/serve/... ; scripts/registry/stop.sh /tmp/reg
set -eu
dir=${1:?usage: start.sh DIR [PORT]}
port=${2:-5077}
bin=$(command -v docker-registry || command -v registry || true)
if [ -z "$bin" ]; then
	echo "start.sh: docker-registry not found (apt-get install -y docker-registry)" >&2
	exit 1
fi
mkdir -p "$dir/storage"
dir=$(cd "$dir" && pwd)
cat >"$dir/config.yml" <<CONF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
http:
  addr: 127.0.0.1:$port
  headers:
    X-Content-Type-Options: [nosniff]
CONF
"$bin" serve "$dir/config.yml" >"$dir/registry.log" 2>&1 &
echo $! >"$dir/registry.pid"
i=0
until curl -fsS "http://127.0.0.1:$port/v2/" >/dev/null 2>&1; do
	i=$((i + 1))
	if [ $i -gt 100 ]; then
		echo "start.sh: the registry did not start; see $dir/registry.log" >&2
		cat "$dir/registry.log" >&2
		exit 1
	fi
	sleep 0.1
done
echo "127.0.0.1:$port"
