package evidence

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sigstore/rekor/pkg/generated/models"
)

// verifyBoth verifies with the cache and without it, and fails the test
// unless both say the same, step for step.
func verifyBoth(t *testing.T, c *Cache, b []byte, opts VerifyOptions) (Result, error) {
	t.Helper()
	got, gotErr := c.Verify(context.Background(), b, opts)
	want, wantErr := Verify(context.Background(), b, opts)
	if !reflect.DeepEqual(got, want) || fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
		t.Fatalf("cached and uncached verifications differ:\ncached (%v):\n%s\nuncached (%v):\n%s", gotErr, dumpSteps(got), wantErr, dumpSteps(want))
	}
	return got, gotErr
}

func TestCacheVerify(t *testing.T) {
	key := newECKey(t)
	rk := newFakeRekor(t)
	b := attestKey(t, key, rk.URL()) // names "app" and "app-arm64"
	opts := VerifyOptions{
		PublicKeys:    [][]byte{key.PublicKeyPEM()},
		LogPublicKeys: [][]byte{rk.publicKeyPEM()},
		PredicateType: FactsPredicateType,
		TlogEntries:   1,
	}
	c := NewCache()

	// 50 binaries judged at once, all against the same bundle: it is
	// verified once, and each binary still gets its own binding.
	const n = 50
	results := make([]Result, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			o := opts
			o.ArtifactDigest = shaHex([]string{"app", "app-arm64", "not-in-the-bundle"}[i%3])
			results[i], errs[i] = c.Verify(context.Background(), b, o)
		})
	}
	wg.Wait()
	if s := c.Stats(); s.BundleVerifications != 1 || s.BundleHits != n-1 {
		t.Errorf("stats %+v, want 1 verification and %d hits", s, n-1)
	}
	for i := range n {
		o := opts
		o.ArtifactDigest = shaHex([]string{"app", "app-arm64", "not-in-the-bundle"}[i%3])
		want, wantErr := Verify(context.Background(), b, o)
		if !reflect.DeepEqual(results[i], want) || fmt.Sprint(errs[i]) != fmt.Sprint(wantErr) {
			t.Fatalf("call %d: cached result differs from Verify:\n%s\nwant:\n%s", i, dumpSteps(results[i]), dumpSteps(want))
		}
		if i%3 == 2 {
			if s := results[i].Failed(); len(s) != 1 || s[0].Name != StepArtifact {
				t.Errorf("call %d for another binary: failed steps %+v", i, s)
			}
		} else if !results[i].Verified {
			t.Errorf("call %d not verified:\n%s", i, dumpSteps(results[i]))
		}
	}
	// Results are the caller's: changing one changes no other.
	results[0].Subjects[0].Matched = !results[0].Subjects[0].Matched
	results[0].Steps[0].Reason = "changed"
	results[0].Signer.Allowed = false
	o := opts
	o.ArtifactDigest = shaHex("app")
	again := mustVerify(t, b, o)
	if r, _ := c.Verify(context.Background(), b, o); !reflect.DeepEqual(r, again) {
		t.Errorf("a caller's change to its result reached the cache:\n%s", dumpSteps(r))
	}

	// A failure stays a failure, however often it is asked for and
	// whatever passed before.
	pb := loadPB(t, b)
	pb.GetDsseEnvelope().Signatures[0].Sig[10] ^= 1
	bad := marshalPB(t, pb)
	for range 3 {
		if r, err := verifyBoth(t, c, bad, o); err == nil || r.Verified {
			t.Fatal("a tampered bundle verified from the cache")
		}
	}

	// Other trust is other verification: the same bytes against another
	// pinned key, another log key, or stricter requirements.
	other := newECKey(t)
	for name, mod := range map[string]func(*VerifyOptions){
		"signer key":     func(o *VerifyOptions) { o.PublicKeys = [][]byte{other.PublicKeyPEM()} },
		"log key":        func(o *VerifyOptions) { o.LogPublicKeys = [][]byte{newFakeRekor(t).publicKeyPEM()} },
		"fingerprints":   func(o *VerifyOptions) { o.KeyFingerprints = []string{other.Fingerprint()} },
		"timestamps":     func(o *VerifyOptions) { o.SignedTimestamps = 1 },
		"predicate type": func(o *VerifyOptions) { o.PredicateType = "https://example.com/other" },
	} {
		o2 := o
		mod(&o2)
		before := c.Stats().BundleVerifications
		if r, err := verifyBoth(t, c, b, o2); err == nil || r.Verified {
			t.Errorf("%s: the bundle verified against other trust, as the cache had it verified before", name)
		}
		if c.Stats().BundleVerifications != before+1 {
			t.Errorf("%s: not verified anew", name)
		}
	}
	// The same trust given as different slices is the same trust.
	o3 := o
	o3.PublicKeys = [][]byte{append([]byte(nil), key.PublicKeyPEM()...)}
	before := c.Stats()
	verifyBoth(t, c, b, o3)
	if after := c.Stats(); after.BundleVerifications != before.BundleVerifications {
		t.Errorf("equal trust verified anew: %+v -> %+v", before, after)
	}

	// A run cut short by its context is not remembered.
	c = NewCache()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if r, err := c.Verify(ctx, b, o); err == nil || r.Verified || !strings.Contains(err.Error(), "canceled") {
		t.Fatalf("cancelled: %v", err)
	}
	if r, err := c.Verify(context.Background(), b, o); err != nil || !r.Verified {
		t.Fatalf("after a cancelled run: %v\n%s", err, dumpSteps(r))
	}
	if s := c.Stats(); s.BundleVerifications != 2 {
		t.Errorf("stats %+v: the cancelled run was reused", s)
	}

	// Keyless, Rekor v2 and message signature bundles agree with and
	// without the cache, passing or failing.
	kl := newKeyless(t)
	klb := kl.attest(t, "builder@example.com", "https://issuer.example")
	klo := VerifyOptions{TrustedRoot: kl.root, Identities: []Identity{{Issuer: "https://issuer.example", SAN: "builder@example.com"}}, ArtifactDigest: shaHex("app"), TlogEntries: 1}
	verifyBoth(t, c, klb, klo)
	klo.Identities[0].SAN = "someone@example.com"
	verifyBoth(t, c, klb, klo)
	v2 := newFakeRekorV2(t)
	verifyBoth(t, c, attestV2(t, key, v2.URL()), VerifyOptions{TrustedRoot: v2.trustedRoot(t, v2.transparencyLog()), PublicKeys: [][]byte{key.PublicKeyPEM()}, ArtifactDigest: shaHex("app"), TlogEntries: 1})
	verifyBoth(t, c, []byte("{not a bundle"), o)
	o4 := o
	o4.ArtifactDigest = "md5:abc"
	verifyBoth(t, c, b, o4)
	o4.ArtifactDigest = ""
	o4.AllowUnboundArtifact = true
	verifyBoth(t, c, b, o4)
}

