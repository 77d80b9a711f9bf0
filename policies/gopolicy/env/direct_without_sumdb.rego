# METADATA
# title: Modules are fetched directly from VCS with checksum verification off
# description: >-
#   GOPROXY reaching "direct" together with GOSUMDB=off means modules come
#   straight from version control and nothing checks their content at all.
# custom:
#   id: GP-ENV-002
#   version: 1.0.0
#   severity: critical
#   requires: [goenv]
#   profiles: {dev: deny, ci: deny, prod: deny}
#   remediation: >-
#     Unset GOSUMDB, or set GOSUMDB=sum.golang.org, and fetch through a module
#     proxy (GOPROXY=https://proxy.golang.org or your organisation's mirror).
package gopolicy.policies.env.direct_without_sumdb

import data.gopolicy.lib

violation contains {
	"msg": "modules are fetched directly from VCS (GOPROXY reaches \"direct\") and GOSUMDB=off leaves them unverified",
	"evidence": [lib.env_evidence("GOPROXY"), lib.env_evidence("GOSUMDB")],
} if {
	input.goenv.gosumdb.off
	some e in input.goenv.goproxy
	e.kind == "direct"
	e.reachable
}
