# METADATA
# title: Credentials are stamped into the binary with -X
# description: >-
#   Values passed with -ldflags -X end up in the binary's data, and (unless
#   -trimpath) in its build info, where `go version -m` prints them to
#   anyone who has the file.
# custom:
#   id: GP-BIN-008
#   version: 1.0.0
#   severity: critical
#   requires: [binaries]
#   profiles: {dev: deny, ci: deny, prod: deny}
#   remediation: >-
#     Remove the secret from -ldflags, rotate it, and read it at run time
#     from the environment or a secret store.
package gopolicy.policies.binary.secrets

import data.gopolicy.lib

violation contains {
	"msg": sprintf("%s: -X %s carries a value that looks like a credential (%s)", [b.path, x.symbol, redact(x.value)]),
	"subject": sprintf("%s %s", [b.path, x.symbol]),
	"evidence": [lib.binary_evidence(i, sprintf("go/x_assignments/%d/symbol", [j]), x.symbol)],
} if {
	some i, b in input.binaries
	some j, x in b.go.x_assignments
	x.value != ""
	looks_secret(x)
}

looks_secret(x) if regex.match(data.gopolicy.config.credential_name_pattern, x.symbol)

looks_secret(x) if {
	some p in data.gopolicy.config.credential_value_patterns
	regex.match(p, x.value)
}

# redact keeps the finding useful without repeating the secret.
redact(v) := sprintf("%s… (%d characters)", [substring(v, 0, 3), count(v)]) if count(v) > 6

else := sprintf("%d characters", [count(v)])
