package gopolicy.policies.evidence.binding_test

import data.gopolicy.evidence_fixtures as ev
import data.gopolicy.policies.evidence.binding

test_verified_evidence_passes if {
	count(binding.violation) == 0 with input as ev.with_evidence([ev.verified_input])
}

test_no_evidence_is_a_violation if {
	some v in binding.violation with input as ev.with_evidence([])
	v.msg == "/dist/api has no verified evidence: no attestation or bundle was given"
}

test_evidence_for_another_binary_is_a_violation if {
	other := object.union(ev.verified_input, {"artifact": {"path": "/dist/other"}})
	some v in binding.violation with input as ev.with_evidence([other])
	contains(v.msg, "none of the 1 bundles given verified for its SHA-256")
}

test_unverified_evidence_is_a_violation if {
	failed := object.union(ev.verified_input, {"verified": false})
	count(binding.violation) == 1 with input as ev.with_evidence([failed])
}

test_unhashed_binary_is_a_violation if {
	bins := [object.union(data.gopolicy.fixtures.elf_bin, {"sha256": ""})]
	doc := object.union(ev.with_evidence([]), {"binaries": bins})
	some v in binding.violation with input as doc
	contains(v.msg, "--no-hash")
}

test_non_go_executable_is_not_judged if {
	c := {"path": "/usr/bin/ls", "format": "elf", "sha256": "11", "go": {"is_go": false}, "elf": {}}
	count(binding.violation) == 0 with input as object.union(ev.with_evidence([]), {"binaries": [c]})
}
