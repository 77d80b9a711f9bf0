package evidence

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cyberphone/json-canonicalization/go/src/webpki.org/jsoncanonicalizer"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/merkle/testonly"
	"golang.org/x/mod/sumdb/note"
)

// fakeRekorV2 is an in-process Rekor v2 log: it takes hashedrekord v0.0.2
// requests on the rekor-tiles write API, keeps the canonical entries in an
// RFC 6962 tree, and answers with an inclusion proof and a checkpoint
// signed as a C2SP signed note with an Ed25519 key, as rekor-tiles does.
type fakeRekorV2 struct {
	t      testing.TB
	srv    *httptest.Server
	origin string
	pub    ed25519.PublicKey
	signer note.Signer
	logID  []byte

	mu       sync.Mutex
	tree     *testonly.Tree
	statuses []int // answer the next requests with these statuses
	requests int
}

func newFakeRekorV2(t testing.TB) *fakeRekorV2 {
	t.Helper()
	const origin = "fake-rekor-v2.test"
	skey, vkey, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	// vkey is name+hash+base64(0x01 || public key).
	parts := strings.SplitN(vkey, "+", 3)
	raw, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(raw) != 1+ed25519.PublicKeySize {
		t.Fatalf("verifier key %q: %v", vkey, err)
	}
	pub := ed25519.PublicKey(raw[1:])
	// The log ID rekor-tiles reports: the whole SHA-256 the note key
	// hash is the first four bytes of.
	sum := sha256.Sum256(append([]byte(origin+"\n\x01"), pub...))
	f := &fakeRekorV2{t: t, origin: origin, pub: pub, signer: signer, logID: sum[:], tree: testonly.New(rfc6962.DefaultHasher)}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v2/log/entries", f.create)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeRekorV2) URL() string { return f.srv.URL }

// failNext makes the next requests answer with these statuses.
func (f *fakeRekorV2) failNext(statuses ...int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.statuses = append(f.statuses, statuses...)
}

// transparencyLog describes the log for a trusted root. Its base URL
// identifies the log: its host is the checkpoint origin (sigstore-go's
// rule); it is never contacted.
func (f *fakeRekorV2) transparencyLog() *root.TransparencyLog {
	return &root.TransparencyLog{
		BaseURL:             "https://" + f.origin,
		ID:                  f.logID,
		ValidityPeriodStart: time.Now().Add(-time.Hour),
		HashFunc:            crypto.SHA256,
		PublicKey:           f.pub,
		SignatureHashFunc:   crypto.SHA256,
	}
}

// trustedRoot is a trusted_root.json naming only this log.
func (f *fakeRekorV2) trustedRoot(t testing.TB, tl *root.TransparencyLog) []byte {
	t.Helper()
	tr, err := root.NewTrustedRoot(root.TrustedRootMediaType01, nil, nil, nil,
		map[string]*root.TransparencyLog{fmt.Sprintf("%x", tl.ID): tl})
	if err != nil {
		t.Fatal(err)
	}
	b, err := tr.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (f *fakeRekorV2) create(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests++
	if len(f.statuses) > 0 {
		status := f.statuses[0]
		f.statuses = f.statuses[1:]
		if status == http.StatusConflict {
			w.Header().Set("X-Log-Index", "7")
		}
		writeError(w, status, fmt.Errorf("fake rekor v2 says %s", http.StatusText(status)))
		return
	}
	var req struct {
		HashedRekord *struct {
			Digest    string          `json:"digest"`
			Signature json.RawMessage `json:"signature"`
		} `json:"hashedRekordRequestV002"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.HashedRekord == nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("not a hashedrekord request: %v", err))
		return
	}
	var sig struct {
		Verifier struct {
			KeyDetails string `json:"keyDetails"`
		} `json:"verifier"`
	}
	if err := json.Unmarshal(req.HashedRekord.Signature, &sig); err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	alg := "SHA2_256"
	switch {
	case strings.HasSuffix(sig.Verifier.KeyDetails, "SHA_384"):
		alg = "SHA2_384"
	case strings.HasSuffix(sig.Verifier.KeyDetails, "SHA_512"), sig.Verifier.KeyDetails == "PKIX_ED25519_PH":
		alg = "SHA2_512"
	}
	entry := map[string]any{
		"apiVersion": "0.0.2",
		"kind":       "hashedrekord",
		"spec": map[string]any{"hashedRekordV002": map[string]any{
			"data":      map[string]any{"algorithm": alg, "digest": req.HashedRekord.Digest},
			"signature": req.HashedRekord.Signature,
		}},
	}
	raw, err := json.Marshal(entry)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	body, err := jsoncanonicalizer.Transform(raw)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	f.tree.AppendData(body)
	idx := f.tree.Size() - 1
	size := f.tree.Size()
	proof, err := f.tree.InclusionProof(idx, size)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	rootHash := f.tree.Hash()
	cp, err := note.Sign(&note.Note{Text: fmt.Sprintf("%s\n%d\n%s\n", f.origin, size, base64.StdEncoding.EncodeToString(rootHash))}, f.signer)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	hashes := make([]string, len(proof))
	for i, h := range proof {
		hashes[i] = base64.StdEncoding.EncodeToString(h)
	}
	writeJSON(w, http.StatusCreated, map[string]any{
		"logIndex":    strconv.FormatUint(idx, 10),
		"logId":       map[string]any{"keyId": base64.StdEncoding.EncodeToString(f.logID)},
		"kindVersion": map[string]any{"kind": "hashedrekord", "version": "0.0.2"},
		"inclusionProof": map[string]any{
			"logIndex":   strconv.FormatUint(idx, 10),
			"rootHash":   base64.StdEncoding.EncodeToString(rootHash),
			"treeSize":   strconv.FormatUint(size, 10),
			"hashes":     hashes,
			"checkpoint": map[string]any{"envelope": string(cp)},
		},
		"canonicalizedBody": base64.StdEncoding.EncodeToString(body),
	})
}

// attestV2 signs the test facts about binaries "app" and "app-arm64"
// with key, logged in the fake Rekor v2 log.
func attestV2(t testing.TB, key *PrivateKey, url string) []byte {
	t.Helper()
	b, err := Attest(context.Background(), AttestOptions{
		Subjects:     []Subject{binSubject(t, "app", "app"), binSubject(t, "app-arm64", "app-arm64")},
		Facts:        testFacts(t),
		Key:          key,
		RekorURL:     url,
		RekorVersion: RekorV2,
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestAttestVerifyRekorV2(t *testing.T) {
	rk := newFakeRekorV2(t)
	key := newECKey(t)
	// A few entries before ours, so that the proof has hashes.
	for range 4 {
		attestV2(t, key, rk.URL())
	}
	b := attestV2(t, key, rk.URL())
	opts := VerifyOptions{
		TrustedRoot:    rk.trustedRoot(t, rk.transparencyLog()),
		PublicKeys:     [][]byte{key.PublicKeyPEM()},
		ArtifactDigest: shaHex("app"),
		PredicateType:  FactsPredicateType,
		TlogEntries:    1,
	}
	res := mustVerify(t, b, opts)
	if len(res.LogEntries) != 1 {
		t.Fatalf("log entries %+v", res.LogEntries)
	}
	e := res.LogEntries[0]
	if !e.Verified || !e.Trusted || !e.InclusionProofVerified || e.HasSET || e.SETVerified || e.IntegratedTime != nil ||
		e.Kind != "hashedrekord/0.0.2" || e.LogIndex != 4 || e.LogID != fmt.Sprintf("%x", rk.logID) {
		t.Errorf("log entry %+v", e)
	}
	if !strings.Contains(e.Reason, "no signed time") {
		t.Errorf("entry reason %q does not say that Rekor v2 gives no time", e.Reason)
	}
	if s, _ := res.Step(StepTimestamps); !s.Skipped || !strings.Contains(s.Reason, "Rekor v2 entries give no signed time") {
		t.Errorf("timestamps step %+v", s)
	}
	if len(res.Timestamps) != 0 {
		t.Errorf("timestamps %+v from a Rekor v2 entry", res.Timestamps)
	}

	pb := loadPB(t, b)
	tle := pb.GetVerificationMaterial().GetTlogEntries()[0]
	if tle.GetInclusionPromise() != nil || tle.GetIntegratedTime() != 0 {
		t.Errorf("a Rekor v2 entry with a promise or a time: %v", tle)
	}
	tamper := func(name string, f func()) []byte {
		t.Helper()
		pb = loadPB(t, b)
		tle = pb.GetVerificationMaterial().GetTlogEntries()[0]
		f()
		return marshalPB(t, pb)
	}
	t.Run("inclusion proof", func(t *testing.T) {
		bad := tamper("proof", func() { tle.InclusionProof.Hashes[0][3] ^= 1 })
		mustFail(t, bad, opts, StepTlog, "inclusion proof: the entry body is not in the tree")
	})
	t.Run("proof root hash", func(t *testing.T) {
		bad := tamper("root", func() { tle.InclusionProof.RootHash[0] ^= 1 })
		mustFail(t, bad, opts, StepTlog, "are not the signed checkpoint's")
	})
	t.Run("checkpoint", func(t *testing.T) {
		bad := tamper("checkpoint", func() {
			lines := strings.Split(tle.InclusionProof.Checkpoint.Envelope, "\n")
			lines[1] = strconv.Itoa(100) // another tree size, same signature
			tle.InclusionProof.Checkpoint.Envelope = strings.Join(lines, "\n")
		})
		mustFail(t, bad, opts, StepTlog, "checkpoint: not signed by the pinned log key")
	})
	t.Run("body", func(t *testing.T) {
		bad := tamper("body", func() {
			var entry map[string]any
			if err := json.Unmarshal(tle.CanonicalizedBody, &entry); err != nil {
				t.Fatal(err)
			}
			data := entry["spec"].(map[string]any)["hashedRekordV002"].(map[string]any)["data"].(map[string]any)
			data["digest"] = base64.StdEncoding.EncodeToString(sha(t, "another envelope"))
			body, err := json.Marshal(entry)
			if err != nil {
				t.Fatal(err)
			}
			tle.CanonicalizedBody, _ = jsoncanonicalizer.Transform(body)
		})
		res := mustFail(t, bad, opts, StepTlog, "entry body: the logged digest")
		if s, _ := res.Step(StepTlog); !strings.Contains(s.Reason, "inclusion proof") {
			t.Errorf("a body the proof does not cover passed the inclusion check: %s", s.Reason)
		}
	})
	t.Run("another signer's entry", func(t *testing.T) {
		// An entry of the same log for another signature is a valid
		// entry, but not this bundle's.
		other := loadPB(t, attestV2(t, newECKey(t), rk.URL())).GetVerificationMaterial().GetTlogEntries()[0]
		bad := tamper("swap", func() { pb.VerificationMaterial.TlogEntries[0] = other })
		mustFail(t, bad, opts, StepTlog, "entry body: the logged signature is not the bundle's")
	})
	t.Run("origin", func(t *testing.T) {
		// A trusted root whose base URL names another origin: the
		// checkpoint is not that log's.
		tl := rk.transparencyLog()
		tl.BaseURL = "https://other-log.test"
		o := opts
		o.TrustedRoot = rk.trustedRoot(t, tl)
		mustFail(t, b, o, StepTlog, `checkpoint: origin "fake-rekor-v2.test" is not "other-log.test"`)
	})
	t.Run("another key", func(t *testing.T) {
		tl := rk.transparencyLog()
		pub, _, _ := ed25519.GenerateKey(rand.Reader)
		tl.PublicKey = pub
		o := opts
		o.TrustedRoot = rk.trustedRoot(t, tl)
		mustFail(t, b, o, StepTlog, "checkpoint: not signed by the pinned log key")
	})
	t.Run("log not pinned", func(t *testing.T) {
		o := opts
		o.TrustedRoot = nil
		mustFail(t, b, o, StepTlog, "not enough verified log entries")
		o.TlogEntries = 0
		res := mustVerify(t, b, o)
		if s, _ := res.Step(StepTlog); !s.Skipped {
			t.Errorf("tlog step %+v", s)
		}
	})
}

func TestAttestRekorV2Errors(t *testing.T) {
	rk := newFakeRekorV2(t)
	base := AttestOptions{Subjects: []Subject{binSubject(t, "app", "app")}, Facts: testFacts(t), Key: newECKey(t), RekorURL: rk.URL(), RekorVersion: RekorV2}
	ctx := context.Background()

	o := base
	o.Key = newEdKey(t)
	if _, err := Attest(ctx, o); err == nil || !strings.Contains(err.Error(), "use an ECDSA key, or Rekor v1") {
		t.Errorf("Ed25519 key with Rekor v2: %v", err)
	}
	o = base
	o.RekorVersion = 3
	if _, err := Attest(ctx, o); err == nil || !strings.Contains(err.Error(), "Rekor API version 3") {
		t.Errorf("Rekor version 3: %v", err)
	}
	o = base
	o.RekorURL = "127.0.0.1:1"
	if _, err := Attest(ctx, o); err == nil || !strings.Contains(err.Error(), "not an http(s) URL") {
		t.Errorf("bad URL: %v", err)
	}
	kl := newKeyless(t)
	cert, priv, err := kl.vs.GenerateLeafCert("a@example.com", "https://issuer")
	if err != nil {
		t.Fatal(err)
	}
	o = base
	if o.Key, err = NewPrivateKey(priv.(crypto.Signer)); err != nil {
		t.Fatal(err)
	}
	o.Certificate = cert.Raw
	if _, err := Attest(ctx, o); err == nil || !strings.Contains(err.Error(), "needs a timestamp authority") {
		t.Errorf("certificate with Rekor v2 and no TSA: %v", err)
	}

	// Server errors and rate limits are retried; a duplicate or a bad
	// request is not.
	o = base
	o.Retries = 2
	rk.failNext(503, 429)
	if _, err := Attest(ctx, o); err != nil {
		t.Errorf("Attest after two retried failures: %v", err)
	}
	rk.failNext(503, 503, 503)
	if _, err := Attest(ctx, o); err == nil || !strings.Contains(err.Error(), "HTTP 503") || !strings.Contains(err.Error(), "after 3 attempts") {
		t.Errorf("Attest after three failures: %v", err)
	}
	rk.failNext(409)
	before := rk.requests
	if _, err := Attest(ctx, o); err == nil || !strings.Contains(err.Error(), "already has this signature (index 7)") {
		t.Errorf("duplicate: %v", err)
	}
	rk.failNext(400)
	if _, err := Attest(ctx, o); err == nil || !strings.Contains(err.Error(), "HTTP 400") {
		t.Errorf("bad request: %v", err)
	}
	if n := rk.requests - before; n != 2 {
		t.Errorf("%d requests for a duplicate and a bad request, want 2 (no retries)", n)
	}
	// The context bounds the whole upload, retries included.
	rk.failNext(503, 503, 503, 503, 503, 503)
	o.Retries = 5
	cctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := Attest(cctx, o); err == nil || !strings.Contains(err.Error(), "deadline exceeded") {
		t.Errorf("Attest with retries past the deadline: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Attest took %v despite a 300ms deadline", d)
	}
}
