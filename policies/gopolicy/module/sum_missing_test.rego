package gopolicy.policies.module.sum_missing_test

import data.gopolicy.fixtures
import data.gopolicy.policies.module.sum_missing

test_complete_go_sum_passes if {
	count(sum_missing.violation) == 0 with input as fixtures.clean
}

test_missing_hashes_are_violations if {
	inp := object.union(fixtures.clean, {"gosum": {"missing": [
		{"module": "github.com/spf13/cobra", "version": "v1.10.2", "kind": "h1", "require_line": 6},
		{"module": "github.com/spf13/cobra", "version": "v1.10.2", "kind": "go.mod", "require_line": 6},
	]}})
	vs := sum_missing.violation with input as inp
	count(vs) == 2
	some v in vs
	v.evidence[0].source == "/src/app/go.mod:6"
}
