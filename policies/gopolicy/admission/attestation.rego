# GP-ADM-001 (scenario E1): every container's image must carry a verified
# gopolicy facts attestation whose subject is the image's digest. An image
# without one, or with one signed for another digest (the tag moved after
# signing), or one that does not verify, was not judged at build time.
package gopolicy.admission.attestation

why := {
	"missing": "no gopolicy facts attestation was found (neither an OCI referrer nor a .att tag)",
	"other_digest": "its attestation names another digest (was the tag moved after signing?)",
	"invalid": "its attestation does not verify against the pinned trust (unsigned, tampered, or an untrusted signer)",
	"unjudgeable": "its attestation verified, but the attested facts could not be judged",
}

finding contains {
	"policy": "GP-ADM-001",
	"container": c.name,
	"msg": sprintf("container %s: image %s (%s): %s", [c.name, c.image, c.verdict.digest, why[c.verdict.attestation]]),
} if {
	some c in input.containers
	c.verdict.attestation != "verified"
}
