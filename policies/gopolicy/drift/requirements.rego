# METADATA
# title: go.mod requirements differ between environments
# description: >-
#   A module is required at a different version, or only in some of the
#   environments compared: they built different dependency graphs.
# custom:
#   drift_id: GP-DRIFT-004
#   version: 1.0.0
#   severity: medium
#   profiles: {dev: warn, ci: warn, prod: deny}
#   remediation: >-
#     Build every environment from the same commit; a go.mod edited by the
#     build (go get, -mod=mod) shows up here.
package gopolicy.drift.requirements

import data.gopolicy.drift.lib

finding contains {
	"msg": sprintf("%s is required differently: %s", [d.key, lib.values_text(d)]),
	"subject": d.key,
	"evidence": lib.evidence(d),
} if {
	some d in lib.differences("gomod")
}
