package gopolicy.policies.module.go_version_test

import data.gopolicy.fixtures
import data.gopolicy.lib
import data.gopolicy.policies.module.go_version

test_older_go_line_passes if {
	count(go_version.violation) == 0 with input as fixtures.clean
}

test_newer_go_line_fails_with_local_toolchain if {
	inp := object.union(fixtures.clean, {"gomod": {"go": {"version": "1.27.0", "line": 3}}})
	some v in go_version.violation with input as inp
	contains(v.msg, "the build fails")
}

test_newer_toolchain_line_switches_with_auto if {
	inp := object.union(fixtures.with_env({"GOTOOLCHAIN": "auto"}), {"gomod": {"toolchain": {"version": "go1.27.1", "line": 4}}})
	some v in go_version.violation with input as inp
	contains(v.msg, "silently download")
}

test_missing_go_command_is_not_a_silent_pass if {
	inp := object.union(fixtures.clean, {"runner": {"go": {"found": false}}})
	count(go_version.violation) == 1 with input as inp
}

test_version_order_matches_the_go_command if {
	lib.go_newer("1.21rc1", "1.21")
	lib.go_newer("1.21.0", "1.21rc1")
	lib.go_newer("1.21.1", "1.21.0")
	lib.go_newer("go1.26.8", "1.26")
	not lib.go_newer("1.9", "1.10")
	lib.go_newer("1.10", "1.9")
}
