package gopolicy.admission.godebug_test

import data.gopolicy.admission.godebug
import data.gopolicy.admission_test as t

test_pod_env_re_enabling_rsa_kex_is_a_finding if {
	some f in godebug.finding with input as t.pod("prod", [t.ctr({"env": {"GODEBUG": "http2client=0, tlsrsakex=1"}})])
	f.policy == "GP-ADM-002"
	contains(f.msg, "tlsrsakex=1 (from the Pod's GODEBUG)")
}

test_binary_default_godebug_counts if {
	v := object.union(t.verified, {"binaries": [{"path": "/app", "go_version": "go1.22.0", "default_godebug": {"tls3des": "1"}}]})
	some f in godebug.finding with input as t.pod("prod", [t.ctr({"verdict": v})])
	contains(f.msg, "tls3des=1 (from the binary's DefaultGODEBUG)")
}

test_pod_env_overrides_the_binary_default if {
	v := object.union(t.verified, {"binaries": [{"path": "/app", "go_version": "go1.22.0", "default_godebug": {"tls3des": "1"}}]})
	count(godebug.finding) == 0 with input as t.pod("prod", [t.ctr({"verdict": v, "env": {"GODEBUG": "tls3des=0"}})])
}

test_last_setting_wins if {
	count(godebug.finding) == 0 with input as t.pod("prod", [t.ctr({"env": {"GODEBUG": "tlsrsakex=1,tlsrsakex=0"}})])
	count(godebug.finding) == 1 with input as t.pod("prod", [t.ctr({"env": {"GODEBUG": "tlsrsakex=0,tlsrsakex=1"}})])
}

test_without_an_attested_binary_the_env_is_still_judged if {
	c := t.ctr({"env": {"GODEBUG": "x509negativeserial=1"}, "verdict": {"attestation": "missing", "digest": "sha256:bb", "binaries": []}})
	some f in godebug.finding with input as t.pod("prod", [c])
	f.policy == "GP-ADM-002"
	contains(f.msg, "(no attested binary)")
}

test_removed_and_unknown_settings_warn if {
	fs := godebug.finding with input as t.pod("prod", [t.ctr({"env": {"GODEBUG": "x509sha1=1,tlsrsakexx=1"}})])
	msgs := {f.msg | some f in fs; f.policy == "GP-ADM-003"}
	count(msgs) == 2
	some m in msgs
	contains(m, "x509sha1 no longer exists since Go 1.24")
}

# Every insecure setting is one the Go release's table knows.
test_insecure_settings_are_in_the_go_table if {
	every name, _ in godebug.insecure {
		godebug.table.settings[name]
	}
}
