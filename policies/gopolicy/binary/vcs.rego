# METADATA
# title: Release binary built from a modified tree or without VCS stamping
# description: >-
#   vcs.modified=true means the binary contains changes no commit records;
#   no vcs settings at all (-buildvcs=false, or a build outside a checkout)
#   means nobody can tell which commit it came from.
# custom:
#   id: GP-BIN-010
#   version: 1.0.0
#   severity: medium
#   requires: [binaries]
#   profiles: {dev: off, ci: warn, prod: deny}
#   remediation: >-
#     Build release binaries from a clean checkout with VCS stamping on (the
#     default; remove -buildvcs=false).
package gopolicy.policies.binary.vcs

import data.gopolicy.lib

violation contains {
	"msg": sprintf("%s was built from a modified working tree (vcs.modified=true, revision %s)", [b.path, object.get(b.go, "vcs_revision", "unknown")]),
	"subject": b.path,
	"evidence": [lib.binary_evidence(i, "go/vcs_modified", "true")],
} if {
	some i, b in input.binaries
	b.go.vcs_modified == "true"
}

violation contains {
	"msg": sprintf("%s carries no VCS information (built with -buildvcs=false or outside a repository)", [b.path]),
	"subject": b.path,
	"evidence": [lib.binary_evidence(i, "go/vcs", null)],
} if {
	some i, b in input.binaries
	b.go.is_go
	b.go.has_module_info
	not b.go.vcs
}
