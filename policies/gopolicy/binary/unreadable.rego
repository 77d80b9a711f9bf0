# METADATA
# title: File could not be analysed as a binary
# description: >-
#   A file given with --binary that is truncated, corrupt or not an ELF, PE
#   or Mach-O executable cannot be checked by any other binary policy. It is
#   reported rather than skipped.
# custom:
#   id: GP-BIN-014
#   version: 1.0.0
#   severity: medium
#   requires: [binaries]
#   profiles: {dev: warn, ci: warn, prod: deny}
#   remediation: >-
#     Point --binary at the built executables only, and rebuild any that are
#     truncated or corrupt.
package gopolicy.policies.binary.unreadable

import data.gopolicy.lib

violation contains {
	"msg": sprintf("%s could not be analysed: %s", [b.path, b.error]),
	"subject": b.path,
	"evidence": [lib.binary_evidence(i, "error", b.error)],
} if {
	some i, b in input.binaries
	b.error
}
