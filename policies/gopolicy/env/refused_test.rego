package gopolicy.policies.env.refused_test

import data.gopolicy.fixtures
import data.gopolicy.policies.env.refused

test_clean_environment_passes if {
	count(refused.violation) == 0 with input as fixtures.v04
	count(refused.violation) == 0 with input as fixtures.clean
}

test_goflags_the_go_command_refuses if {
	inp := object.union(fixtures.v04, {"goenv": {"goflags": [
		{"raw": "-typoflag", "name": "typoflag", "has_value": false, "error": "parsing $GOFLAGS: unknown flag -typoflag"},
		{"raw": "-trimpath", "name": "trimpath", "has_value": false},
	]}})
	vs := refused.violation with input as inp
	count(vs) == 1
	some v in vs
	v.msg == "GOFLAGS entry \"-typoflag\": parsing $GOFLAGS: unknown flag -typoflag; every go command fails"
}

test_gotoolchain_the_go_command_refuses if {
	inp := fixtures.with_toolchain({"raw": "asdf", "mode": "", "error": "invalid GOTOOLCHAIN \"asdf\""})
	some v in refused.violation with input as inp
	contains(v.msg, "invalid GOTOOLCHAIN")
}

test_mod_mod_in_a_workspace if {
	some v in refused.violation with input as fixtures.mod_flag_on(fixtures.in_workspace, "mod")
	contains(v.msg, "-mod may only be set to readonly or vendor when in workspace mode")
}

auto_lang := fixtures.with_toolchain({"raw": "go1.600+auto", "mode": "auto", "name": "go1.600", "version": "1.600"})

test_language_version_minimum if {
	some v in refused.violation with input as auto_lang
	contains(v.msg, "go1.600 is a language version but not a toolchain version (go1.600.x)")
}

test_language_version_minimum_raised_by_go_mod if {
	inp := object.union(auto_lang, {"gomod": {"go": {"version": "1.700", "line": 3}}})
	count(refused.violation) == 0 with input as inp
	inp2 := object.union(auto_lang, {"gomod": {"toolchain": {"version": "go1.600.3", "line": 4}}})
	count(refused.violation) == 0 with input as inp2
}

test_language_version_minimum_on_path if {
	inp := object.union(auto_lang, {"goenv": {"toolchain": {"on_path": "/usr/local/bin/go1.600"}}})
	count(refused.violation) == 0 with input as inp
}

test_release_minimum_may_be_downloadable if {
	inp := fixtures.with_toolchain({"raw": "go1.400.0+auto", "mode": "auto", "name": "go1.400.0", "version": "1.400.0"})
	count(refused.violation) == 0 with input as inp
}

test_path_minimum_not_on_path if {
	inp := fixtures.with_toolchain({"raw": "go1.400+path", "mode": "path", "name": "go1.400", "version": "1.400"})
	some v in refused.violation with input as inp
	contains(v.msg, "cannot find \"go1.400\" in PATH")
}

test_minimum_is_the_local_toolchain if {
	inp := fixtures.with_toolchain({"raw": "go1.26.8+path", "mode": "path", "name": "go1.26.8", "version": "1.26.8"})
	count(refused.violation) == 0 with input as inp
}

test_workspace_go_line_raises_the_minimum if {
	inp := object.union(object.union(fixtures.in_workspace, {"goenv": {"toolchain": {"raw": "go1.600+path", "mode": "path", "name": "go1.600", "version": "1.600"}}}), {"gowork": {"toolchain": {"version": "go1.601.0", "line": 2}}})
	count(refused.violation) == 0 with input as inp
}
