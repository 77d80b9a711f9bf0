# METADATA
# title: Go environment layers disagree
# description: >-
#   A value written with `go env -w` is silently shadowed by a shell variable,
#   or an empty shell variable fails to unset it (an empty value does not
#   override the file). Either way the build does not use what someone set.
#   A disagreement between gopolicy's reading and `go env -json` is reported
#   too, because then the facts cannot be trusted.
# custom:
#   id: GP-ENV-008
#   version: 1.0.0
#   severity: low
#   requires: [goenv]
#   profiles: {dev: warn, ci: warn, prod: warn}
#   remediation: >-
#     Keep each setting in one place: either `go env -w NAME=value` (and unset
#     the shell variable) or the shell, then `go env -u NAME`.
package gopolicy.policies.env.layers

import data.gopolicy.lib

violation contains {
	"msg": sprintf("%s=%q from the process environment shadows %q set in %s (go env -w)", [c.var, c.winner.value, c.shadowed.value, c.shadowed.file]),
	"subject": c.var,
	"evidence": [{"fact": sprintf("/goenv/conflicts/%d", [i]), "value": c.winner.value, "source": "process environment"}],
} if {
	some i, c in input.goenv.conflicts
	c.kind == "shadowed"
}

violation contains {
	"msg": sprintf("%s is set to the empty string in the process environment, which does not unset %q from %s", [c.var, c.winner.value, c.winner.file]),
	"subject": c.var,
	"evidence": [lib.file_evidence(sprintf("/goenv/conflicts/%d", [i]), c.winner.value, c.winner.file, c.winner.line)],
} if {
	some i, c in input.goenv.conflicts
	c.kind == "empty-ignored"
}

violation contains {
	"msg": sprintf("go env -json reports %s=%q but the computed value is %q", [d.var, d.go_command, d.computed]),
	"subject": d.var,
	"evidence": [{"fact": sprintf("/goenv/go_command/disagreements/%d", [i]), "value": d.go_command, "source": "go env -json"}],
} if {
	some i, d in input.goenv.go_command.disagreements
}
