package gopolicy.policies.binary.static_test

import data.gopolicy.fixtures
import data.gopolicy.policies.binary.static

test_static_binary_passes if {
	count(static.violation) == 0 with input as fixtures.targeting(fixtures.with_binaries([fixtures.elf_bin]), {"static": true})
}

test_pie_without_libraries_is_not_static if {
	pie := fixtures.bin({"elf": {"static": false, "pie": true, "interpreter": "/lib64/ld-linux-x86-64.so.2", "needed": []}})
	some v in static.violation with input as fixtures.targeting(fixtures.with_binaries([pie]), {"static": true})
	contains(v.msg, "a PIE still needs the loader")
}

test_dynamic_binary_without_static_requirement_passes if {
	dyn := fixtures.bin({"elf": {"static": false, "interpreter": "/lib64/ld-linux-x86-64.so.2", "needed": ["libc.so.6"]}})
	count(static.violation) == 0 with input as fixtures.with_binaries([dyn])
}

# A guard: the message needs the elf facts, so an unparsable file never
# fired; the rule now says so itself.
test_unparsable_elf_is_not_judged if {
	bad := {"path": "/dist/api", "format": "elf", "error": "read ELF headers: unexpected EOF"}
	count(static.violation) == 0 with input as fixtures.targeting(fixtures.with_binaries([bad]), {"static": true})
}

test_dynamic_binary_names_its_loader_and_libraries if {
	dyn := fixtures.bin({"elf": {"static": false, "interpreter": "/lib64/ld-linux-x86-64.so.2", "needed": ["libc.so.6"]}})
	some v in static.violation with input as fixtures.targeting(fixtures.with_binaries([dyn]), {"static": true})
	contains(v.msg, "(interpreter /lib64/ld-linux-x86-64.so.2, libraries libc.so.6)")
}

test_libraries_without_loader if {
	dyn := fixtures.bin({"elf": {"static": false, "needed": ["libfoo.so"]}})
	some v in static.violation with input as fixtures.targeting(fixtures.with_binaries([dyn]), {"static": true})
	contains(v.msg, "(libraries libfoo.so)")
}
