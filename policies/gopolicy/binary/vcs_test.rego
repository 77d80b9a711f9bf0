package gopolicy.policies.binary.vcs_test

import data.gopolicy.fixtures
import data.gopolicy.policies.binary.vcs

test_clean_checkout_passes if {
	count(vcs.violation) == 0 with input as fixtures.with_binaries([fixtures.elf_bin])
}

test_dirty_tree_is_a_violation if {
	some v in vcs.violation with input as fixtures.with_binaries([fixtures.bin({"go": {"vcs_modified": "true"}})])
	contains(v.msg, "modified working tree")
}

test_no_vcs_stamping_is_a_violation if {
	b := json.remove(fixtures.elf_bin, ["go/vcs", "go/vcs_revision", "go/vcs_modified"])
	some v in vcs.violation with input as fixtures.with_binaries([b])
	contains(v.msg, "no VCS information")
}
