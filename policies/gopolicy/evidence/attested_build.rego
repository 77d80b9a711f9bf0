# METADATA
# title: Attested build facts disagree with the binary
# description: >-
#   A verified facts attestation says how the binary was built; the binary
#   says so too, in its build information. When the attested GOOS, GOARCH
#   or CGO_ENABLED differ from what the binary records, the attestation
#   describes another build, and its facts (GOSUMDB, go.sum, the runner)
#   must not be trusted for this binary.
# custom:
#   id: GP-EVD-004
#   version: 1.0.0
#   severity: high
#   requires: [binaries, goenv]
#   profiles: {dev: warn, ci: deny, prod: deny}
#   remediation: >-
#     Attest each binary with the facts of its own build (run gopolicy attest
#     in the job that built it, with the same GOOS, GOARCH and CGO_ENABLED).
package gopolicy.policies.evidence.attested_build

import data.gopolicy.lib

settings := {"GOOS": "goos", "GOARCH": "goarch", "CGO_ENABLED": "cgo_enabled"}

violation contains {
	"msg": sprintf("%s records %s=%s, but the build that attested it had %s=%s", [b.path, name, b.go[field], name, attested]),
	"subject": b.path,
	"evidence": [lib.env_evidence(name), lib.binary_evidence(i, sprintf("go/%s", [field]), b.go[field])],
} if {
	input.collectors.goenv.attested.binary
	some i, b in input.binaries
	b.path == input.collectors.goenv.attested.binary
	some name, field in settings
	b.go[field] != ""
	attested := input.goenv.vars[name].value
	attested != b.go[field]
}
