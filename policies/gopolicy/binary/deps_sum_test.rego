package gopolicy.policies.binary.deps_sum_test

import data.gopolicy.fixtures
import data.gopolicy.policies.binary.deps_sum

test_matching_sums_pass if {
	count(deps_sum.violation) == 0 with input as fixtures.with_binaries([fixtures.elf_bin])
}

test_dependency_missing_from_go_sum_is_a_violation if {
	b := fixtures.bin({"go": {"deps": [{"path": "github.com/evil/x", "version": "v1.0.0", "sum": "h1:AAAA"}]}})
	some v in deps_sum.violation with input as fixtures.with_binaries([b])
	v.msg == "/dist/api was built with github.com/evil/x v1.0.0, which go.sum does not list"
}

test_different_hash_is_a_violation if {
	b := fixtures.bin({"go": {"deps": [{"path": "github.com/spf13/cobra", "version": "v1.10.2", "sum": "h1:BBBB"}]}})
	some v in deps_sum.violation with input as fixtures.with_binaries([b])
	contains(v.msg, "go.sum line 1 records")
}

test_replacement_is_what_counts if {
	b := fixtures.bin({"go": {"deps": [{"path": "github.com/a/b", "version": "v1.0.0", "replace": {"path": "github.com/spf13/cobra", "version": "v1.10.2", "sum": "h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="}}]}})
	count(deps_sum.violation) == 0 with input as fixtures.with_binaries([b])
}
