# METADATA
# title: The build machines differ
# description: >-
#   The runner's OS, distribution, C library, C compiler or the target
#   platform differ between the environments compared: cgo builds link
#   against what the machine has.
# custom:
#   drift_id: GP-DRIFT-005
#   version: 1.0.0
#   severity: low
#   profiles: {dev: off, ci: warn, prod: warn}
#   remediation: >-
#     Build releases in the same image CI tests in, or build with
#     CGO_ENABLED=0 so the C toolchain does not matter.
package gopolicy.drift.runner

import data.gopolicy.drift.lib

finding contains {
	"msg": sprintf("%s: %s", [label(d), lib.values_text(d)]),
	"subject": d.key,
	"evidence": lib.evidence(d),
} if {
	some d in input.drift.differences
	d.category in {"runner", "target"}
}

label(d) := sprintf("the runner's %s differs", [d.key]) if d.category == "runner"

label(d) := "the target differs" if d.category == "target"
