# METADATA
# title: Binary has no verified evidence of how it was built
# description: >-
#   A release binary must carry its proof with it: a gopolicy facts
#   attestation or another Sigstore bundle that names the binary's SHA-256,
#   signed by an allowed identity and verified offline against the pinned
#   trust root. Without it nobody can show where the binary came from, or
#   judge the environment that built it. A search of a transparency log
#   by hash is no substitute: it is incomplete by design. Executables that
#   are not Go programs are not judged here.
# custom:
#   id: GP-EVD-001
#   version: 1.0.0
#   severity: high
#   requires: [binaries, evidence]
#   profiles: {dev: off, ci: warn, prod: deny}
#   remediation: >-
#     Attest the binary where it is built (gopolicy attest --binary BIN --key
#     KEY --rekor-url URL -o BIN.gopolicy.sigstore.json) and judge it with
#     --attestation BIN.gopolicy.sigstore.json (or a cosign bundle with
#     --bundle) and the trust material (--trusted-root, --evidence-key).
package gopolicy.policies.evidence.binding

import data.gopolicy.lib

violation contains {
	"msg": sprintf("%s has no verified evidence: %s", [b.path, reason(b)]),
	"subject": b.path,
	"evidence": [lib.binary_evidence(i, "sha256", b.sha256), {"fact": "/evidence/inputs", "value": count(input.evidence.inputs), "source": "--attestation and --bundle"}],
} if {
	some i, b in input.binaries
	b.go.is_go
	not verified(b.path)
}

verified(path) if {
	some e in input.evidence.inputs
	e.verified
	e.artifact.path == path
}

reason(b) := "it was not hashed (--no-hash), so no bundle can be bound to it" if b.sha256 == ""

else := "no attestation or bundle was given" if count(input.evidence.inputs) == 0

else := sprintf("none of the %d bundles given verified for its SHA-256 %s", [count(input.evidence.inputs), b.sha256])
