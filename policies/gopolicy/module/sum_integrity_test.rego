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

malformed := {"gosum": {"malformed": [{"line": 12, "text": "github.com/a/b v1.0.0", "reason": "wrong number of fields 2"}], "malformed_more": 7}}

conflict := {"gosum": {"conflicts": [{"module": "github.com/a/b", "version": "v1.0.0", "go_mod": true, "hashes": [
	{"module": "github.com/a/b", "version": "v1.0.0", "go_mod": true, "hash": "h1:AAAA", "line": 3},
	{"module": "github.com/a/b", "version": "v1.0.0", "go_mod": true, "hash": "h1:BBBB", "line": 9},
]}]}}

test_readonly_mode_judges_go_sum if {
	vs := sum_integrity.violation with input as object.union(object.union(fixtures.v04, malformed), conflict)
	count(vs) == 3
	some m in vs
	m.msg == "go.sum has 7 more malformed lines"
	some c in vs
	contains(c.msg, "v1.0.0/go.mod (lines 3, 9)")
}

test_vendor_mode_does_not_read_go_sum if {
	count(sum_integrity.violation) == 0 with input as object.union(object.union(fixtures.vendored, malformed), conflict)
}

test_workspace_conflicts_are_gp_mod_009s if {
	count(sum_integrity.violation) == 0 with input as object.union(fixtures.in_workspace, conflict)
}
