# METADATA
# title: vendor/modules.txt is inconsistent with go.mod
# description: >-
#   The go command refuses to build from a vendor directory that disagrees
#   with go.mod ("inconsistent vendoring"), and with -mod=mod the stale
#   vendor tree silently misleads every reviewer.
# custom:
#   id: GP-MOD-004
#   version: 1.0.0
#   severity: high
#   requires: [gomod, vendor]
#   profiles: {dev: warn, ci: deny, prod: deny}
#   remediation: >-
#     Run `go mod vendor` and commit the result.
package gopolicy.policies.module.vendor_consistency

import data.gopolicy.lib

violation contains {
	"msg": sprintf("%s [%s]", [v.message, v.rule]),
	"subject": v.module,
	"evidence": [lib.file_evidence(sprintf("/vendor/violations/%d", [i]), v.module, v.file, v.line)],
} if {
	some i, v in input.vendor.violations
}
