package gopolicy.policies.platform.cgo_compiler_test

import data.gopolicy.fixtures
import data.gopolicy.policies.platform.cgo_compiler

test_cgo_off_passes if {
	count(cgo_compiler.violation) == 0 with input as fixtures.clean
}

test_cgo_with_native_compiler_passes if {
	count(cgo_compiler.violation) == 0 with input as fixtures.with_env({"CGO_ENABLED": "1"})
}

test_cgo_without_compiler_is_a_violation if {
	inp := object.union(fixtures.with_env({"CGO_ENABLED": "1"}), {"runner": {"compilers": [{"role": "CC", "command": "gcc", "found": false}]}})
	some v in cgo_compiler.violation with input as inp
	contains(v.msg, "not on the runner's PATH")
}

test_cgo_cross_build_with_host_compiler_is_a_violation if {
	inp := fixtures.with_env({"CGO_ENABLED": "1", "GOARCH": "arm64"})
	some v in cgo_compiler.violation with input as inp
	contains(v.msg, "x86_64-linux-gnu")
}

test_cgo_cross_build_with_cross_compiler_passes if {
	inp := object.union(fixtures.with_env({"CGO_ENABLED": "1", "GOARCH": "arm64", "CC": "aarch64-linux-gnu-gcc"}), {"runner": {"compilers": [{"role": "CC", "command": "aarch64-linux-gnu-gcc", "found": true, "machine": "aarch64-linux-gnu", "goos": "linux", "goarch": "arm64"}]}})
	count(cgo_compiler.violation) == 0 with input as inp
}
