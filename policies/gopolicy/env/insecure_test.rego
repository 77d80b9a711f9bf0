package gopolicy.policies.env.insecure_test

import data.gopolicy.fixtures
import data.gopolicy.policies.env.insecure

test_clean_passes if {
	count(insecure.violation) == 0 with input as fixtures.clean
}

test_goinsecure_is_a_violation if {
	some v in insecure.violation with input as fixtures.with_env({"GOINSECURE": "*.corp.example"})
	contains(v.msg, "*.corp.example")
}

test_insecure_goflag_is_a_violation if {
	inp := object.union(fixtures.with_env({"GOFLAGS": "-insecure"}), {"goenv": {"goflags": [{"raw": "-insecure", "name": "insecure", "has_value": false}]}})
	some v in insecure.violation with input as inp
	v.subject == "-insecure"
}
