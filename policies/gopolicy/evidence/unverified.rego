# METADATA
# title: Evidence that does not verify
# description: >-
#   A bundle or attestation was given but failed a verification step: its
#   signature, its signer (not on the allow-list), its transparency-log
#   entry (inclusion proof, checkpoint or signed entry timestamp), its
#   timestamps, or its subject (another binary's digest). Failed evidence
#   never counts as present; this finding says why it failed, so a
#   tampered or misdirected bundle is not silently ignored.
# custom:
#   id: GP-EVD-002
#   version: 1.0.0
#   severity: high
#   requires: [evidence]
#   profiles: {dev: warn, ci: deny, prod: deny}
#   remediation: >-
#     Check that the bundle belongs to this binary and was signed by an
#     allowed identity (--evidence-key, --certificate-identity), against
#     the trust root the log and authority belong to (--trusted-root,
#     --log-key); re-attest the binary if it was rebuilt.
package gopolicy.policies.evidence.unverified

violation contains {
	"msg": sprintf("%s does not verify: %s", [e.path, object.get(e, "error", "a verification step failed")]),
	"subject": e.path,
	"evidence": [{"fact": sprintf("/evidence/inputs/%d/verified", [i]), "value": false, "source": e.path, "file": e.path}],
} if {
	some i, e in input.evidence.inputs
	not e.verified
}
