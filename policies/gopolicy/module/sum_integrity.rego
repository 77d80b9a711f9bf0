# METADATA
# title: go.sum is malformed or records conflicting hashes
# description: >-
#   A go.sum line with other than three fields makes the go command refuse the
#   whole file. Two different h1: hashes for one module version mean one of
#   them is not what was reviewed: the go command reports a checksum mismatch
#   when it verifies that module. Lines with other hash algorithms are
#   ignored, as the go command ignores them. In vendor mode go.sum is not
#   read; in a workspace GP-MOD-009 checks all the workspace's sum files
#   together.
# custom:
#   id: GP-MOD-002
#   version: 1.1.0
#   severity: high
#   requires: [gomod, gosum, goenv, gowork]
#   profiles: {dev: deny, ci: deny, prod: deny}
#   remediation: >-
#     Delete the offending lines and run `go mod tidy`; investigate where a
#     conflicting hash came from before trusting either.
package gopolicy.policies.module.sum_integrity

import data.gopolicy.lib

# reads_sums: the go command reads go.sum in this mode (every mode but
# vendor). Documents before 0.4 have no mode: judged as 0.3 did.
reads_sums if not lib.build_mode

reads_sums if lib.build_mode.mode in {"readonly", "mod", "unknown"}

violation contains {
	"msg": sprintf("go.sum line %d is malformed: %s", [m.line, m.reason]),
	"subject": sprintf("line %d", [m.line]),
	"evidence": [lib.file_evidence(sprintf("/gosum/malformed/%d", [i]), m.text, input.gosum.file, m.line)],
} if {
	reads_sums
	some i, m in input.gosum.malformed
}

violation contains {
	"msg": sprintf("go.sum has %d more malformed lines", [input.gosum.malformed_more]),
	"subject": "more lines",
	"evidence": [{"fact": "/gosum/malformed_more", "value": input.gosum.malformed_more, "source": input.gosum.file, "file": input.gosum.file}],
} if {
	reads_sums
	input.gosum.malformed_more > 0
}

# The module's own go.sum, outside a workspace.
violation contains {
	"msg": sprintf("go.sum records %d different hashes for %s %s%s (lines %s)", [count({h.hash | some h in c.hashes}), c.module, c.version, suffix(c), concat(", ", [sprintf("%d", [h.line]) | some h in c.hashes])]),
	"subject": sprintf("%s@%s", [c.module, c.version]),
	"evidence": [lib.file_evidence(sprintf("/gosum/conflicts/%d/hashes/%d", [i, j]), h.hash, input.gosum.file, h.line) | some j, h in c.hashes],
} if {
	reads_sums
	not workspace
	some i, c in input.gosum.conflicts
}

workspace if lib.build_mode.workspace

suffix(c) := "/go.mod" if c.go_mod

else := ""
