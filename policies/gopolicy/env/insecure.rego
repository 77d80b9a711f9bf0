# METADATA
# title: Insecure module fetching is enabled
# description: >-
#   GOINSECURE lets the go command fetch matching modules over plain HTTP and
#   skip certificate checks. The -insecure flag in GOFLAGS was removed from
#   the go command and now makes `go get` fail.
# custom:
#   id: GP-ENV-006
#   version: 1.0.0
#   severity: high
#   requires: [goenv]
#   profiles: {dev: warn, ci: warn, prod: deny}
#   remediation: >-
#     Unset GOINSECURE and serve private modules over HTTPS with a trusted
#     certificate; remove -insecure from GOFLAGS.
package gopolicy.policies.env.insecure

import data.gopolicy.lib

violation contains {
	"msg": sprintf("GOINSECURE=%q: matching modules are fetched without TLS verification", [input.goenv.vars.GOINSECURE.value]),
	"evidence": [lib.env_evidence("GOINSECURE")],
} if input.goenv.vars.GOINSECURE.value != ""

violation contains {
	"msg": sprintf("GOFLAGS carries %s, which the go command removed; `go get` fails with it", [f.raw]),
	"subject": f.raw,
	"evidence": [lib.env_evidence("GOFLAGS"), {"fact": sprintf("/goenv/goflags/%d", [i]), "value": f.raw}],
} if {
	some i, f in input.goenv.goflags
	some bad in data.gopolicy.config.insecure_flags
	f.name == trim_left(bad, "-")
}
