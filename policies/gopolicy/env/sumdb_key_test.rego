package gopolicy.policies.env.sumdb_key_test

import data.gopolicy.fixtures
import data.gopolicy.policies.env.sumdb_key

test_known_database_passes if {
	count(sumdb_key.violation) == 0 with input as fixtures.clean
}

test_custom_database_with_valid_key_passes if {
	inp := object.union(fixtures.clean, {"goenv": {"gosumdb": {"raw": "sum.acme.example+1234abcd+AAAA", "off": false, "name": "sum.acme.example", "has_key": true, "key_valid": true, "known": false}}})
	count(sumdb_key.violation) == 0 with input as inp
}

test_bare_unknown_name_is_a_violation if {
	inp := object.union(fixtures.clean, {"goenv": {"gosumdb": {"raw": "sum.acme.example", "off": false, "name": "sum.acme.example", "has_key": false, "key_valid": false, "known": false, "key_error": "no public key: GOSUMDB names an unknown database without name+key"}}})
	some v in sumdb_key.violation with input as inp
	contains(v.msg, "no public key")
}

test_off_is_left_to_other_policies if {
	inp := object.union(fixtures.clean, {"goenv": {"gosumdb": {"raw": "off", "off": true, "key_valid": false}}})
	count(sumdb_key.violation) == 0 with input as inp
}
