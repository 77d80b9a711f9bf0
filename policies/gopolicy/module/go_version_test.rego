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

test_local_toolchain_refuses_a_newer_go_line if {
	inp := object.union(fixtures.v04, {"gomod": {"go": {"version": "1.99", "line": 3}}})
	some v in go_version.violation with input as inp
	v.msg == "go.mod go line requires go 1.99 but the runner has go1.26.8; the build fails because GOTOOLCHAIN=local forbids switching"
}

test_local_toolchain_ignores_the_toolchain_line if {
	inp := object.union(fixtures.v04, {"gomod": {"toolchain": {"version": "go1.99.0", "line": 4}}})
	count(go_version.violation) == 0 with input as inp
}

test_pinned_toolchain_refuses_a_newer_go_line if {
	inp := object.union(fixtures.with_toolchain({"raw": "go1.99.1-bigcorp", "mode": "pinned", "name": "go1.99.1-bigcorp", "version": "1.99.1"}), {"gomod": {"go": {"version": "1.100", "line": 3}}})
	some v in go_version.violation with input as inp
	contains(v.msg, "GOTOOLCHAIN pins go1.99.1-bigcorp")
	count(go_version.violation) == 0 with input as fixtures.with_toolchain({"raw": "go1.99.1-bigcorp", "mode": "pinned", "name": "go1.99.1-bigcorp", "version": "1.99.1"})
}

test_local_replacement_needing_a_newer_go if {
	inp := object.union(fixtures.v04, {"gomod": {"replace": [{"old_path": "sub", "old_version": "v1.0.0", "new_path": "./sub", "local": true, "location": "module", "go_version": "1.999", "line": 9}]}})
	some v in go_version.violation with input as inp
	startswith(v.msg, "the local replacement ./sub of sub requires go 1.999")
}

test_auto_switches_to_the_go_line if {
	inp := object.union(fixtures.with_toolchain({"raw": "auto", "mode": "auto"}), {"gomod": {"go": {"version": "1.27.0", "line": 3}, "toolchain": {"version": "go1.27.1", "line": 4}}})
	vs := go_version.violation with input as inp
	count(vs) == 2
	some v in vs
	contains(v.msg, "go.mod toolchain line requires go 1.27.1 but the runner has go1.26.8; the go command will silently download")
}

test_auto_from_a_named_minimum if {
	inp := object.union(fixtures.with_toolchain({"raw": "go1.27.0+auto", "mode": "auto", "name": "go1.27.0", "version": "1.27.0"}), {"gomod": {"go": {"version": "1.27.2", "line": 3}}})
	some v in go_version.violation with input as inp
	contains(v.msg, "GOTOOLCHAIN starts from go1.27.0")
}

test_auto_in_a_workspace_reads_go_work if {
	inp := object.union(object.union(fixtures.in_workspace, {"goenv": {"toolchain": {"raw": "auto", "mode": "auto"}}}), {"gowork": {"go": {"version": "1.30", "line": 1}}})
	some v in go_version.violation with input as inp
	startswith(v.msg, "go.work go line requires go 1.30")
}

test_a_refused_toolchain_is_gp_env_009s if {
	inp := object.union(fixtures.with_toolchain({"raw": "asdf", "mode": "", "error": "invalid GOTOOLCHAIN \"asdf\""}), {"gomod": {"go": {"version": "1.99", "line": 3}}})
	count(go_version.violation) == 0 with input as inp
}
