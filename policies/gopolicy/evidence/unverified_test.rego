package gopolicy.policies.evidence.unverified_test

import data.gopolicy.evidence_fixtures as ev
import data.gopolicy.policies.evidence.unverified

test_verified_input_passes if {
	count(unverified.violation) == 0 with input as ev.with_evidence([ev.verified_input])
}

test_failed_input_says_why if {
	failed := object.union(ev.verified_input, {"verified": false, "error": "tlog: inclusion proof does not verify"})
	some v in unverified.violation with input as ev.with_evidence([failed])
	v.msg == "/dist/api.gopolicy.sigstore.json does not verify: tlog: inclusion proof does not verify"
	v.evidence[0].file == "/dist/api.gopolicy.sigstore.json"
}
