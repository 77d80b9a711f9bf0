package gopolicy.policies.platform.goos_goarch_test

import data.gopolicy.fixtures
import data.gopolicy.policies.platform.goos_goarch

test_native_build_passes if {
	count(goos_goarch.violation) == 0 with input as fixtures.clean
}

test_windows_on_linux_runner_is_a_violation if {
	some v in goos_goarch.violation with input as fixtures.with_env({"GOOS": "windows"})
	v.subject == "GOOS"
	contains(v.msg, "the runner is linux")
}

test_cross_build_matching_target_passes if {
	inp := object.union(fixtures.with_env({"GOARCH": "arm64"}), {"target": {"specified": true, "os": "linux", "arch": "arm64", "source": "flag"}})
	count(goos_goarch.violation) == 0 with input as inp
}

test_build_not_matching_target_is_a_violation if {
	inp := object.union(fixtures.clean, {"target": {"specified": true, "os": "linux", "arch": "arm64", "source": "flag"}})
	some v in goos_goarch.violation with input as inp
	v.evidence[1].fact == "/target/arch"
}
