package evidence

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/gopolicy/gopolicy/pkg/facts"
)

// Input converts a Result for the evidence facts section. path is the
// bundle file, bundleJSON its content (for its digest), artifactPath the
// binary it was checked against, and err what Verify returned.
func (r Result) Input(path string, bundleJSON []byte, artifactPath string, err error) facts.EvidenceInput {
	in := facts.EvidenceInput{
		Path:          path,
		Kind:          facts.EvidenceKindBundle,
		MediaType:     r.MediaType,
		Content:       r.Content,
		Artifact:      facts.EvidenceArtifact{Path: artifactPath, Digest: r.ArtifactDigest},
		Verified:      r.Verified && err == nil,
		Steps:         append([]facts.EvidenceStep{}, r.Steps...),
		Signer:        r.Signer,
		Subjects:      append([]facts.EvidenceSubject{}, r.Subjects...),
		MessageDigest: r.MessageDigest,
		PredicateType: r.PredicateType,
		LogEntries:    append([]facts.EvidenceLogEntry{}, r.LogEntries...),
		Timestamps:    append([]facts.EvidenceTimestamp{}, r.Timestamps...),
	}
	if r.PredicateType == FactsPredicateType {
		in.Kind = facts.EvidenceKindAttestation
	}
	if bundleJSON != nil {
		sum := sha256.Sum256(bundleJSON)
		in.SHA256 = hex.EncodeToString(sum[:])
	}
	if s, ok := r.Step(StepArtifact); ok && s.OK && !s.Skipped {
		in.Artifact.Matched = true
	}
	if err != nil {
		in.Error = err.Error()
		if failed := r.Failed(); len(failed) > 0 {
			in.Error = failed[0].Name + ": " + failed[0].Reason
		}
	}
	return in
}

// TrustFacts describes the options' trust material for the evidence
// facts section. Paths are left empty for the caller to fill in (the
// keys are in the order given). Keys that do not parse are left out;
// Verify reports them.
func (o VerifyOptions) TrustFacts() facts.EvidenceTrust {
	t := facts.EvidenceTrust{
		PublicKeys:      []facts.EvidenceKey{},
		LogKeys:         []facts.EvidenceKey{},
		Identities:      []facts.EvidenceIdentityRule{},
		KeyFingerprints: append([]string{}, o.KeyFingerprints...),
		Require: facts.EvidenceRequirements{
			TlogEntries:        o.TlogEntries,
			ObserverTimestamps: o.ObserverTimestamps,
			SignedTimestamps:   o.SignedTimestamps,
			SCTs:               o.SCTs,
		},
	}
	if len(o.TrustedRoot) > 0 {
		sum := sha256.Sum256(o.TrustedRoot)
		t.TrustedRootSHA256 = hex.EncodeToString(sum[:])
	}
	for _, p := range o.PublicKeys {
		if k, ok := keyFacts(p); ok {
			t.PublicKeys = append(t.PublicKeys, k)
		}
	}
	for _, p := range o.LogPublicKeys {
		if k, ok := keyFacts(p); ok {
			t.LogKeys = append(t.LogKeys, k)
		}
	}
	for _, id := range o.Identities {
		t.Identities = append(t.Identities, facts.EvidenceIdentityRule{
			Issuer: id.Issuer, IssuerRegexp: id.IssuerRegexp, SAN: id.SAN, SANRegexp: id.SANRegexp,
		})
	}
	return t
}

func keyFacts(pemBytes []byte) (facts.EvidenceKey, bool) {
	pub, err := ParsePublicKey(pemBytes)
	if err != nil {
		return facts.EvidenceKey{}, false
	}
	fp, err := Fingerprint(pub)
	if err != nil {
		return facts.EvidenceKey{}, false
	}
	return facts.EvidenceKey{Fingerprint: fp, Algorithm: KeyAlgorithm(pub)}, true
}
