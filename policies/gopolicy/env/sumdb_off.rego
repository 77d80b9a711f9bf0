# METADATA
# title: Checksum database verification is switched off
# description: >-
#   With GOSUMDB=off the go command no longer checks downloaded modules against
#   the checksum database, so a tampered proxy, mirror or cache goes unnoticed.
# custom:
#   id: GP-ENV-001
#   version: 1.0.0
#   severity: high
#   requires: [goenv]
#   profiles: {dev: warn, ci: warn, prod: deny}
#   remediation: >-
#     Unset GOSUMDB or set GOSUMDB=sum.golang.org. For private modules list
#     them in GOPRIVATE or GONOSUMDB instead of switching the database off.
package gopolicy.policies.env.sumdb_off

import data.gopolicy.lib

violation contains {
	"msg": "GOSUMDB=off: downloaded modules are not verified against the checksum database",
	"evidence": [lib.env_evidence("GOSUMDB")],
} if input.goenv.gosumdb.off
