# METADATA
# title: Credentials are stamped into the binary with -X
# description: >-
#   Values passed with -ldflags -X end up in the binary's data, and (unless
#   -trimpath) in its build info, where `go version -m` prints them to
#   anyone who has the file. Collection replaces a value that looks like a
#   credential (the default credential_name_pattern on the symbol or
#   credential_value_patterns on the value) with a redaction marker before
#   it reaches the facts or any report; the policy fires on that marker,
#   and applies the organisation's own patterns (policy data) to the names
#   and to values that were not redacted. Stamp variables read back with
#   --stamp are judged the same way.
# custom:
#   id: GP-BIN-008
#   version: 1.1.0
#   severity: critical
#   requires: [binaries]
#   profiles: {dev: deny, ci: deny, prod: deny}
#   remediation: >-
#     Remove the secret from -ldflags, rotate it, and read it at run time
#     from the environment or a secret store.
package gopolicy.policies.binary.secrets

import data.gopolicy.lib

violation contains {
	"msg": sprintf("%s: -X %s carries a value that looks like a credential (%s)", [b.path, x.symbol, shown(x)]),
	"subject": sprintf("%s %s", [b.path, x.symbol]),
	"evidence": [lib.binary_evidence(i, sprintf("go/x_assignments/%d/symbol", [j]), x.symbol)],
} if {
	some i, b in input.binaries
	some j, x in b.go.x_assignments
	x.value != ""
	looks_secret(x)
}

# A stamp variable read back from the binary (--stamp, or an -X target
# when build info does not record -ldflags) that holds a credential.
violation contains {
	"msg": sprintf("%s: %s holds a value that looks like a credential (%s)", [b.path, s.symbol, shown(s)]),
	"subject": sprintf("%s %s", [b.path, s.symbol]),
	"evidence": [lib.binary_evidence(i, sprintf("stamps/%d/symbol", [j]), s.symbol)],
} if {
	some i, b in input.binaries
	some j, s in b.stamps
	s.status == "set"
	not x_reported(b, s.symbol)
	looks_secret(s)
}

x_reported(b, symbol) if {
	some x in b.go.x_assignments
	x.symbol == symbol
	x.value != ""
	looks_secret(x)
}

# The collector's marker: a value it recognised as a credential.
looks_secret(x) if regex.match(`^\[redacted: \d+ characters\]$`, x.value)

looks_secret(x) if regex.match(data.gopolicy.config.credential_name_pattern, x.symbol)

looks_secret(x) if {
	some p in data.gopolicy.config.credential_value_patterns
	regex.match(p, x.value)
}

# shown keeps the finding useful without repeating the secret: its length,
# and the first characters only where a credential pattern fixes them (a
# token type or a URL scheme, recorded by the collector as the hint).
shown(x) := sprintf("%s… (%d characters)", [x.hint, marker_length(x.value)]) if {
	marker_length(x.value)
	x.hint
} else := sprintf("%d characters, redacted", [marker_length(x.value)]) if {
	marker_length(x.value)
} else := sprintf("%s… (%d characters)", [substring(x.value, 0, 3), count(x.value)]) if {
	# A value not redacted at collection (an older facts document, or an
	# organisation pattern the collector does not know): show a prefix
	# only when a value pattern, which then fixes it, matched at the start.
	count(x.value) > 6
	some p in data.gopolicy.config.credential_value_patterns
	regex.match(concat("", ["^(?:", p, ")"]), x.value)
} else := sprintf("%d characters", [count(x.value)])

marker_length(v) := to_number(m[1]) if {
	m := regex.find_all_string_submatch_n(`^\[redacted: (\d+) characters\]$`, v, 1)[0]
}
