package gopolicy.policies.module.vendor_consistency_test

import data.gopolicy.fixtures
import data.gopolicy.policies.module.vendor_consistency

test_consistent_vendor_passes if {
	count(vendor_consistency.violation) == 0 with input as fixtures.clean
}

test_violation_points_at_modules_txt if {
	inp := object.union(fixtures.clean, {"vendor": {"found": true, "violations": [{
		"rule": "required-not-explicit", "module": "github.com/spf13/cobra@v1.10.2",
		"message": "github.com/spf13/cobra@v1.10.2 is explicitly required in go.mod, but not marked as explicit in vendor/modules.txt",
		"file": "/src/app/vendor/modules.txt", "line": 14,
	}]}})
	some v in vendor_consistency.violation with input as inp
	v.evidence[0].source == "/src/app/vendor/modules.txt:14"
}
