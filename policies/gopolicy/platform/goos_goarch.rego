# METADATA
# title: GOOS/GOARCH of the build do not match where it runs
# description: >-
#   A GOOS or GOARCH left over in the environment (GOOS=windows in a Linux
#   pipeline) produces a binary for another platform: a PE .exe shipped to a
#   Linux host fails with "exec format error". Without a --target, the build
#   must match the runner.
# custom:
#   id: GP-PLAT-001
#   version: 1.0.0
#   severity: high
#   requires: [goenv, runner, target]
#   profiles: {dev: warn, ci: deny, prod: deny}
#   remediation: >-
#     Unset GOOS/GOARCH (or set them to the target's values), or pass the real
#     deployment platform with --target GOOS/GOARCH.
package gopolicy.policies.platform.goos_goarch

import data.gopolicy.lib

checks := [
	{"var": "GOOS", "want": lib.target_os},
	{"var": "GOARCH", "want": lib.target_arch},
]

violation contains {
	"msg": sprintf("%s=%s but %s is %s: the build produces a binary that cannot run there", [c.var, got, lib.target_label, c.want]),
	"subject": c.var,
	"evidence": [lib.env_evidence(c.var), target_evidence(c.var)],
} if {
	some c in checks
	got := input.goenv.vars[c.var].value
	got != c.want
}

target_evidence(v) := {"fact": sprintf("/target/%s", [lower(trim_prefix(v, "GO"))]), "value": object.get(input.target, lower(trim_prefix(v, "GO")), null), "source": sprintf("--target (%s)", [input.target.source])} if {
	input.target.specified
	input.target.os
} else := {"fact": sprintf("/runner/%s", [lower(trim_prefix(v, "GO"))]), "value": object.get(input.runner, lower(trim_prefix(v, "GO")), null), "source": "runner"}
