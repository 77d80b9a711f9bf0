# METADATA
# title: Release binary built without -trimpath
# description: >-
#   Without -trimpath the binary records the build machine's file system
#   paths (and the full -ldflags), leaks them to anyone who has the file,
#   and cannot be reproduced byte for byte elsewhere.
# custom:
#   id: GP-BIN-009
#   version: 1.0.0
#   severity: low
#   requires: [binaries]
#   profiles: {dev: off, ci: warn, prod: deny}
#   remediation: Build release binaries with `go build -trimpath`.
package gopolicy.policies.binary.trimpath

import data.gopolicy.lib

violation contains {
	"msg": sprintf("%s was built without -trimpath", [b.path]),
	"subject": b.path,
	"evidence": [lib.binary_evidence(i, "go/trimpath", false)],
} if {
	some i, b in input.binaries
	b.go.is_go
	not b.go.trimpath
}
