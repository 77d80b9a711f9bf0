package evidence

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sigstore/rekor/pkg/generated/models"
	"github.com/sigstore/sigstore-go/pkg/sign"
)

func TestSearchRekorV1(t *testing.T) {
	rk := newFakeRekor(t)
	key := newECKey(t)
	// 23 attestations name the binary "app" (more than two batches),
	// others do not.
	const n = 23
	for i := 0; i < n; i++ {
		attestKey(t, key, rk.URL())
		if _, err := Attest(context.Background(), AttestOptions{
			Subjects: []Subject{binSubject(t, "other", fmt.Sprint("other", i))},
			Facts:    testFacts(t), Key: key, RekorURL: rk.URL(),
		}); err != nil {
			t.Fatal(err)
		}
	}
	// A plain signature over a blob is a hashedrekord entry.
	blob := []byte("a released tarball")
	if _, err := sign.Bundle(&sign.PlainData{Data: blob}, keypair{key}, sign.BundleOptions{
		TransparencyLogs: []sign.Transparency{sign.NewRekor(&sign.RekorOptions{BaseURL: rk.URL()})},
	}); err != nil {
		t.Fatal(err)
	}

	res, err := SearchRekorV1(context.Background(), rk.URL(), "sha256:"+shaHex("app"), rk.publicKeyPEM())
	if err != nil {
		t.Fatal(err)
	}
	if !res.Incomplete || !strings.Contains(res.Note, "incomplete by design") || !strings.Contains(res.Note, "Rekor v2 has no search") {
		t.Errorf("result does not say the search is incomplete: %+v", res)
	}
	if len(res.UUIDs) != n || len(res.Entries) != n {
		t.Fatalf("%d UUIDs, %d entries, want %d", len(res.UUIDs), len(res.Entries), n)
	}
	rk.mu.Lock()
	batches := fmt.Sprint(rk.batches)
	rk.mu.Unlock()
	if batches != "[10 10 3]" {
		t.Errorf("entries/retrieve batches %s, want [10 10 3]", batches)
	}
	for _, e := range res.Entries {
		if !e.Verified || !e.SETVerified || !e.InclusionProofVerified || !e.Trusted || e.Kind != "dsse/0.0.1" || e.IntegratedTime == nil {
			t.Errorf("entry %+v", e)
		}
		if !strings.Contains(e.Reason, "only the bundle binds it") {
			t.Errorf("reason %q", e.Reason)
		}
	}
	sf := res.Facts(nil)
	if !sf.Incomplete || sf.Note != SearchIncompleteNote || len(sf.Entries) != n {
		t.Errorf("search facts %+v", sf)
	}

	res, err = SearchRekorV1(context.Background(), rk.URL(), shaHex(string(blob)), rk.publicKeyPEM())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Entries) != 1 || res.Entries[0].Kind != "hashedrekord/0.0.1" || !res.Entries[0].Verified ||
		!strings.Contains(res.Entries[0].Reason, "this very digest") {
		t.Errorf("hashedrekord search %+v", res.Entries)
	}

	res, err = SearchRekorV1(context.Background(), rk.URL(), shaHex("never signed"), rk.publicKeyPEM())
	if err != nil || len(res.Entries) != 0 || !res.Incomplete {
		t.Errorf("empty search: %+v, %v", res, err)
	}
}

