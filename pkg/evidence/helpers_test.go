package evidence

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cyberphone/json-canonicalization/go/src/webpki.org/jsoncanonicalizer"
	"github.com/go-openapi/runtime"
	"github.com/go-openapi/strfmt"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	"github.com/sigstore/rekor/pkg/generated/models"
	"github.com/sigstore/rekor/pkg/types"
	"github.com/sigstore/rekor/pkg/util"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"
	"github.com/sigstore/sigstore-go/pkg/tlog"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/merkle/testonly"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/gopolicy/gopolicy/pkg/facts"
)

// testFacts is a small but real facts document.
func testFacts(t testing.TB) []byte {
	t.Helper()
	doc := facts.Document{
		Schema:     facts.SchemaVersion,
		Now:        time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),
		Tool:       facts.Tool{Name: "gopolicy", Version: "0.4.0-test"},
		Dir:        "/src/app",
		Collectors: map[string]facts.CollectorStatus{"binaries": {Status: facts.StatusOK, DurationMS: 1.5}},
		Binaries: []facts.Binary{{
			Path: "/src/app/bin/app", Size: 1234567, SHA256: hex.EncodeToString(sha(t, "app")),
			Format: facts.FormatELF, Executable: true,
		}},
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sha(t testing.TB, s string) []byte {
	t.Helper()
	sum := sha256.Sum256([]byte(s))
	return sum[:]
}

func shaHex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func newECKey(t testing.TB) *PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := NewPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pk
}

func newEdKey(t testing.TB) *PrivateKey {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := NewPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pk
}

