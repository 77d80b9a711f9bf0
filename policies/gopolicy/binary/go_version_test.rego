package gopolicy.policies.binary.go_version_test

import data.gopolicy.fixtures
import data.gopolicy.policies.binary.go_version

test_current_go_passes if {
	count(go_version.violation) == 0 with input as fixtures.with_binaries([fixtures.elf_bin])
}

test_debian_go119_binary_is_a_violation if {
	old := fixtures.bin({"go": {"go_version": "go1.19.8", "go_version_base": "go1.19.8"}})
	some v in go_version.violation with input as fixtures.with_binaries([old])
	contains(v.msg, "older than the minimum go1.25")
}

test_boringcrypto_version_string_is_understood if {
	bc := fixtures.bin({"go": {"go_version": "go1.20.1 X:boringcrypto", "go_version_base": "go1.20.1"}})
	count(go_version.violation) == 1 with input as fixtures.with_binaries([bc])
}
