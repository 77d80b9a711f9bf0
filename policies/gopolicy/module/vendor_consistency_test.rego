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

violation_at_14 := {"vendor": {"violations": [{
	"rule": "required-not-explicit", "module": "github.com/spf13/cobra@v1.10.2",
	"message": "github.com/spf13/cobra@v1.10.2 is explicitly required in go.mod, but not marked as explicit in vendor/modules.txt",
	"file": "/src/app/vendor/modules.txt", "line": 14,
}]}}

test_vendor_mode_judges_vendor if {
	some v in vendor_consistency.violation with input as object.union(fixtures.vendored, violation_at_14)
	v.evidence[1].value == "vendor"
}

test_readonly_mode_does_not_read_vendor if {
	inp := object.union(fixtures.mod_flag_on(fixtures.vendored, "readonly"), violation_at_14)
	count(vendor_consistency.violation) == 0 with input as inp
}

test_mod_vendor_without_vendor_directory if {
	some v in vendor_consistency.violation with input as fixtures.with_mod_flag("vendor")
	contains(v.msg, "does not exist")
}

test_mod_vendor_without_vendor_directory_before_go_1_14 if {
	inp := object.union(fixtures.with_mod_flag("vendor"), {"gomod": {"go": {"version": "1.13", "line": 3}}})
	count(vendor_consistency.violation) == 0 with input as inp
}

test_workspace_vendoring_is_gp_mod_009s if {
	inp := object.union(fixtures.mod_flag_on(fixtures.in_workspace, "vendor"), violation_at_14)
	count(vendor_consistency.violation) == 0 with input as inp
}