// 50 binaries named by the same attestations: a search by each finds
// the same entries, which are fetched and verified once.
func TestCacheSearch(t *testing.T) {
	const n, shared = 50, 3
	rk := sharedEntries(t, n, shared)
	// One entry is damaged: it must fail for every search that finds it.
	rk.mu.Lock()
	damaged := rk.entries[1].uuid
	rk.tamperEntry = func(uuid string, a *models.LogEntryAnon) {
		if uuid == damaged {
			a.Verification.SignedEntryTimestamp[5] ^= 1
		}
	}
	rk.mu.Unlock()

	c := NewCache()
	ctx := context.Background()
	got := make([]SearchResult, n)
	errs := make([]error, n)
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			got[i], errs[i] = c.SearchRekorV1(ctx, rk.URL(), shaHex(fmt.Sprint("bin", i)), rk.publicKeyPEM())
		})
	}
	wg.Wait()
	if s := c.Stats(); s.EntryVerifications != shared || s.EntryHits != n*shared-shared {
		t.Errorf("stats %+v, want %d entry verifications and %d hits", s, shared, n*shared-shared)
	}
	rk.mu.Lock()
	fetched := 0
	for _, b := range rk.batches {
		fetched += b
	}
	rk.batches = nil
	rk.mu.Unlock()
	if fetched != shared {
		t.Errorf("%d entries fetched, want %d", fetched, shared)
	}
	for i := range n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		want, err := SearchRekorV1(ctx, rk.URL(), shaHex(fmt.Sprint("bin", i)), rk.publicKeyPEM())
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got[i], want) {
			t.Fatalf("search %d: cached %+v\nuncached %+v", i, got[i], want)
		}
		for _, e := range got[i].Entries {
			if e.Verified == (e.UUID == damaged) {
				t.Errorf("search %d: entry %s verified %v: %s", i, e.UUID[:8], e.Verified, e.Reason)
			}
		}
	}

	// Another pinned key on the same cache: the entries are checked
	// against it, not taken from the searches under the right key.
	res, err := c.SearchRekorV1(ctx, rk.URL(), shaHex("bin0"), newFakeRekor(t).publicKeyPEM())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range res.Entries {
		if e.Verified || !strings.Contains(e.Reason, "not the pinned log") {
			t.Errorf("entry under another pinned key: %+v", e)
		}
	}
	// A search whose fetch fails leaves no other search waiting: the
	// entries it claimed are fetched by the next one.
	var failing atomic.Bool
	target, _ := url.Parse(rk.URL())
	proxy := httputil.NewSingleHostReverseProxy(target)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if failing.Load() && r.URL.Path == "/api/v1/log/entries/retrieve" {
			writeError(w, http.StatusServiceUnavailable, errors.New("down"))
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	defer front.Close()
	c = NewCache()
	failing.Store(true)
	if _, err := c.SearchRekorV1(ctx, front.URL, shaHex("bin0"), rk.publicKeyPEM()); err == nil || !strings.Contains(err.Error(), "entries/retrieve") {
		t.Fatalf("search with failing entries/retrieve: %v", err)
	}
	failing.Store(false)
	done := make(chan struct{})
	go func() {
		defer close(done)
		res, err := c.SearchRekorV1(ctx, front.URL, shaHex("bin1"), rk.publicKeyPEM())
		if err != nil || len(res.Entries) != shared {
			t.Errorf("search after a failed one: %+v, %v", res, err)
		}
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("a search waits for entries a failed search claimed")
	}
}

