package gopolicy.policies.module.toolchain_switch_test

import data.gopolicy.fixtures
import data.gopolicy.policies.module.toolchain_switch

test_local_passes if {
	count(toolchain_switch.violation) == 0 with input as fixtures.clean
}

test_exact_version_passes if {
	count(toolchain_switch.violation) == 0 with input as fixtures.with_env({"GOTOOLCHAIN": "go1.26.8"})
}

test_auto_is_a_violation if {
	count(toolchain_switch.violation) == 1 with input as fixtures.with_env({"GOTOOLCHAIN": "auto"})
}

test_name_plus_auto_is_a_violation if {
	count(toolchain_switch.violation) == 1 with input as fixtures.with_env({"GOTOOLCHAIN": "go1.26.8+auto"})
}

test_parsed_local_and_pinned_pass if {
	count(toolchain_switch.violation) == 0 with input as fixtures.v04
	count(toolchain_switch.violation) == 0 with input as fixtures.with_toolchain({"raw": "go1.99.1-bigcorp", "mode": "pinned", "name": "go1.99.1-bigcorp", "version": "1.99.1"})
}

test_parsed_auto_is_a_violation if {
	count(toolchain_switch.violation) == 1 with input as fixtures.with_toolchain({"raw": "local+auto", "mode": "auto"})
}

test_refused_value_is_gp_env_009s if {
	count(toolchain_switch.violation) == 0 with input as fixtures.with_toolchain({"raw": "asdf", "mode": "", "error": "invalid GOTOOLCHAIN \"asdf\""})
}
