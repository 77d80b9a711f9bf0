package gopolicy.policies.binary.hardening_test

import data.gopolicy.fixtures
import data.gopolicy.policies.binary.hardening

test_default_requirements_pass if {
	count(hardening.violation) == 0 with input as fixtures.with_binaries([fixtures.elf_bin])
}

test_executable_stack_is_a_violation if {
	count(hardening.violation) == 1 with input as fixtures.with_binaries([fixtures.bin({"elf": {"nx": false}})])
}

test_pie_and_full_relro_when_required if {
	vs := hardening.violation with input as fixtures.with_binaries([fixtures.elf_bin])
		with data.gopolicy.config.hardening as {"require_pie": true, "require_relro": "full", "require_nx": true}
	count(vs) == 2
}

test_pe_aslr_counts_as_pie if {
	exe := {"path": "/dist/a.exe", "format": "pe", "pe": {"aslr": true, "nx": true}}
	count(hardening.violation) == 0 with input as fixtures.with_binaries([exe])
		with data.gopolicy.config.hardening as {"require_pie": true, "require_relro": "none", "require_nx": true}
}

# A file whose headers could not be parsed has no format section: its
# hardening is unknown, not absent (GP-BIN-014 denies the file).
test_unparsable_file_is_not_judged if {
	bad := [
		{"path": "/dist/a", "format": "elf", "error": "read ELF headers: unexpected EOF"},
		{"path": "/dist/b.exe", "format": "pe", "error": "read PE headers: unexpected EOF"},
		{"path": "/dist/c", "format": "macho", "error": "read Mach-O headers: unexpected EOF"},
	]
	count(hardening.violation) == 0 with input as fixtures.with_binaries(bad)
		with data.gopolicy.config.hardening as {"require_pie": true, "require_relro": "full", "require_nx": true}
}

# What the program headers gave is judged.
test_partial_elf_is_judged_on_what_was_read if {
	partial := fixtures.bin({"error": "the ELF section table is unreadable", "elf": {"nx": false, "section_table_error": "bad shstrndx"}})
	count(hardening.violation) == 1 with input as fixtures.with_binaries([partial])
}
