# METADATA
# title: go.sum lacks hashes for required modules
# description: >-
#   Every module go.mod requires needs its zip hash (h1:) and its go.mod hash
#   in go.sum. Without them a build on a clean machine fails, or, with
#   -mod=mod, fetches and trusts whatever it gets.
# custom:
#   id: GP-MOD-001
#   version: 1.0.0
#   severity: high
#   requires: [gomod, gosum]
#   profiles: {dev: warn, ci: deny, prod: deny}
#   remediation: >-
#     Run `go mod tidy` (or `go mod download MODULE`) and commit go.sum.
package gopolicy.policies.module.sum_missing

import data.gopolicy.lib

violation contains {
	"msg": sprintf("go.sum has no %s line for %s %s (required at go.mod line %d)", [kind_text[m.kind], m.module, m.version, m.require_line]),
	"subject": sprintf("%s@%s", [m.module, m.version]),
	"evidence": [lib.file_evidence(sprintf("/gosum/missing/%d", [i]), sprintf("%s %s", [m.module, m.version]), input.gomod.file, m.require_line)],
} if {
	some i, m in input.gosum.missing
}

kind_text := {"h1": "h1: (module zip hash)", "go.mod": "/go.mod hash"}
