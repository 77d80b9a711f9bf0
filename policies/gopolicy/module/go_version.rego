# METADATA
# title: go.mod needs a newer Go than the build runs
# description: >-
#   The go command refuses to build a module whose go line is newer than the
#   toolchain it runs: the runner's Go with GOTOOLCHAIN=local, the pinned one
#   with GOTOOLCHAIN=go1.X.Y (a toolchain line is ignored then); the same
#   holds for a local replacement's go line (GP-MOD-009 checks go.work's). With GOTOOLCHAIN=auto (or path, or
#   name+auto) a newer go or toolchain line makes the go command download and
#   run another toolchain than the one the pipeline pins, without a change to
#   the pipeline.
# custom:
#   id: GP-MOD-005
#   version: 1.1.0
#   severity: high
#   requires: [gomod, runner, goenv]
#   profiles: {dev: warn, ci: deny, prod: deny}
#   remediation: >-
#     Install the Go version go.mod asks for on the runner, or pin it with
#     GOTOOLCHAIN (or lower the go line if the code does not need it).
package gopolicy.policies.module.go_version

import data.gopolicy.lib

tc := input.goenv.toolchain

workspace if input.gowork.module_mode.workspace

# Documents written before 0.4 (no goenv.toolchain): as 0.3 judged.
legacy_required contains {"version": input.gomod.go.version, "line": input.gomod.go.line, "directive": "go"} if input.gomod.go

legacy_required contains {"version": trim_prefix(input.gomod.toolchain.version, "go"), "line": input.gomod.toolchain.line, "directive": "toolchain"} if {
	input.gomod.toolchain
	input.gomod.toolchain.version != "default"
}

violation contains {
	"msg": sprintf("go.mod %s line requires go %s but the runner has %s; %s", [r.directive, r.version, input.runner.go.version, legacy_consequence]),
	"evidence": [
		lib.file_evidence(sprintf("/gomod/%s/version", [r.directive]), r.version, input.gomod.file, r.line),
		{"fact": "/runner/go/version", "value": input.runner.go.version, "source": object.get(input.runner.go, "path", "runner")},
		lib.env_evidence("GOTOOLCHAIN"),
	],
} if {
	not tc
	input.runner.go.found
	some r in legacy_required
	lib.go_newer(r.version, input.runner.go.version)
}

legacy_consequence := "the build fails because GOTOOLCHAIN=local forbids switching" if {
	input.goenv.vars.GOTOOLCHAIN.value == "local"
} else := sprintf("the go command will silently download and switch toolchains (GOTOOLCHAIN=%s)", [input.goenv.vars.GOTOOLCHAIN.value])

violation contains {
	"msg": "no go command was found on the runner, so the go.mod go version cannot be checked",
	"evidence": [{"fact": "/runner/go/found", "value": false}],
} if not input.runner.go.found

# running is the toolchain that builds when it cannot switch: the
# runner's with GOTOOLCHAIN=local, the pinned one otherwise.
running := {"version": input.runner.go.version, "text": sprintf("the runner has %s", [input.runner.go.version]), "consequence": "the build fails because GOTOOLCHAIN=local forbids switching", "evidence": {"fact": "/runner/go/version", "value": input.runner.go.version, "source": object.get(input.runner.go, "path", "runner")}} if {
	tc.mode == "local"
	not tc.error
	input.runner.go.found
}

running := {"version": tc.version, "text": sprintf("GOTOOLCHAIN pins %s", [tc.name]), "consequence": sprintf("the build fails: %s refuses it", [tc.name]), "evidence": lib.env_evidence("GOTOOLCHAIN")} if {
	tc.mode == "pinned"
	not tc.error
}

# go lines the running toolchain must be at least: go.mod's outside a
# workspace (GP-MOD-009 checks go.work's), and every local
# replacement's.
fixed_required contains {"what": "go.mod go line", "version": input.gomod.go.version, "evidence": lib.file_evidence("/gomod/go/version", input.gomod.go.version, input.gomod.file, input.gomod.go.line)} if {
	not workspace
	input.gomod.go
}

fixed_required contains {"what": sprintf("the local replacement %s of %s", [r.new_path, r.old_path]), "version": r.go_version, "evidence": lib.file_evidence(sprintf("/gomod/replace/%d", [i]), r.new_path, input.gomod.file, r.line)} if {
	some i, r in input.gomod.replace
	r.local
	r.go_version
}

violation contains {
	"msg": sprintf("%s requires go %s but %s; %s", [r.what, r.version, running.text, running.consequence]),
	"evidence": [r.evidence, running.evidence, lib.env_evidence("GOTOOLCHAIN")],
} if {
	tc
	some r in fixed_required
	lib.go_newer(r.version, running.version)
}

# With auto or path the go command switches to what the go and toolchain
# lines ask for: another toolchain than the pipeline pins.
switch_required contains {"directive": "go", "version": f.go.version, "file": f.file, "line": f.go.line, "pointer": p} if {
	[f, p] := switch_file
	f.go
}

switch_required contains {"directive": "toolchain", "version": trim_prefix(f.toolchain.version, "go"), "file": f.file, "line": f.toolchain.line, "pointer": p} if {
	[f, p] := switch_file
	f.toolchain
	f.toolchain.version != "default"
}

switch_file := [input.gowork, "/gowork"] if workspace

else := [input.gomod, "/gomod"]

switch_min := tc.version if tc.name

else := input.runner.go.version

violation contains {
	"msg": sprintf("%s %s line requires go %s but %s; the go command will silently download and switch toolchains (GOTOOLCHAIN=%s)", [basename(r.file), r.directive, r.version, switch_min_text, tc.raw]),
	"evidence": [
		lib.file_evidence(sprintf("%s/%s/version", [r.pointer, r.directive]), r.version, r.file, r.line),
		lib.env_evidence("GOTOOLCHAIN"),
	],
} if {
	tc.mode in {"auto", "path"}
	not tc.error
	some r in switch_required
	lib.go_newer(r.version, switch_min)
}

switch_min_text := sprintf("GOTOOLCHAIN starts from %s", [tc.name]) if tc.name

else := sprintf("the runner has %s", [input.runner.go.version])

basename(p) := regex.replace(p, `^.*/`, "")
