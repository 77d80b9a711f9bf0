# METADATA
# title: go.sum lacks hashes the go command needs
# description: >-
#   In readonly mode (the default without a vendor directory) the go command
#   refuses to load a module whose hash go.sum lacks: the go.mod hash of every
#   requirement (to load the module graph), and the zip hash of every module
#   that may provide a package the build imports. It does not need them in
#   vendor mode (go.sum is not read), in a workspace (it adds them to
#   go.work.sum, checked against GOSUMDB), or with -mod=mod (it adds them).
#   Whether a module no package of the main module imports is needed depends
#   on what the dependencies import: gopolicy cannot tell, and does not deny.
# custom:
#   id: GP-MOD-001
#   version: 1.1.0
#   severity: high
#   requires: [gomod, gosum, goenv, gowork]
#   profiles: {dev: warn, ci: deny, prod: deny}
#   remediation: >-
#     Run `go mod tidy` (or `go mod download MODULE`) and commit go.sum.
package gopolicy.policies.module.sum_missing

import data.gopolicy.lib

# needed are the missing hashes the go command refuses to build without.
# Documents written before 0.4 have no build mode and no need: every
# missing hash counts, as 0.3 judged.
needed contains [i, m] if {
	not lib.build_mode
	some i, m in input.gosum.missing
}

needed contains [i, m] if {
	lib.build_mode.mode == "readonly"
	not lib.build_mode.workspace
	some i, m in input.gosum.missing
	m.need in {"graph", "build", "test"}
}

violation contains {
	"msg": sprintf("go.sum has no %s line for %s %s (required at go.mod line %d)%s", [kind_text[m.kind], m.module, m.version, m.require_line, why(m)]),
	"subject": sprintf("%s@%s", [m.module, m.version]),
	"evidence": array.concat(
		[lib.file_evidence(sprintf("/gosum/missing/%d", [i]), sprintf("%s %s", [m.module, m.version]), input.gomod.file, m.require_line)],
		[lib.build_mode_evidence | lib.build_mode],
	),
} if {
	some [i, m] in needed
}

kind_text := {"h1": "h1: (module zip hash)", "go.mod": "/go.mod hash"}

why(m) := text if {
	text := {
		"graph": "; the go command reads every requirement's go.mod to load the module graph",
		"build": sprintf("; %s, so the build extracts the module", [object.get(m, "imported_by", "")]),
		"test": sprintf("; %s in a test, so go test and go vet extract the module", [object.get(m, "imported_by", "")]),
	}[m.need]
} else := ""

violation contains {
	"msg": sprintf("go.sum lacks %d more hashes the go command needs", [input.gosum.missing_more]),
	"subject": "more modules",
	"evidence": [
		{"fact": "/gosum/missing_more", "value": input.gosum.missing_more, "source": input.gosum.file, "file": input.gosum.file},
		lib.build_mode_evidence,
	],
} if {
	lib.build_mode.mode == "readonly"
	not lib.build_mode.workspace
	input.gosum.missing_more > 0
}
