# METADATA
# title: Dependencies come from approved sources
# description: >-
#   ACME reviews every new dependency source (host and organisation) before
#   use. A module outside the approved prefixes has not been through that
#   review: its licence, maintenance and provenance are unknown.
# custom:
#   id: ACME-MOD-001
#   version: 1.0.0
#   severity: medium
#   remediation: >-
#     Ask the platform team to review the module's source and add its prefix
#     to acme/modules/data.json, or replace the dependency with an approved one.
#   profiles:
#     dev: off
#     ci: warn
#     prod: deny
#   requires: [gomod]
package acme.modules.approved

import data.acme.modules.approved_prefixes
import data.gopolicy.lib

approved(path) if {
	some prefix in approved_prefixes
	startswith(path, prefix)
}

violation contains {
	"msg": sprintf("%s is not from an approved source (approved: %s)", [r.path, concat(", ", approved_prefixes)]),
	"subject": r.path,
	"evidence": [lib.file_evidence(sprintf("/gomod/require/%d", [i]), sprintf("%s %s", [r.path, r.version]), input.gomod.file, r.line)],
} if {
	some i, r in input.gomod.require
	not approved(r.path)
}
