package gopolicy.lib_test

import data.gopolicy.fixtures
import data.gopolicy.lib

test_no_build_mode_before_0_4 if {
	not lib.build_mode with input as fixtures.clean
}

test_default_mode_is_the_layouts if {
	lib.build_mode.mode == "readonly" with input as fixtures.v04
	lib.build_mode.mode == "vendor" with input as fixtures.vendored
	not lib.build_mode.explicit with input as fixtures.vendored
}

test_no_module if {
	inp := object.union(fixtures.v04, {"gowork": {"module_mode": {"default": ""}}})
	lib.build_mode.mode == "none" with input as inp
}

test_mod_flag_wins if {
	m := lib.build_mode with input as fixtures.mod_flag_on(fixtures.vendored, "readonly")
	m.mode == "readonly"
	m.explicit
	lib.build_mode.mode == "vendor" with input as fixtures.with_mod_flag("vendor")
	lib.build_mode.mode == "mod" with input as fixtures.with_mod_flag("mod")
}

test_workspace_refuses_mod_mod if {
	m := lib.build_mode with input as fixtures.mod_flag_on(fixtures.in_workspace, "mod")
	m.mode == "refused"
	contains(m.reason, "workspace mode")
	lib.build_mode.mode == "vendor" with input as fixtures.mod_flag_on(fixtures.in_workspace, "vendor")
}

test_empty_and_unsupported_mod_flags if {
	lib.build_mode.mode == "unknown" with input as fixtures.with_mod_flag("")
	lib.build_mode.mode == "refused" with input as fixtures.with_mod_flag("bogus")
}

test_build_mode_evidence if {
	e := lib.build_mode_evidence with input as fixtures.vendored
	e.value == "vendor"
	e.fact == "/gowork/module_mode"
}

test_go_version_reads_toolchain_names if {
	lib.go_version("go1.99.1-bigcorp") == [1, 99, 4, 1]
	lib.go_version("go1.26.8 X:nofips") == [1, 26, 4, 8]
	lib.go_version("1.22rc1") == [1, 22, 3, 1]
	lib.go_version("1") == [1, 0, 4, 0]
}

test_language_versions_compare_like_gover if {
	lib.go_version("1.21") == [1, 21, 0, 0]
	lib.go_newer("1.21rc1", "1.21")
	not lib.go_newer("1.20.0", "1.20")
	not lib.go_newer("1.20", "1.20.0")
}
