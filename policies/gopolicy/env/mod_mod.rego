# METADATA
# title: The build may rewrite go.mod and go.sum
# description: >-
#   GOFLAGS=-mod=mod lets the go command update go.mod and go.sum during the
#   build instead of failing when they are out of date, so CI builds code that
#   was never reviewed. As on a command line, the last -mod in GOFLAGS wins:
#   "-mod=mod -mod=readonly" is readonly.
# custom:
#   id: GP-ENV-007
#   version: 1.1.0
#   severity: medium
#   requires: [goenv]
#   profiles: {dev: off, ci: deny, prod: deny}
#   remediation: >-
#     Remove -mod=mod from GOFLAGS (use -mod=readonly, the default), and run
#     `go mod tidy` and commit the result instead.
package gopolicy.policies.env.mod_mod

import data.gopolicy.lib

# Documents written before 0.4 have no effective -mod: any -mod=mod counts.
violation contains {
	"msg": "GOFLAGS=-mod=mod lets the build rewrite go.mod and go.sum instead of failing on drift",
	"evidence": [lib.env_evidence("GOFLAGS"), {"fact": sprintf("/goenv/goflags/%d", [i]), "value": f.raw}],
} if {
	not input.goenv.toolchain
	some i, f in input.goenv.goflags
	f.name == "mod"
	f.value == "mod"
}

violation contains {
	"msg": "GOFLAGS=-mod=mod lets the build rewrite go.mod and go.sum instead of failing on drift",
	"evidence": [lib.env_evidence("GOFLAGS"), {"fact": sprintf("/goenv/goflags/%d", [m.index]), "value": input.goenv.goflags[m.index].raw}],
} if {
	m := input.goenv.mod_flag
	m.value == "mod"
}
