package gopolicy.policies.module.sum_integrity_test

import data.gopolicy.fixtures
import data.gopolicy.policies.module.sum_integrity

test_clean_go_sum_passes if {
	count(sum_integrity.violation) == 0 with input as fixtures.clean
}

test_malformed_line_is_a_violation if {
	inp := object.union(fixtures.clean, {"gosum": {"malformed": [{"line": 12, "text": "github.com/a/b v1.0.0", "reason": "wrong number of fields 2"}]}})
	some v in sum_integrity.violation with input as inp
	v.evidence[0].source == "/src/app/go.sum:12"
}

test_conflicting_hashes_are_a_violation if {
	inp := object.union(fixtures.clean, {"gosum": {"conflicts": [{"module": "github.com/a/b", "version": "v1.0.0", "go_mod": false, "hashes": [
		{"module": "github.com/a/b", "version": "v1.0.0", "hash": "h1:AAAA", "line": 3},
		{"module": "github.com/a/b", "version": "v1.0.0", "hash": "h1:BBBB", "line": 9},
	]}]}})
	some v in sum_integrity.violation with input as inp
	contains(v.msg, "2 different hashes")
	count(v.evidence) == 2
}