// Whatever the log answers, each entry is checked offline, and a bad
// one is reported, not trusted.
func TestSearchRekorV1Tampered(t *testing.T) {
	rk := newFakeRekor(t)
	key := newECKey(t)
	for i := 0; i < 5; i++ {
		attestKey(t, key, rk.URL())
	}
	uuids := []string{}
	rk.mu.Lock()
	for _, e := range rk.entries {
		uuids = append(uuids, e.uuid)
	}
	rk.mu.Unlock()
	damage := map[string]func(*models.LogEntryAnon){
		uuids[0]: func(a *models.LogEntryAnon) { a.Verification.SignedEntryTimestamp[5] ^= 1 },
		uuids[1]: func(a *models.LogEntryAnon) {
			h := []byte(a.Verification.InclusionProof.Hashes[0])
			if h[0] == '0' { // another hex digit, so the proof is still well-formed
				h[0] = '1'
			} else {
				h[0] = '0'
			}
			a.Verification.InclusionProof.Hashes[0] = string(h)
		},
		uuids[2]: func(a *models.LogEntryAnon) { t := *a.IntegratedTime + 3600; a.IntegratedTime = &t },
		uuids[3]: func(a *models.LogEntryAnon) { a.LogIndex = nil },
	}
	want := map[string]string{
		uuids[0]: "SET",
		uuids[1]: "inclusion proof",
		uuids[2]: "SET",
		uuids[3]: "malformed entry",
		uuids[4]: "",
	}
	rk.mu.Lock()
	rk.tamperEntry = func(uuid string, a *models.LogEntryAnon) {
		if f := damage[uuid]; f != nil {
			f(a)
		}
	}
	rk.extraUUIDs = []string{strings.Repeat("ab", 32)}
	rk.mu.Unlock()
	res, err := SearchRekorV1(context.Background(), rk.URL(), shaHex("app"), rk.publicKeyPEM())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Entries) != 6 {
		t.Fatalf("%d entries", len(res.Entries))
	}
	for _, e := range res.Entries {
		w, known := want[e.UUID]
		switch {
		case !known:
			if e.Verified || !strings.Contains(e.Reason, "did not return") {
				t.Errorf("missing entry %+v", e)
			}
		case w == "":
			if !e.Verified {
				t.Errorf("good entry not verified: %+v", e)
			}
		default:
			if e.Verified || !strings.Contains(e.Reason, w) {
				t.Errorf("entry %s: verified %v reason %q, want %q", e.UUID[:8], e.Verified, e.Reason, w)
			}
		}
	}

	// Another log's key: nothing verifies.
	other := newFakeRekor(t)
	rk.mu.Lock()
	rk.tamperEntry, rk.extraUUIDs = nil, nil
	rk.mu.Unlock()
	res, err = SearchRekorV1(context.Background(), rk.URL(), shaHex("app"), other.publicKeyPEM())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range res.Entries {
		if e.Verified || e.Trusted || !strings.Contains(e.Reason, "not the pinned log") {
			t.Errorf("entry from an unpinned log: %+v", e)
		}
	}
}

func TestSearchRekorV1Errors(t *testing.T) {
	rk := newFakeRekor(t)
	key := newECKey(t)
	attestKey(t, key, rk.URL())
	ctx := context.Background()

	rk.set(429, 0)
	res, err := SearchRekorV1(ctx, rk.URL(), shaHex("app"), rk.publicKeyPEM())
	if err == nil || !strings.Contains(err.Error(), "429") || !strings.Contains(err.Error(), "index/retrieve") || !res.Incomplete {
		t.Errorf("rate limited: %v", err)
	}
	rk.set(0, 10*time.Second)
	tctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = SearchRekorV1(tctx, rk.URL(), shaHex("app"), rk.publicKeyPEM())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("timeout: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("search took %v despite a 300ms deadline", d)
	}
	rk.set(0, 0)
	// Nothing listens here.
	rk2 := newFakeRekor(t)
	dead := rk2.URL()
	rk2.srv.Close()
	if _, err := SearchRekorV1(ctx, dead, shaHex("app"), rk.publicKeyPEM()); err == nil || !strings.Contains(err.Error(), "connect") {
		t.Errorf("log down: %v", err)
	}
	for name, c := range map[string]struct {
		url, hash string
		key       []byte
		want      string
	}{
		"hash":    {rk.URL(), "abc", rk.publicKeyPEM(), "64 hex"},
		"url":     {"ftp://x", shaHex("app"), rk.publicKeyPEM(), "not an http(s) URL"},
		"key":     {rk.URL(), shaHex("app"), []byte("nope"), "pinned log key"},
		"ed25519": {rk.URL(), shaHex("app"), newEdKey(t).PublicKeyPEM(), "ECDSA"},
	} {
		if _, err := SearchRekorV1(ctx, c.url, c.hash, c.key); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
	}
}
