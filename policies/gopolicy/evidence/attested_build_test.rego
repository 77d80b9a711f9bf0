package gopolicy.policies.evidence.attested_build_test

import data.gopolicy.evidence_fixtures as ev
import data.gopolicy.fixtures
import data.gopolicy.policies.evidence.attested_build

attested(vars) := object.union(ev.with_evidence([ev.verified_input]), {
	"collectors": {"goenv": {"status": "ok", "attested": {"input": ev.verified_input.path, "signer": "key sha256:ab", "binary": "/dist/api"}}},
	"goenv": {"vars": object.union(fixtures.clean_vars, {k: fixtures.var(v) | some k, v in vars})},
})

test_matching_build_passes if {
	count(attested_build.violation) == 0 with input as attested({})
}

test_other_goarch_is_a_violation if {
	some v in attested_build.violation with input as attested({"GOARCH": "arm64"})
	v.msg == "/dist/api records GOARCH=amd64, but the build that attested it had GOARCH=arm64"
}

test_local_facts_are_not_compared if {
	count(attested_build.violation) == 0 with input as object.union(ev.with_evidence([]), {"goenv": {"vars": object.union(fixtures.clean_vars, {"GOARCH": fixtures.var("arm64")})}})
}
