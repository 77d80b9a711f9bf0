# METADATA
# title: Evidence signed before the commit, or too old
# description: >-
#   The time a log or timestamp authority vouches for the signature must
#   not be earlier than the commit the binary was built from (vcs.time in
#   its build info): evidence signed before the source existed was made
#   for another build. With evidence_max_age_days set, evidence older than
#   that (as of the facts' time) is refused too, so a stale signing key or
#   identity cannot vouch forever.
# custom:
#   id: GP-EVD-003
#   version: 1.0.0
#   severity: high
#   requires: [binaries, evidence]
#   profiles: {dev: warn, ci: deny, prod: deny}
#   remediation: >-
#     Attest the binary after building it, from the same commit; renew the
#     evidence (re-attest) when it is older than the organisation allows.
package gopolicy.policies.evidence.freshness

import data.gopolicy.lib

# signed_at is the earliest verified time of an input.
signed_at(e) := min({time.parse_rfc3339_ns(t.time) | some t in e.timestamps})

violation contains {
	"msg": sprintf("%s was signed at %s, before %s's commit time %s", [e.path, first_time(e), b.path, b.go.vcs_time]),
	"subject": b.path,
	"evidence": [
		{"fact": sprintf("/evidence/inputs/%d/timestamps", [j]), "value": first_time(e), "source": e.path, "file": e.path},
		lib.binary_evidence(i, "go/vcs_time", b.go.vcs_time),
	],
} if {
	some j, e in input.evidence.inputs
	e.verified
	count(e.timestamps) > 0
	some i, b in input.binaries
	b.path == e.artifact.path
	b.go.vcs_time
	signed_at(e) < time.parse_rfc3339_ns(b.go.vcs_time)
}

violation contains {
	"msg": sprintf("%s was signed at %s, %d days before the facts were collected; at most %d are allowed", [e.path, first_time(e), age_days(e), data.gopolicy.config.evidence_max_age_days]),
	"subject": e.artifact.path,
	"evidence": [{"fact": sprintf("/evidence/inputs/%d/timestamps", [j]), "value": first_time(e), "source": e.path, "file": e.path}],
} if {
	data.gopolicy.config.evidence_max_age_days > 0
	some j, e in input.evidence.inputs
	e.verified
	count(e.timestamps) > 0
	age_days(e) > data.gopolicy.config.evidence_max_age_days
}

age_days(e) := floor((time.parse_rfc3339_ns(input.now) - signed_at(e)) / ((24 * 3600) * 1e9))

first_time(e) := t.time if {
	some t in e.timestamps
	time.parse_rfc3339_ns(t.time) == signed_at(e)
}
