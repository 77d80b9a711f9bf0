package gopolicy.policies.env.sumdb_off_test

import data.gopolicy.fixtures
import data.gopolicy.policies.env.sumdb_off

test_default_sumdb_passes if {
	count(sumdb_off.violation) == 0 with input as fixtures.clean
}

test_sumdb_off_is_a_violation if {
	inp := object.union(fixtures.with_env({"GOSUMDB": "off"}), {"goenv": {"gosumdb": {"raw": "off", "off": true}}})
	some v in sumdb_off.violation with input as inp
	v.evidence[0].value == "off"
	v.evidence[0].source == "process environment"
}
