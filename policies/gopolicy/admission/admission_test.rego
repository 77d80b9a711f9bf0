package gopolicy.admission_test

import data.gopolicy.admission

verified := {"attestation": "verified", "digest": "sha256:aa", "binaries": [{"path": "/app", "go_version": "go1.26.0", "default_godebug": {}}]}

ctr(over) := object.union(
	{
		"name": "web", "kind": "container", "image": "r.example/app:v1", "env": {}, "env_from": [],
		"gomaxprocs": -1, "gomemlimit_bytes": -1, "cpu_limit_millis": 0, "memory_limit_bytes": 0,
		"verdict": verified,
	},
	over,
)

pod(profile, containers) := {"profile": profile, "namespace": "apps", "kind": "Pod", "name": "p", "containers": containers}

ids(fs) := {f.policy | some f in fs}

test_clean_pod_has_no_findings if {
	count(admission.findings) == 0 with input as pod("prod", [ctr({})])
}

test_missing_attestation_denies_in_prod_warns_in_dev if {
	c := ctr({"verdict": {"attestation": "missing", "digest": "sha256:bb", "binaries": []}})
	some f in admission.findings with input as pod("prod", [c])
	f.policy == "GP-ADM-001"
	f.level == "deny"
	contains(f.msg, "no gopolicy facts attestation")
	some g in admission.findings with input as pod("dev", [c])
	g.level == "warn"
}

test_unknown_profile_takes_the_strictest_level if {
	c := ctr({"verdict": {"attestation": "other_digest", "digest": "sha256:bb", "binaries": []}})
	some f in admission.findings with input as pod("staging", [c])
	f.level == "deny"
	contains(f.msg, "another digest")
}
