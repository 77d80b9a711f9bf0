# METADATA
# title: GOTOOLCHAIN lets the go command switch toolchains
# description: >-
#   With GOTOOLCHAIN=auto (or path, or name+auto) a go.mod toolchain line can
#   make the build download and run a different Go than the pipeline pins,
#   without any change to the pipeline. GOTOOLCHAIN=local and a pinned
#   toolchain name (go1.26.8, or a custom build such as go1.26.8-bigcorp)
#   cannot switch.
# custom:
#   id: GP-MOD-006
#   version: 1.1.0
#   severity: medium
#   requires: [goenv]
#   profiles: {dev: off, ci: warn, prod: deny}
#   remediation: >-
#     Set GOTOOLCHAIN=local (use the installed Go) or pin an exact toolchain
#     such as GOTOOLCHAIN=go1.26.8.
package gopolicy.policies.module.toolchain_switch

import data.gopolicy.lib

value := input.goenv.vars.GOTOOLCHAIN.value

# Documents written before 0.4 have no parsed GOTOOLCHAIN.
pinned if {
	not input.goenv.toolchain
	value == "local"
}

pinned if {
	not input.goenv.toolchain
	regex.match(`^go\d+\.\d+(\.\d+|rc\d+|beta\d+)?$`, value)
}

pinned if input.goenv.toolchain.mode in {"local", "pinned"}

# A GOTOOLCHAIN the go command refuses switches nothing: GP-ENV-009
# reports it.
pinned if input.goenv.toolchain.error

violation contains {
	"msg": sprintf("GOTOOLCHAIN=%q allows the go command to switch toolchains", [value]),
	"evidence": [lib.env_evidence("GOTOOLCHAIN")],
} if not pinned
