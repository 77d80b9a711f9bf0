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

# An ELF file whose section table is unreadable: the program headers were
# read, and the file is still denied.
test_partial_elf_is_a_violation if {
	bad := fixtures.bin({
		"kind": "executable",
		"error": "the ELF section table is unreadable (bad shstrndx): only the program headers were read",
	})
	some v in unreadable.violation with input as fixtures.with_binaries([bad])
	v.evidence[1] == {"fact": "/binaries/0/kind", "value": "executable", "source": "/dist/api", "file": "/dist/api"}
}

test_special_file_is_a_violation if {
	fifo := {"path": "/dist/pipe", "format": "unknown", "kind": "special", "file_type": "a named pipe (FIFO)", "error": "is a named pipe (FIFO), not a regular file: not read"}
	some v in unreadable.violation with input as fixtures.with_binaries([fifo])
	v.msg == "/dist/pipe could not be analysed: is a named pipe (FIFO), not a regular file: not read"
}
