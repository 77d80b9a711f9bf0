package gopolicy.policies.module.vendor_ignored_test

import data.gopolicy.fixtures
import data.gopolicy.policies.module.vendor_ignored

test_no_ignored_lines_pass if {
	count(vendor_ignored.violation) == 0 with input as fixtures.vendored
}

test_ignored_lines_are_warnings if {
	inp := object.union(fixtures.vendored, {
		"vendor": {"ignored": [{"line": 1, "text": "example.com/a", "reason": "line outside any module block"}], "ignored_more": 3},
		"gowork": {"vendor": {"file": "/src/vendor/modules.txt", "ignored": [{"line": 2, "text": "# x", "reason": "module line with fewer than two fields"}]}},
	})
	vs := vendor_ignored.violation with input as inp
	count(vs) == 3
	some v in vs
	v.evidence[0].source == "/src/app/vendor/modules.txt:1"
	some w in vs
	w.evidence[0].source == "/src/vendor/modules.txt:2"
	some m in vs
	m.msg == "vendor/modules.txt has 3 more lines the go command ignores"
}
