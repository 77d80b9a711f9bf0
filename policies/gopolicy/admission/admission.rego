# Admission policies: judged by `gopolicy serve` for each Pod (or pod
# template) with the image verdicts, the containers' Go runtime settings
# and their limits. They are not facts-document policies: the engine
# never runs them on a facts document (no violation rules here).
package gopolicy.admission

# levels is each admission policy's level by profile; an unknown profile
# takes the strictest.
levels := {
	"GP-ADM-001": {"dev": "warn", "ci": "deny", "prod": "deny"},
	"GP-ADM-002": {"dev": "warn", "ci": "deny", "prod": "deny"},
	"GP-ADM-003": {"dev": "warn", "ci": "warn", "prod": "warn"},
	"GP-ADM-004": {"dev": "warn", "ci": "warn", "prod": "warn"},
	"GP-ADM-005": {"dev": "warn", "ci": "warn", "prod": "warn"},
}

strictest := {"GP-ADM-001": "deny", "GP-ADM-002": "deny", "GP-ADM-003": "warn", "GP-ADM-004": "warn", "GP-ADM-005": "warn"}

level(id) := levels[id][input.profile]

level(id) := strictest[id] if not levels[id][input.profile]

raw contains f if some f in data.gopolicy.admission.attestation.finding

raw contains f if some f in data.gopolicy.admission.godebug.finding

raw contains f if some f in data.gopolicy.admission.limits.finding

# findings are every finding with its level in the profile.
findings contains object.union(f, {"level": level(f.policy)}) if some f in raw
