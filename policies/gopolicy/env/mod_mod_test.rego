package gopolicy.policies.env.mod_mod_test

import data.gopolicy.fixtures
import data.gopolicy.policies.env.mod_mod

flags(list) := object.union(fixtures.clean, {"goenv": {"goflags": list}})

test_readonly_passes if {
	count(mod_mod.violation) == 0 with input as flags([{"raw": "-mod=readonly", "name": "mod", "value": "readonly", "has_value": true}])
}

test_mod_mod_is_a_violation if {
	count(mod_mod.violation) == 1 with input as flags([{"raw": "-mod=mod", "name": "mod", "value": "mod", "has_value": true}])
}

test_last_mod_wins if {
	inp := object.union(fixtures.with_mod_flag("readonly"), {"goenv": {
		"goflags": [
			{"raw": "-mod=mod", "name": "mod", "value": "mod", "has_value": true},
			{"raw": "-mod=readonly", "name": "mod", "value": "readonly", "has_value": true},
		],
		"mod_flag": {"value": "readonly", "index": 1},
	}})
	count(mod_mod.violation) == 0 with input as inp
}

test_effective_mod_mod_is_a_violation if {
	some v in mod_mod.violation with input as fixtures.with_mod_flag("mod")
	v.evidence[1].value == "-mod=mod"
}
