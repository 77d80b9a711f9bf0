package gopolicy.policies.binary.trimpath_test

import data.gopolicy.fixtures
import data.gopolicy.policies.binary.trimpath

test_trimpath_passes if {
	count(trimpath.violation) == 0 with input as fixtures.with_binaries([fixtures.elf_bin])
}

test_no_trimpath_is_a_violation if {
	count(trimpath.violation) == 1 with input as fixtures.with_binaries([fixtures.bin({"go": {"trimpath": false}})])
}
