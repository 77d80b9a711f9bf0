package gopolicy.policies.binary.libc_flavour_test

import data.gopolicy.fixtures
import data.gopolicy.policies.binary.libc_flavour

glibc_bin := fixtures.bin({"elf": {"static": false, "interpreter": "/lib64/ld-linux-x86-64.so.2", "needed": ["libc.so.6"]}})

musl_bin := fixtures.bin({"elf": {"static": false, "interpreter": "/lib/ld-musl-x86_64.so.1", "needed": ["libc.so"]}})

test_glibc_on_glibc_passes if {
	count(libc_flavour.violation) == 0 with input as fixtures.targeting(fixtures.with_binaries([glibc_bin]), {"libc": {"flavour": "glibc"}})
}

test_static_binary_passes_anywhere if {
	count(libc_flavour.violation) == 0 with input as fixtures.targeting(fixtures.with_binaries([fixtures.elf_bin]), {"libc": {"flavour": "musl"}})
}

test_glibc_on_musl_is_a_violation if {
	some v in libc_flavour.violation with input as fixtures.targeting(fixtures.with_binaries([glibc_bin]), {"libc": {"flavour": "musl"}})
	contains(v.msg, "linked against glibc (interpreter /lib64/ld-linux-x86-64.so.2) but the target uses musl")
}

test_musl_on_glibc_is_a_violation if {
	count(libc_flavour.violation) == 1 with input as fixtures.targeting(fixtures.with_binaries([musl_bin]), {"libc": {"flavour": "glibc"}})
}
