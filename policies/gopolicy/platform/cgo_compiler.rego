# METADATA
# title: cgo is on but no suitable C compiler is available
# description: >-
#   With CGO_ENABLED=1 the go command needs a C compiler for the target: none
#   on the runner fails the build, and a host compiler used for a cross build
#   fails or produces a broken binary.
# custom:
#   id: GP-PLAT-002
#   version: 1.0.0
#   severity: high
#   requires: [goenv, runner]
#   profiles: {dev: warn, ci: deny, prod: deny}
#   remediation: >-
#     Install the C compiler, or set CC to a cross compiler for the target
#     (for example CC=aarch64-linux-gnu-gcc), or build with CGO_ENABLED=0.
package gopolicy.policies.platform.cgo_compiler

import data.gopolicy.lib

cgo_on if input.goenv.vars.CGO_ENABLED.value == "1"

goos := input.goenv.vars.GOOS.value

goarch := input.goenv.vars.GOARCH.value

cc := [c | some c in input.runner.compilers; c.role == "CC"][0]

violation contains {
	"msg": sprintf("CGO_ENABLED=1 but the C compiler %q (CC) is not on the runner's PATH", [input.goenv.vars.CC.value]),
	"evidence": [lib.env_evidence("CGO_ENABLED"), lib.env_evidence("CC")],
} if {
	cgo_on
	not cc.found
}

violation contains {
	"msg": sprintf("CGO_ENABLED=1 for %s/%s but CC=%q compiles for %s (%s/%s)", [goos, goarch, cc.command, cc.machine, cc.goos, cc.goarch]),
	"evidence": [
		lib.env_evidence("CGO_ENABLED"), lib.env_evidence("CC"),
		lib.env_evidence("GOOS"), lib.env_evidence("GOARCH"),
		{"fact": "/runner/compilers", "value": cc.machine, "source": sprintf("%s -dumpmachine", [object.get(cc, "path", cc.command)])},
	],
} if {
	cgo_on
	cc.found
	cc.goos != ""
	[cc.goos, cc.goarch] != [goos, goarch]
}
