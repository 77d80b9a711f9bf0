#!/usr/bin/env bash
# debian-go-binaries.sh DIR: real Go executables for gopolicy's binary tests.
#
# Downloads Debian packages of Go programs (apt-get download: no install,
# nothing runs), unpacks them, and copies every Go executable they ship
# into DIR as PACKAGE--NAME, with DIR/MANIFEST listing package, version,
# file and SHA-256. Packages are cached under
# ${XDG_CACHE_HOME:-$HOME/.cache}/gopolicy-ci/debian-bin, so a second run
# downloads nothing; running it again gives the same DIR. Tests that use
# the binaries read GOPOLICY_DEBIAN_BINARIES=DIR and skip when it is unset.
#
# Needs apt-get, apt-cache and dpkg-deb (Debian or Ubuntu); runs
# `apt-get update` first when the package lists are missing or older than
# a day (as root; otherwise it uses the lists it finds).
set -euo pipefail

usage() { echo "usage: $0 DIR" >&2; exit 2; }
[ $# -eq 1 ] || usage
out=$1

packages=(restic age rclone syncthing containerd runc docker.io)

cache=${XDG_CACHE_HOME:-$HOME/.cache}/gopolicy-ci/debian-bin
mkdir -p "$cache/debs" "$out"

for tool in apt-get apt-cache dpkg-deb; do
	command -v "$tool" >/dev/null || { echo "$0: $tool not found: this needs Debian's package tools" >&2; exit 1; }
done

# Refresh the package lists once a day at most.
lists=/var/lib/apt/lists
if [ "$(id -u)" = 0 ] && { [ -z "$(find "$lists" -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null | head -1)" ]; }; then
	apt-get update -qq
fi

# is_go reports whether a file is a Go executable: an ELF file carrying
# the Go build information marker (what debug/buildinfo looks for).
is_go() {
	[ "$(head -c 4 "$1" | od -An -c | tr -d ' ')" = '177ELF' ] || return 1
	LC_ALL=C grep -qa 'Go buildinf:' "$1"
}

manifest=$(mktemp)
trap 'rm -f "$manifest"' EXIT
for pkg in "${packages[@]}"; do
	version=$(apt-cache policy "$pkg" | awk '/Candidate:/ {print $2}')
	if [ -z "$version" ] || [ "$version" = "(none)" ]; then
		echo "$0: package $pkg is not available from apt here; skipped" >&2
		continue
	fi
	# Debian writes an epoch's colon as %3a in file names.
	deb="$cache/debs/${pkg}_${version//:/%3a}_$(dpkg --print-architecture).deb"
	if [ ! -s "$deb" ]; then
		(cd "$cache/debs" && apt-get download -qq "$pkg=$version" 2>/dev/null) || {
			echo "$0: apt-get download $pkg=$version failed" >&2
			exit 1
		}
	fi
	[ -s "$deb" ] || deb=$(ls -t "$cache/debs/${pkg}_"*.deb | head -1)
	unpacked="$cache/unpacked/$pkg-$version"
	if [ ! -d "$unpacked" ]; then
		rm -rf "$unpacked.tmp"
		mkdir -p "$unpacked.tmp"
		dpkg-deb -x "$deb" "$unpacked.tmp"
		mv "$unpacked.tmp" "$unpacked"
	fi
	while IFS= read -r -d '' f; do
		is_go "$f" || continue
		name="$pkg--$(basename "$f")"
		if ! cmp -s "$f" "$out/$name"; then
			cp "$f" "$out/$name.tmp"
			chmod 0755 "$out/$name.tmp"
			mv "$out/$name.tmp" "$out/$name"
		fi
		printf '%s\t%s\t%s\t%s\n' "$pkg" "$version" "$name" "$(sha256sum "$out/$name" | cut -d' ' -f1)" >>"$manifest"
	done < <(find "$unpacked/usr/bin" "$unpacked/usr/sbin" "$unpacked/usr/libexec" -type f -print0 2>/dev/null | sort -z)
done

if [ ! -s "$manifest" ]; then
	echo "$0: no Go executable found in ${packages[*]}" >&2
	exit 1
fi
sort "$manifest" >"$out/MANIFEST"
echo "$0: $(wc -l <"$out/MANIFEST") Go executables in $out"
