package evidence

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// TestRekorIntegration uploads an attestation to a real Rekor v1 server
// and verifies the bundle offline against the server's pinned key, then
// searches the log for the binary. It needs GOPOLICY_REKOR_URL (the
// server) and GOPOLICY_REKOR_PUBKEY (a PEM file with its public key,
// as served at /api/v1/log/publicKey).
func TestRekorIntegration(t *testing.T) {
	url := os.Getenv("GOPOLICY_REKOR_URL")
	if url == "" {
		if os.Getenv("GOPOLICY_REQUIRE_REKOR") == "1" {
			t.Fatal("GOPOLICY_REQUIRE_REKOR=1 but GOPOLICY_REKOR_URL is not set: the Rekor integration test must run")
		}
		t.Skip("GOPOLICY_REKOR_URL is not set: no Rekor v1 server for the integration test (scripts/rekor/start.sh starts one; set it and GOPOLICY_REKOR_PUBKEY to run it)")
	}
	keyFile := os.Getenv("GOPOLICY_REKOR_PUBKEY")
	if keyFile == "" {
		t.Fatal("GOPOLICY_REKOR_URL is set but GOPOLICY_REKOR_PUBKEY (the log's public key, a PEM file) is not")
	}
	logKey, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	key := newECKey(t)
	// A binary nobody else has signed, so that the search below finds
	// exactly our entry.
	content := "gopolicy integration " + time.Now().Format(time.RFC3339Nano)
	b, err := Attest(ctx, AttestOptions{
		Subjects: []Subject{binSubject(t, "app", content)},
		Facts:    testFacts(t),
		Key:      key,
		RekorURL: url,
	})
	if err != nil {
		t.Fatalf("Attest through %s: %v", url, err)
	}
	opts := VerifyOptions{
		PublicKeys:     [][]byte{key.PublicKeyPEM()},
		LogPublicKeys:  [][]byte{logKey},
		ArtifactDigest: "sha256:" + shaHex(content),
		PredicateType:  FactsPredicateType,
		TlogEntries:    1,
	}
	res := mustVerify(t, b, opts)
	e := res.LogEntries[0]
	if !e.Verified || !e.SETVerified || !e.InclusionProofVerified || e.IntegratedTime == nil {
		t.Errorf("log entry %+v", e)
	}
	t.Logf("logged at index %d, %s", e.LogIndex, e.IntegratedTime)

	// Tampering is still caught against a real log's entry.
	pb := loadPB(t, b)
	pb.GetDsseEnvelope().Signatures[0].Sig[10] ^= 1
	mustFail(t, marshalPB(t, pb), opts, StepSignature, "does not verify")

	// The search index is best effort and may lag: a miss is noted, a
	// hit must verify.
	var sr SearchResult
	for i := 0; i < 10; i++ {
		sr, err = SearchRekorV1(ctx, url, shaHex(content), logKey)
		if err != nil {
			t.Logf("search (best effort): %v", err)
			return
		}
		if len(sr.Entries) > 0 {
			break
		}
		time.Sleep(time.Second)
	}
	if !sr.Incomplete || !strings.Contains(sr.Note, "incomplete") {
		t.Errorf("search result does not say it is incomplete: %+v", sr)
	}
	if len(sr.Entries) == 0 {
		t.Logf("search found nothing for the new entry (the index is best effort): %+v", sr)
		return
	}
	for _, se := range sr.Entries {
		if !se.Verified {
			t.Errorf("search entry not verified: %+v", se)
		}
	}
}
