# METADATA
# title: vendor/modules.txt is inconsistent with go.mod
# description: >-
#   In vendor mode (vendor/ exists and the go version is 1.14 or later, or
#   GOFLAGS says -mod=vendor) the go command refuses to build from a vendor
#   directory that disagrees with go.mod ("inconsistent vendoring"): a
#   requirement not marked explicit, a replacement not recorded or recorded
#   differently, an explicit module go.mod does not require, a module marked
#   replaced that go.mod does not replace, a vendored module that needs a
#   newer go. -mod=vendor without a vendor directory is inconsistent too.
#   Outside vendor mode the go command does not read vendor/, and neither
#   is it judged here; a workspace's vendor directory is GP-MOD-009's.
# custom:
#   id: GP-MOD-004
#   version: 1.1.0
#   severity: high
#   requires: [gomod, vendor, goenv, gowork]
#   profiles: {dev: warn, ci: deny, prod: deny}
#   remediation: >-
#     Run `go mod vendor` and commit the result, or remove -mod=vendor from
#     GOFLAGS.
package gopolicy.policies.module.vendor_consistency

import data.gopolicy.lib

# Documents written before 0.4: every violation, as 0.3 judged.
violation contains {
	"msg": sprintf("%s [%s]", [v.message, v.rule]),
	"subject": v.module,
	"evidence": [lib.file_evidence(sprintf("/vendor/violations/%d", [i]), v.module, v.file, v.line)],
} if {
	not lib.build_mode
	some i, v in input.vendor.violations
}

# The module's own vendor directory, in vendor mode.
violation contains {
	"msg": sprintf("%s [%s]", [v.message, v.rule]),
	"subject": v.module,
	"evidence": [
		lib.file_evidence(sprintf("/vendor/violations/%d", [i]), v.module, v.file, v.line),
		lib.build_mode_evidence,
	],
} if {
	module_vendor_mode
	input.vendor.dir_found
	some i, v in input.vendor.violations
}

violation contains {
	"msg": sprintf("GOFLAGS sets -mod=vendor but %s does not exist: the go command reports inconsistent vendoring for every requirement of go.mod", [input.vendor.dir]),
	"subject": input.vendor.dir,
	"evidence": [
		lib.env_evidence("GOFLAGS"),
		lib.file_evidence("/gomod/require/0", input.gomod.require[0].path, input.gomod.file, input.gomod.require[0].line),
	],
} if {
	module_vendor_mode
	not input.vendor.dir_found
	count(input.gomod.require) > 0
	lib.go_version(input.gomod.go.version) >= lib.go_version("1.14")
}

module_vendor_mode if {
	lib.build_mode.mode == "vendor"
	not lib.build_mode.workspace
}
