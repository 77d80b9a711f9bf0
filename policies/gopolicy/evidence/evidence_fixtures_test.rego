# Evidence inputs for the evidence policies' tests.
package gopolicy.evidence_fixtures

import data.gopolicy.fixtures

verified_input := {
	"path": "/dist/api.gopolicy.sigstore.json", "kind": "attestation", "verified": true,
	"artifact": {"path": "/dist/api", "digest": "sha256:00", "matched": true},
	"steps": [], "subjects": [], "log_entries": [],
	"timestamps": [{"kind": "tlog", "time": "2026-11-20T10:00:00Z"}],
}

with_evidence(inputs) := object.union(fixtures.with_binaries([fixtures.bin({"go": {"vcs_time": "2026-11-20T09:00:00Z"}})]), {
	"now": "2026-11-21T12:00:00Z",
	"evidence": {"trust": {}, "inputs": inputs, "searches": []},
	"collectors": {"binaries": {"status": "ok"}, "evidence": {"status": "ok"}},
})
