# METADATA
# title: Version stamps are missing, misspelt or empty
# description: >-
#   The linker silently ignores -X for a path that names no variable (a typo
#   such as main.verison, a constant, or a package that is not linked), so
#   the binary reports "dev" or "". gopolicy reads each -X target and each
#   required stamp back from the binary's data. A stripped binary cannot be
#   checked, and says so.
# custom:
#   id: GP-BIN-007
#   version: 1.0.0
#   severity: medium
#   requires: [binaries]
#   profiles: {dev: warn, ci: deny, prod: deny}
#   remediation: >-
#     Fix the -X path to the variable's full import path
#     (-X 'example.com/app/internal/version.Version=1.2.3'); stamp only
#     package-level string variables that are not constants; keep the symbol
#     table (no -s) if stamps must be verified.
package gopolicy.policies.binary.stamps

import data.gopolicy.lib

violation contains {
	"msg": sprintf("%s: -X %s=%s has no effect: %s", [b.path, s.symbol, s.expected, s.detail]),
	"subject": sprintf("%s %s", [b.path, s.symbol]),
	"evidence": [lib.binary_evidence(i, sprintf("stamps/%d/status", [j]), s.status)],
} if {
	some i, b in input.binaries
	some j, s in b.stamps
	s.from_x
	s.status in {"missing", "not-string"}
}

violation contains {
	"msg": sprintf("%s: required stamp %s %s", [b.path, name, problem]),
	"subject": sprintf("%s %s", [b.path, name]),
	"evidence": [lib.binary_evidence(i, "stamps", [s | some s in b.stamps; s.symbol == name])],
} if {
	some name in data.gopolicy.config.required_stamps
	some i, b in input.binaries
	b.go.is_go
	problem := required_problem(b, name)
}

required_problem(b, name) := "was not read (pass --stamp to collect it)" if {
	not name in {s.symbol | some s in b.stamps}
}

required_problem(b, name) := sprintf("is not set: %s", [s.detail]) if {
	some s in b.stamps
	s.symbol == name
	s.status in {"missing", "not-string"}
}

required_problem(b, name) := "is empty: the build passed no -X for it" if {
	some s in b.stamps
	s.symbol == name
	s.status == "empty"
}

required_problem(b, name) := "cannot be verified: the binary has no symbol table" if {
	some s in b.stamps
	s.symbol == name
	s.status == "unverifiable"
}
