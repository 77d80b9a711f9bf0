# METADATA
# title: Binary is built for another platform than its target
# description: >-
#   A binary whose format, GOOS or GOARCH does not match where it will run
#   fails with "exec format error": a Windows PE shipped to a Linux host, an
#   arm64 binary on amd64. The file's own headers are judged, not the
#   pipeline's settings.
# custom:
#   id: GP-BIN-001
#   version: 1.1.0
#   severity: high
#   requires: [binaries, target]
#   profiles: {dev: deny, ci: deny, prod: deny}
#   remediation: >-
#     Build with GOOS and GOARCH set to the target's values, or pass the real
#     deployment platform with --target.
package gopolicy.policies.binary.platform

import data.gopolicy.lib

macho_systems := {"darwin", "ios"}

want_format := "pe" if lib.target_os == "windows"

else := "macho" if lib.target_os in macho_systems

else := "elf"

violation contains {
	"msg": sprintf("%s is %s (GOOS=%s) but %s is %s/%s", [b.path, lib.format_name[b.format], object.get(b, ["go", "goos"], "unknown"), lib.target_label, lib.target_os, lib.target_arch]),
	"subject": b.path,
	"evidence": [lib.binary_evidence(i, "format", b.format), lib.binary_evidence(i, "go/goos", object.get(b, ["go", "goos"], null))],
} if {
	some i, b in input.binaries
	b.format in {"elf", "pe", "macho"}
	b.format != want_format
}

violation contains {
	"msg": sprintf("%s is built for %s but %s is %s/%s", [b.path, arch, lib.target_label, lib.target_os, lib.target_arch]),
	"subject": b.path,
	"evidence": [lib.binary_evidence(i, sprintf("%s/goarch", [b.format]), arch)],
} if {
	some i, b in input.binaries
	b.format == want_format
	arch := lib.binary_arch(b)
	arch != lib.target_arch
}
