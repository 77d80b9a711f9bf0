# METADATA
# title: go.sum is malformed or records conflicting hashes
# description: >-
#   A go.sum line the go command cannot parse breaks every build, and two
#   different hashes for one module version mean one of them is not what was
#   reviewed: the go command refuses such a go.sum.
# custom:
#   id: GP-MOD-002
#   version: 1.0.0
#   severity: high
#   requires: [gomod, gosum]
#   profiles: {dev: deny, ci: deny, prod: deny}
#   remediation: >-
#     Delete the offending lines and run `go mod tidy`; investigate where a
#     conflicting hash came from before trusting either.
package gopolicy.policies.module.sum_integrity

import data.gopolicy.lib

violation contains {
	"msg": sprintf("go.sum line %d is malformed: %s", [m.line, m.reason]),
	"subject": sprintf("line %d", [m.line]),
	"evidence": [lib.file_evidence(sprintf("/gosum/malformed/%d", [i]), m.text, input.gosum.file, m.line)],
} if {
	some i, m in input.gosum.malformed
}

violation contains {
	"msg": sprintf("go.sum records %d different hashes for %s %s%s (lines %s)", [count({h.hash | some h in c.hashes}), c.module, c.version, suffix(c), concat(", ", [sprintf("%d", [h.line]) | some h in c.hashes])]),
	"subject": sprintf("%s@%s", [c.module, c.version]),
	"evidence": [lib.file_evidence(sprintf("/gosum/conflicts/%d/hashes/%d", [i, j]), h.hash, input.gosum.file, h.line) | some j, h in c.hashes],
} if {
	some i, c in input.gosum.conflicts
}

suffix(c) := "/go.mod" if c.go_mod

else := ""
