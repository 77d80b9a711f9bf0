# METADATA
# title: The workspace is inconsistent
# description: >-
#   In a workspace (a go.work in force) the go command checks the workspace as
#   a whole, from any of its directories: the go.work.sum and every module's
#   go.sum together (two different hashes for one module version are a
#   checksum mismatch, the SECURITY ERROR, when it verifies that module); the
#   workspace root's vendor directory (go work vendor) against every module
#   and go.work's replacements, in workspace vendor mode; go.work's go line
#   against the toolchain that runs, and every module's go line against
#   go.work's (from Go 1.21 on). It refuses to build a workspace that breaks
#   any of these.
# custom:
#   id: GP-MOD-009
#   version: 1.0.0
#   severity: high
#   requires: [gowork, goenv, runner]
#   profiles: {dev: warn, ci: deny, prod: deny}
#   remediation: >-
#     For conflicting hashes, find out which is right (`go mod download -json
#     MODULE@VERSION` prints it) and delete the other; then `go work sync`.
#     For vendoring, run `go work vendor`. For go lines, run `go work use`
#     (or install the Go version go.work asks for).
package gopolicy.policies.module.workspace

import data.gopolicy.lib

workspace if lib.build_mode.workspace

violation contains {
	"msg": sprintf("the workspace's sum files record %d different hashes for %s %s%s (%s): the go command reports a checksum mismatch (SECURITY ERROR) when it verifies it", [count({h.hash | some h in c.hashes}), c.module, c.version, suffix(c), concat(", ", [sprintf("%s:%d", [h.file, h.line]) | some h in c.hashes])]),
	"subject": sprintf("%s@%s", [c.module, c.version]),
	"evidence": [lib.file_evidence(sprintf("/gowork/sums/conflicts/%d/hashes/%d", [i, j]), h.hash, h.file, h.line) | some j, h in c.hashes],
} if {
	workspace
	lib.build_mode.mode != "vendor"
	some i, c in input.gowork.sums.conflicts
}

suffix(c) := "/go.mod" if c.go_mod

else := ""

violation contains {
	"msg": sprintf("%s [%s]", [v.message, v.rule]),
	"subject": v.module,
	"evidence": [
		lib.file_evidence(sprintf("/gowork/vendor/violations/%d", [i]), v.module, v.file, v.line),
		lib.build_mode_evidence,
	],
} if {
	workspace
	lib.build_mode.mode == "vendor"
	some i, v in input.gowork.vendor.violations
}

violation contains {
	"msg": sprintf("GOFLAGS sets -mod=vendor but the workspace has no vendor directory (%s): the go command reports inconsistent vendoring for every requirement of its modules", [input.gowork.module_mode.vendor_dir]),
	"subject": input.gowork.module_mode.vendor_dir,
	"evidence": [lib.env_evidence("GOFLAGS"), lib.build_mode_evidence],
} if {
	workspace
	lib.build_mode.mode == "vendor"
	not input.gowork.vendor
	some u in input.gowork.use
	object.get(u, "requires", 0) > 0
}

# Every module's go line is at most go.work's (which is 1.18 when go.work
# has none), from Go 1.21 on (modload.errWorkTooOld).
violation contains {
	"msg": sprintf("module %s listed in go.work requires go >= %s, but go.work %s; the go command refuses the workspace", [u.dir, u.go_version, work_go_text]),
	"subject": u.dir,
	"evidence": [lib.file_evidence(sprintf("/gowork/use/%d", [i]), u.go_version, input.gowork.file, u.line)],
} if {
	workspace
	some i, u in input.gowork.use
	u.go_version
	lib.go_newer(u.go_version, work_go)
	not lib.go_newer("1.21", u.go_version)
}

work_go := input.gowork.go.version if input.gowork.go

else := "1.18"

work_go_text := sprintf("lists go %s", [input.gowork.go.version]) if input.gowork.go

else := "implicitly requires go 1.18"

# go.work's go line is at most the toolchain that runs, when it cannot
# switch (GOTOOLCHAIN=local, or pinned).
violation contains {
	"msg": sprintf("go.work requires go %s but %s; the go command refuses the workspace", [input.gowork.go.version, running.text]),
	"subject": input.gowork.file,
	"evidence": [lib.file_evidence("/gowork/go/version", input.gowork.go.version, input.gowork.file, input.gowork.go.line), lib.env_evidence("GOTOOLCHAIN")],
} if {
	workspace
	input.gowork.go
	lib.go_newer(input.gowork.go.version, running.version)
}

running := {"version": input.runner.go.version, "text": sprintf("the runner has %s and GOTOOLCHAIN=local", [input.runner.go.version])} if {
	input.goenv.toolchain.mode == "local"
	not input.goenv.toolchain.error
	input.runner.go.found
}

running := {"version": tc.version, "text": sprintf("GOTOOLCHAIN pins %s", [tc.name])} if {
	tc := input.goenv.toolchain
	tc.mode == "pinned"
	not tc.error
}