// A bundle that stops early still names the artifact it was judged
// against, as it did before the bundle part could be shared.
func TestVerifyNamesArtifactWhenStoppedEarly(t *testing.T) {
	key := newECKey(t)
	b := attestKey(t, key, "")
	opts := VerifyOptions{PublicKeys: [][]byte{newECKey(t).PublicKeyPEM(), newECKey(t).PublicKeyPEM()}, ArtifactDigest: shaHex("app")}
	res, _ := verifyBoth(t, NewCache(), b, opts)
	if s := res.Failed(); len(s) != 1 || s[0].Name != StepSigner {
		t.Fatalf("failed steps %+v", s)
	}
	if res.ArtifactDigest != "sha256:"+shaHex("app") {
		t.Errorf("artifact digest %q", res.ArtifactDigest)
	}
	res, _ = verifyBoth(t, NewCache(), []byte("{}"), opts)
	if res.ArtifactDigest != "" {
		t.Errorf("a bundle that did not parse names artifact %q", res.ArtifactDigest)
	}
}

// sharedEntries logs shared attestations in a fake Rekor v1 log, each
// naming the same n binaries: a search for any binary finds them all.
func sharedEntries(tb testing.TB, n, shared int) *fakeRekor {
	tb.Helper()
	rk := newFakeRekor(tb)
	key := newECKey(tb)
	var subjects []Subject
	for i := range n {
		subjects = append(subjects, binSubject(tb, fmt.Sprint("bin", i), fmt.Sprint("bin", i)))
	}
	for range shared {
		if _, err := Attest(context.Background(), AttestOptions{Subjects: subjects, Facts: testFacts(tb), Key: key, RekorURL: rk.URL()}); err != nil {
			tb.Fatal(err)
		}
	}
	return rk
}
