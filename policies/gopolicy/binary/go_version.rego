# METADATA
# title: Binary was built with an old Go toolchain
# description: >-
#   Binaries built with an unsupported Go release miss security fixes in the
#   standard library and runtime (distribution packages are often built with
#   a Go several releases behind). The Go project supports the two newest
#   major releases; the default minimum, policy data min_go_version, is the
#   older of the two (1.25 while 1.26 is current).
# custom:
#   id: GP-BIN-013
#   version: 1.1.0
#   severity: medium
#   requires: [binaries]
#   profiles: {dev: warn, ci: warn, prod: deny}
#   remediation: >-
#     Rebuild with a supported Go release: at least the min_go_version in the
#     policy data (by default the older of the two supported releases).
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
