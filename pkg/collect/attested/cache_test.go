package attested

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gopolicy/gopolicy/pkg/evidence"
	"github.com/gopolicy/gopolicy/pkg/facts"
)

// release is a build of n binaries signed with one key.
type release struct {
	key      *evidence.PrivateKey
	binaries []facts.Binary
	trust    evidence.VerifyOptions
}

func newRelease(t testing.TB, n int) *release {
	t.Helper()
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	key, err := evidence.NewPrivateKey(ec)
	if err != nil {
		t.Fatal(err)
	}
	r := &release{key: key, trust: evidence.VerifyOptions{PublicKeys: [][]byte{key.PublicKeyPEM()}}}
	for i := range n {
		sum := sha256.Sum256(fmt.Appendf(nil, "binary %d", i))
		r.binaries = append(r.binaries, facts.Binary{Path: fmt.Sprintf("/out/bin%02d", i), SHA256: hex.EncodeToString(sum[:])})
	}
	return r
}

// factsDoc is a small facts document that passes check.Document.
func factsDoc(t testing.TB, bins []facts.Binary) []byte {
	t.Helper()
	doc := facts.Document{
		Schema:     facts.SchemaVersion,
		Now:        time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),
		Tool:       facts.Tool{Name: "gopolicy", Version: "0.4.0-test"},
		Dir:        "/src/app",
		Collectors: map[string]facts.CollectorStatus{"binaries": {Status: facts.StatusOK}},
		Binaries:   bins,
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// attest signs an attestation naming bins.
func (r *release) attest(t testing.TB, bins []facts.Binary) []byte {
	t.Helper()
	var subjects []evidence.Subject
	for _, b := range bins {
		s, err := evidence.BinarySubject(b.Path, b.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		subjects = append(subjects, s)
	}
	data, err := evidence.Attest(context.Background(), evidence.AttestOptions{Subjects: subjects, Facts: factsDoc(t, bins), Key: r.key})
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// writeAll writes each bundle to its own file, as a release ships one
// beside each binary.
func writeAll(t testing.TB, bundles [][]byte) []string {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	for i, b := range bundles {
		p := filepath.Join(dir, fmt.Sprintf("bin%02d.att.json", i))
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

// BenchmarkCollect judges 50 binaries. shared: the release ships the
// same attestation (one statement naming all 50) beside every binary;
// distinct: one attestation per binary; other-binaries: 50 copies of an
// attestation for binaries not judged here, which fails at the artifact
// step for every candidate.
func BenchmarkCollect(b *testing.B) {
	const n = 50
	r := newRelease(b, n)
	shared := r.attest(b, r.binaries)
	var same, distinct [][]byte
	for i := range n {
		same = append(same, shared)
		distinct = append(distinct, r.attest(b, r.binaries[i:i+1]))
	}
	foreign := r.attest(b, []facts.Binary{{Path: "/elsewhere", SHA256: hex.EncodeToString(make([]byte, 32))}})
	var foreigns [][]byte
	for range n {
		foreigns = append(foreigns, foreign)
	}
	cases := []struct {
		name  string
		paths []string
	}{
		{"shared", writeAll(b, same)},
		{"distinct", writeAll(b, distinct)},
		{"other-binaries", writeAll(b, foreigns)},
	}
	ctx := context.Background()
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			opts := Options{Attestations: c.paths, Trust: r.trust}
			b.ReportAllocs()
			for b.Loop() {
				ev, _, problems := Collect(ctx, opts, r.binaries)
				if len(problems) > 0 || len(ev.Inputs) != n {
					b.Fatalf("%d inputs, problems %v", len(ev.Inputs), problems)
				}
			}
		})
	}
}

// The same attestation beside 50 binaries is verified once per run, a
// tampered copy fails on its own, and the facts are as without a cache.
func TestCollectCache(t *testing.T) {
	const n = 50
	r := newRelease(t, n)
	shared := r.attest(t, r.binaries)
	var pb map[string]any
	if err := json.Unmarshal(shared, &pb); err != nil {
		t.Fatal(err)
	}
	env := pb["dsseEnvelope"].(map[string]any)
	sig := env["signatures"].([]any)[0].(map[string]any)
	s := []byte(sig["sig"].(string))
	// Another base64 character: another signature, still well-formed.
	if s[5] == 'A' {
		s[5] = 'B'
	} else {
		s[5] = 'A'
	}
	sig["sig"] = string(s)
	tampered, err := json.Marshal(pb)
	if err != nil {
		t.Fatal(err)
	}
	bundles := make([][]byte, 0, n+1)
	for range n {
		bundles = append(bundles, shared)
	}
	bundles = append(bundles, tampered)
	paths := writeAll(t, bundles)
	cache := evidence.NewCache()
	ev, atts, problems := Collect(context.Background(), Options{Attestations: paths, Trust: r.trust, Cache: cache}, r.binaries)
	if len(problems) > 0 || len(ev.Inputs) != n+1 || len(atts) != n {
		t.Fatalf("%d inputs, %d attestations, problems %v", len(ev.Inputs), len(atts), problems)
	}
	// The tampered copy fails at the signature for the binary it is tried
	// against first, and is not tried further.
	if st := cache.Stats(); st.BundleVerifications != 2 || st.BundleHits != n-1 {
		t.Errorf("cache stats %+v, want 2 bundle verifications and %d hits", st, n-1)
	}
	for i, in := range ev.Inputs {
		if in.Path != paths[i] {
			t.Fatalf("input %d is %s, want %s (the order given)", i, in.Path, paths[i])
		}
		if want := i < n; in.Verified != want {
			t.Errorf("input %d verified %v: %s", i, in.Verified, in.Error)
		}
	}
	if e := ev.Inputs[n].Error; !strings.HasPrefix(e, "signature: ") {
		t.Errorf("tampered copy: %q", e)
	}

	// Without a shared cache, and one file at a time, the facts are the
	// same.
	for i, p := range paths {
		one, _, _ := Collect(context.Background(), Options{Attestations: []string{p}, Trust: r.trust}, r.binaries)
		if !reflect.DeepEqual(one.Inputs[0], ev.Inputs[i]) {
			t.Fatalf("input %d differs with its own cache:\n%+v\n%+v", i, one.Inputs[0], ev.Inputs[i])
		}
	}
}
