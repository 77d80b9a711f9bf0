package gopolicy.policies.binary.unreadable_test

import data.gopolicy.fixtures
import data.gopolicy.policies.binary.unreadable

test_readable_binary_passes if {
	count(unreadable.violation) == 0 with input as fixtures.with_binaries([fixtures.elf_bin])
}

test_truncated_file_is_a_violation if {
	bad := {"path": "/dist/api", "format": "elf", "error": "read ELF headers: unexpected EOF"}
	some v in unreadable.violation with input as fixtures.with_binaries([bad])
	v.msg == "/dist/api could not be analysed: read ELF headers: unexpected EOF"
}
