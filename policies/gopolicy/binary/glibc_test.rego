package gopolicy.policies.binary.glibc_test

import data.gopolicy.fixtures
import data.gopolicy.policies.binary.glibc

cgo := fixtures.bin({"elf": {"static": false, "interpreter": "/lib64/ld-linux-x86-64.so.2", "needed": ["libc.so.6"], "glibc_max": "2.34", "glibc_max_symbols": ["__libc_start_main", "pthread_create"]}})

test_old_enough_glibc_passes if {
	count(glibc.violation) == 0 with input as fixtures.targeting(fixtures.with_binaries([cgo]), {"libc": {"flavour": "glibc", "version": "2.36"}})
}

test_newer_glibc_needed_is_a_violation if {
	some v in glibc.violation with input as fixtures.targeting(fixtures.with_binaries([cgo]), {"libc": {"flavour": "glibc", "version": "2.31"}})
	v.msg == "/dist/api needs GLIBC_2.34 (__libc_start_main, pthread_create) but the target has glibc 2.31"
}

test_versions_compare_numerically if {
	old := fixtures.bin({"elf": {"glibc_max": "2.3.2", "glibc_max_symbols": ["x"]}})
	count(glibc.violation) == 0 with input as fixtures.targeting(fixtures.with_binaries([old]), {"libc": {"flavour": "glibc", "version": "2.28"}})
}
