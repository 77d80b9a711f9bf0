package gopolicy.policies.binary.module_info_test

import data.gopolicy.fixtures
import data.gopolicy.policies.binary.module_info

test_module_build_with_sums_passes if {
	count(module_info.violation) == 0 with input as fixtures.with_binaries([fixtures.elf_bin])
}

test_non_go_binary_is_not_told_to_build_in_module_mode if {
	c := {"path": "/usr/bin/ls", "format": "elf", "go": {"is_go": false, "error": "not a Go executable"}, "elf": {}}
	count(module_info.violation) == 0 with input as fixtures.with_binaries([c])
}

test_gopath_build_is_reported if {
	b := fixtures.bin({"go": {"has_module_info": false, "deps": []}})
	some v in module_info.violation with input as fixtures.with_binaries([b])
	contains(v.msg, "no module information")
}

test_vendor_build_without_sums_is_reported if {
	b := fixtures.bin({"go": {"deps": [{"path": "github.com/a/b", "version": "v1.0.0"}]}})
	some v in module_info.violation with input as fixtures.with_binaries([b])
	contains(v.msg, "records no hash for 1 dependencies (github.com/a/b@v1.0.0)")
}
