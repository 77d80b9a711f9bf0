# METADATA
# title: The Go toolchain differs between environments
# description: >-
#   The go command's version, the GOTOOLCHAIN mode, or go.mod's go and
#   toolchain lines are not the same in the environments compared.
# custom:
#   drift_id: GP-DRIFT-003
#   version: 1.0.0
#   severity: high
#   profiles: {dev: warn, ci: deny, prod: deny}
#   remediation: >-
#     Pin one toolchain (go.mod's toolchain line with GOTOOLCHAIN=local, or
#     the same Go image) for every environment that builds the module.
package gopolicy.drift.toolchain

import data.gopolicy.drift.lib

finding contains {
	"msg": sprintf("%s differs between environments: %s", [d.key, lib.values_text(d)]),
	"subject": d.key,
	"evidence": lib.evidence(d),
} if {
	some d in lib.differences("toolchain")
}