func binSubject(t testing.TB, name, content string) Subject {
	t.Helper()
	s, err := BinarySubject("/out/"+name, shaHex(content))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// attestKey signs the test facts about binary "app" with key, optionally
// through a Rekor URL.
func attestKey(t testing.TB, key *PrivateKey, rekorURL string) []byte {
	t.Helper()
	b, err := Attest(context.Background(), AttestOptions{
		Subjects: []Subject{binSubject(t, "app", "app"), binSubject(t, "app-arm64", "app-arm64")},
		Facts:    testFacts(t),
		Key:      key,
		RekorURL: rekorURL,
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func loadPB(t testing.TB, b []byte) *protobundle.Bundle {
	t.Helper()
	pb := &protobundle.Bundle{}
	if err := protojson.Unmarshal(b, pb); err != nil {
		t.Fatal(err)
	}
	return pb
}

func marshalPB(t testing.TB, pb *protobundle.Bundle) []byte {
	t.Helper()
	b, err := protojson.Marshal(pb)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// mustVerify fails the test unless the bundle verifies.
func mustVerify(t testing.TB, b []byte, opts VerifyOptions) Result {
	t.Helper()
	res, err := Verify(context.Background(), b, opts)
	if err != nil || !res.Verified {
		t.Fatalf("Verify: %v\n%s", err, dumpSteps(res))
	}
	for _, s := range res.Steps {
		if !s.OK {
			t.Fatalf("verified with a failed step:\n%s", dumpSteps(res))
		}
	}
	return res
}

// mustFail fails the test unless the bundle fails verification at step
// with a reason containing want.
func mustFail(t testing.TB, b []byte, opts VerifyOptions, step, want string) Result {
	t.Helper()
	res, err := Verify(context.Background(), b, opts)
	if err == nil || res.Verified {
		t.Fatalf("Verify passed, want failure at %s\n%s", step, dumpSteps(res))
	}
	s, ok := res.Step(step)
	if !ok || s.OK {
		t.Fatalf("step %s did not fail (err %v)\n%s", step, err, dumpSteps(res))
	}
	if !strings.Contains(s.Reason, want) {
		t.Fatalf("step %s reason %q does not contain %q", step, s.Reason, want)
	}
	if !strings.Contains(err.Error(), step+": ") {
		t.Fatalf("error %q does not name step %s", err, step)
	}
	return res
}

func dumpSteps(r Result) string {
	var sb strings.Builder
	for _, s := range r.Steps {
		mark := "ok  "
		if !s.OK {
			mark = "FAIL"
		} else if s.Skipped {
			mark = "skip"
		}
		fmt.Fprintf(&sb, "  %s %-11s %s\n", mark, s.Name, s.Reason)
	}
	return sb.String()
}

// fakeRekor is an in-process Rekor v1 log: it accepts entries through
// the real API (so sigstore-go's sign.Rekor and rekor's generated
// client talk to it over HTTP), keeps them in an RFC 6962 Merkle tree,
// and answers with inclusion proofs, signed checkpoints and SETs made
// with rekor's and the merkle library's own code.
type fakeRekor struct {
	t      testing.TB
	srv    *httptest.Server
	key    *ecdsa.PrivateKey
	signer signature.Signer
	logID  string
	treeID int64

	mu      sync.Mutex
	tree    *testonly.Tree
	entries []fakeEntry

	// knobs
	status      int           // answer every request with this status
	delay       time.Duration // before answering
	batches     []int         // sizes of entries/retrieve requests seen
	extraUUIDs  []string      // index results for entries that do not exist
	tamperEntry func(uuid string, e *models.LogEntryAnon)
	quit        chan struct{} // closed when the test ends, to cut delays short
}

type fakeEntry struct {
	uuid           string
	body           []byte
	integratedTime int64
	keys           []string
}

func newFakeRekor(t testing.TB) *fakeRekor {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := signature.LoadECDSASignerVerifier(k, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	fp, _ := Fingerprint(k.Public())
	f := &fakeRekor{t: t, key: k, signer: s, logID: strings.TrimPrefix(fp, "sha256:"), treeID: 4242424242,
		tree: testonly.New(rfc6962.DefaultHasher), quit: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/log/entries", f.create)
	mux.HandleFunc("GET /api/v1/log/entries/{uuid}", f.get)
	mux.HandleFunc("POST /api/v1/index/retrieve", f.search)
	mux.HandleFunc("POST /api/v1/log/entries/retrieve", f.retrieve)
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		status, delay := f.status, f.delay
		f.mu.Unlock()
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			case <-f.quit:
				return
			}
		}
		if status != 0 {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			fmt.Fprintf(w, `{"code":%d,"message":"fake rekor says %s"}`, status, http.StatusText(status))
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	t.Cleanup(func() { close(f.quit) }) // runs first
	return f
}

func (f *fakeRekor) URL() string { return f.srv.URL }

// set makes every request fail with status (0: answer normally) after
// delay.
func (f *fakeRekor) set(status int, delay time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.status, f.delay = status, delay
}

func (f *fakeRekor) publicKeyPEM() []byte {
	der, err := x509.MarshalPKIXPublicKey(f.key.Public())
	if err != nil {
		f.t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// transparencyLog describes the log for a trusted root.
func (f *fakeRekor) transparencyLog() *root.TransparencyLog {
	id, _ := hex.DecodeString(f.logID)
	return &root.TransparencyLog{
		BaseURL:             f.srv.URL,
		ID:                  id,
		ValidityPeriodStart: time.Now().Add(-24 * time.Hour),
		HashFunc:            crypto.SHA256,
		PublicKey:           f.key.Public(),
		SignatureHashFunc:   crypto.SHA256,
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, map[string]any{"code": status, "message": err.Error()})
}

func (f *fakeRekor) create(w http.ResponseWriter, r *http.Request) {
	pe, err := models.UnmarshalProposedEntry(r.Body, runtime.JSONConsumer())
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	impl, err := types.CreateVersionedEntry(pe)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	keys, err := impl.IndexKeys()
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	body, err := types.CanonicalizeEntry(r.Context(), impl)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	uuid := hex.EncodeToString(rfc6962.DefaultHasher.HashLeaf(body))
	f.mu.Lock()
	for i := range keys {
		keys[i] = strings.ToLower(keys[i])
	}
	f.tree.AppendData(body)
	f.entries = append(f.entries, fakeEntry{uuid: uuid, body: body, integratedTime: time.Now().Unix(), keys: keys})
	anon := f.anonLocked(len(f.entries) - 1)
	f.mu.Unlock()
	w.Header().Set("ETag", uuid)
	w.Header().Set("Location", "/api/v1/log/entries/"+uuid)
	writeJSON(w, http.StatusCreated, models.LogEntry{uuid: anon})
}

// anonLocked builds the API view of entry i, with an inclusion proof
// against the current tree and a checkpoint and SET signed now.
func (f *fakeRekor) anonLocked(i int) models.LogEntryAnon {
	e := f.entries[i]
	size := f.tree.Size()
	proof, err := f.tree.InclusionProof(uint64(i), size)
	if err != nil {
		f.t.Error(err)
	}
	rootHash := f.tree.Hash()
	cp, err := util.CreateAndSignCheckpoint(context.Background(), "fake-rekor.test", f.treeID, size, rootHash, f.signer)
	if err != nil {
		f.t.Error(err)
	}
	body64 := base64.StdEncoding.EncodeToString(e.body)
	idx := int64(i)
	set := f.sign(tlog.RekorPayload{Body: body64, IntegratedTime: e.integratedTime, LogIndex: idx, LogID: f.logID})
	hashes := make([]string, len(proof))
	for j, h := range proof {
		hashes[j] = hex.EncodeToString(h)
	}
	rootHex := hex.EncodeToString(rootHash)
	cps := string(cp)
	treeSize := int64(size)
	it := e.integratedTime
	logID := f.logID
	anon := models.LogEntryAnon{
		Body:           body64,
		IntegratedTime: &it,
		LogID:          &logID,
		LogIndex:       &idx,
		Verification: &models.LogEntryAnonVerification{
			InclusionProof: &models.InclusionProof{
				Checkpoint: &cps,
				Hashes:     hashes,
				LogIndex:   &idx,
				RootHash:   &rootHex,
				TreeSize:   &treeSize,
			},
			SignedEntryTimestamp: strfmt.Base64(set),
		},
	}
	if f.tamperEntry != nil {
		f.tamperEntry(e.uuid, &anon)
	}
	return anon
}

// sign makes a SET: the log's signature over the canonical JSON of the
// entry's body, integrated time, index and log ID.
func (f *fakeRekor) sign(p tlog.RekorPayload) []byte {
	b, err := json.Marshal(p)
	if err != nil {
		f.t.Fatal(err)
	}
	canon, err := jsoncanonicalizer.Transform(b)
	if err != nil {
		f.t.Fatal(err)
	}
	sig, err := f.signer.SignMessage(strings.NewReader(string(canon)))
	if err != nil {
		f.t.Fatal(err)
	}
	return sig
}

func (f *fakeRekor) get(w http.ResponseWriter, r *http.Request) {
	id := strings.ToLower(r.PathValue("uuid"))
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, e := range f.entries {
		if e.uuid == uuidPart(id) {
			writeJSON(w, http.StatusOK, models.LogEntry{e.uuid: f.anonLocked(i)})
			return
		}
	}
	writeError(w, http.StatusNotFound, fmt.Errorf("no entry %s", id))
}

func (f *fakeRekor) search(w http.ResponseWriter, r *http.Request) {
	var q models.SearchIndex
	if err := json.NewDecoder(r.Body).Decode(&q); err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	h := strings.ToLower(q.Hash)
	if !strings.Contains(h, ":") {
		h = "sha256:" + h
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []string{}
	for _, e := range f.entries {
		for _, k := range e.keys {
			if k == h {
				out = append(out, e.uuid)
				break
			}
		}
	}
	out = append(out, f.extraUUIDs...)
	writeJSON(w, http.StatusOK, out)
}

func (f *fakeRekor) retrieve(w http.ResponseWriter, r *http.Request) {
	var q models.SearchLogQuery
	if err := json.NewDecoder(r.Body).Decode(&q); err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.batches = append(f.batches, len(q.EntryUUIDs))
	if len(q.EntryUUIDs) > 10 {
		writeError(w, http.StatusUnprocessableEntity, fmt.Errorf("entryUUIDs in body should have at most 10 items"))
		return
	}
	out := []models.LogEntry{}
	for _, id := range q.EntryUUIDs {
		for i, e := range f.entries {
			if e.uuid == uuidPart(strings.ToLower(id)) {
				out = append(out, models.LogEntry{e.uuid: f.anonLocked(i)})
			}
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// keyless is an in-process Sigstore: sigstore-go's virtual Fulcio (and
// its TSA and CT log) for certificates, and a fakeRekor for the log.
type keyless struct {
	vs    *ca.VirtualSigstore
	rekor *fakeRekor
	root  []byte // trusted_root.json with the virtual CAs and the fake log
}

func newKeyless(t testing.TB) *keyless {
	t.Helper()
	vs, err := ca.NewVirtualSigstore()
	if err != nil {
		t.Fatal(err)
	}
	rk := newFakeRekor(t)
	tr, err := root.NewTrustedRoot(root.TrustedRootMediaType01,
		vs.FulcioCertificateAuthorities(), map[string]*root.TransparencyLog{},
		vs.TimestampingAuthorities(),
		map[string]*root.TransparencyLog{rk.logID: rk.transparencyLog()})
	if err != nil {
		t.Fatal(err)
	}
	b, err := tr.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return &keyless{vs: vs, rekor: rk, root: b}
}

// attest signs the test facts as identity/issuer with a fresh virtual
// Fulcio certificate, logged in the fake Rekor.
func (k *keyless) attest(t testing.TB, identity, issuer string) []byte {
	t.Helper()
	cert, priv, err := k.vs.GenerateLeafCert(identity, issuer)
	if err != nil {
		t.Fatal(err)
	}
	key, err := NewPrivateKey(priv.(crypto.Signer))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Attest(context.Background(), AttestOptions{
		Subjects:    []Subject{binSubject(t, "app", "app")},
		Facts:       testFacts(t),
		Key:         key,
		Certificate: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}),
		RekorURL:    k.rekor.URL(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}
