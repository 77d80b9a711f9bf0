# METADATA
# title: go.mod needs a newer Go than the runner has
# description: >-
#   When the go or toolchain line of go.mod is newer than the runner's Go, the
#   build either fails (GOTOOLCHAIN=local) or silently downloads and runs
#   another toolchain than the one the pipeline pins.
# custom:
#   id: GP-MOD-005
#   version: 1.0.0
#   severity: high
#   requires: [gomod, runner, goenv]
#   profiles: {dev: warn, ci: deny, prod: deny}
#   remediation: >-
#     Install the Go version go.mod asks for on the runner (or lower the go
#     line if the code does not need it).
package gopolicy.policies.module.go_version

import data.gopolicy.lib

required contains {"version": input.gomod.go.version, "line": input.gomod.go.line, "directive": "go"} if input.gomod.go

required contains {"version": trim_prefix(input.gomod.toolchain.version, "go"), "line": input.gomod.toolchain.line, "directive": "toolchain"} if {
	input.gomod.toolchain
	input.gomod.toolchain.version != "default"
}

violation contains {
	"msg": sprintf("go.mod %s line requires go %s but the runner has %s; %s", [r.directive, r.version, input.runner.go.version, consequence]),
	"evidence": [
		lib.file_evidence(sprintf("/gomod/%s/version", [r.directive]), r.version, input.gomod.file, r.line),
		{"fact": "/runner/go/version", "value": input.runner.go.version, "source": object.get(input.runner.go, "path", "runner")},
		lib.env_evidence("GOTOOLCHAIN"),
	],
} if {
	input.runner.go.found
	some r in required
	lib.go_newer(r.version, input.runner.go.version)
}

violation contains {
	"msg": "no go command was found on the runner, so the go.mod go version cannot be checked",
	"evidence": [{"fact": "/runner/go/found", "value": false}],
} if not input.runner.go.found

consequence := "the build fails because GOTOOLCHAIN=local forbids switching" if {
	input.goenv.vars.GOTOOLCHAIN.value == "local"
} else := sprintf("the go command will silently download and switch toolchains (GOTOOLCHAIN=%s)", [input.goenv.vars.GOTOOLCHAIN.value])
