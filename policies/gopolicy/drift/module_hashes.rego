# METADATA
# title: Environments resolve a module to different hashes
# description: >-
#   The same module version is recorded in go.sum with a different hash in
#   two environments: they did not build from the same module content.
# custom:
#   drift_id: GP-DRIFT-002
#   version: 1.0.0
#   severity: critical
#   profiles: {dev: deny, ci: deny, prod: deny}
#   remediation: >-
#     Find which go.sum is wrong (compare with the checksum database, go mod
#     verify), fix it in the repository, and fetch modules through the same
#     proxy with GOSUMDB on everywhere.
package gopolicy.drift.module_hashes

import data.gopolicy.drift.lib

finding contains {
	"msg": sprintf("%s has different hashes: %s", [d.key, lib.values_text(d)]),
	"subject": d.key,
	"evidence": lib.evidence(d),
} if {
	some d in lib.differences("gosum")
}
