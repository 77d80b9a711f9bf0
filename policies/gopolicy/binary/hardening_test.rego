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
