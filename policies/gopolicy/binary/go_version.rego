# METADATA
# title: Binary was built with an old Go toolchain
# description: >-
#   Binaries built with an unsupported Go release miss security fixes in the
#   standard library and runtime (distribution packages are often built with
#   a Go several releases behind). The minimum is organisation data
#   (config "min_go_version").
# custom:
#   id: GP-BIN-013
#   version: 1.0.0
#   severity: medium
#   requires: [binaries]
#   profiles: {dev: warn, ci: warn, prod: deny}
#   remediation: Rebuild with a supported Go release (the two newest are supported).
package gopolicy.policies.binary.go_version

import data.gopolicy.lib

violation contains {
	"msg": sprintf("%s was built with %s, older than the minimum go%s", [b.path, b.go.go_version, min]),
	"subject": b.path,
	"evidence": [lib.binary_evidence(i, "go/go_version", b.go.go_version)],
} if {
	min := data.gopolicy.config.min_go_version
	some i, b in input.binaries
	b.go.go_version_base
	lib.go_newer(min, b.go.go_version_base)
}
