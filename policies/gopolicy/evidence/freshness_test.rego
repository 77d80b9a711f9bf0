package gopolicy.policies.evidence.freshness_test

import data.gopolicy.evidence_fixtures as ev
import data.gopolicy.policies.evidence.freshness

test_signed_after_the_commit_passes if {
	count(freshness.violation) == 0 with input as ev.with_evidence([ev.verified_input])
}

test_signed_before_the_commit_is_a_violation if {
	early := object.union(ev.verified_input, {"timestamps": [{"kind": "tlog", "time": "2026-11-19T10:00:00Z"}]})
	some v in freshness.violation with input as ev.with_evidence([early])
	contains(v.msg, "before /dist/api's commit time 2026-11-20T09:00:00Z")
}

test_too_old_with_a_maximum_age if {
	later := object.union(ev.with_evidence([ev.verified_input]), {"now": "2026-11-24T12:00:00Z"})
	some v in freshness.violation with input as later
		with data.gopolicy.config.evidence_max_age_days as 2
	v.msg == "/dist/api.gopolicy.sigstore.json was signed at 2026-11-20T10:00:00Z, 4 days before the facts were collected; at most 2 are allowed"
}

test_no_maximum_age_by_default if {
	old := object.union(ev.verified_input, {"timestamps": [{"kind": "tlog", "time": "2026-11-20T09:30:00Z"}]})
	count(freshness.violation) == 0 with input as object.union(ev.with_evidence([old]), {"now": "2030-01-01T00:00:00Z"})
}
