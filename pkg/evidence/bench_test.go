package evidence

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

func BenchmarkAttest(b *testing.B) {
	for _, key := range []*PrivateKey{newECKey(b), newEdKey(b)} {
		b.Run(key.Algorithm(), func(b *testing.B) {
			opts := AttestOptions{Subjects: []Subject{binSubject(b, "app", "app")}, Facts: testFacts(b), Key: key}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Attest(ctx, opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkVerify(b *testing.B) {
	ctx := context.Background()
	key := newECKey(b)
	keyBundle := attestKey(b, key, "")
	kl := newKeyless(b)
	keylessBundle := kl.attest(b, "builder@example.com", "https://issuer.example")
	v2 := newFakeRekorV2(b)
	cases := []struct {
		name   string
		bundle []byte
		opts   VerifyOptions
	}{
		{"key", keyBundle, VerifyOptions{PublicKeys: [][]byte{key.PublicKeyPEM()}, ArtifactDigest: shaHex("app")}},
		{"key+rekor-v2", attestV2(b, key, v2.URL()), VerifyOptions{
			TrustedRoot: v2.trustedRoot(b, v2.transparencyLog()), PublicKeys: [][]byte{key.PublicKeyPEM()},
			ArtifactDigest: shaHex("app"), TlogEntries: 1,
		}},
		{"keyless+rekor", keylessBundle, VerifyOptions{
			TrustedRoot:    kl.root,
			Identities:     []Identity{{Issuer: "https://issuer.example", SAN: "builder@example.com"}},
			ArtifactDigest: shaHex("app"), TlogEntries: 1,
		}},
	}
	if dir, _ := findSigstoreGo(); dir != "" {
		c := publicGoodCases(b)[0]
		o := c.opts
		o.TrustedRoot = readModuleFile(b, c.root)
		cases = append(cases, struct {
			name   string
			bundle []byte
			opts   VerifyOptions
		}{"public-good-provenance", readModuleFile(b, c.bundle), o})
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Verify(ctx, c.bundle, c.opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSearchShared searches a log for 50 binaries that three
// attestations all name, four searches at a time (as the evidence
// collector does): without a cache every search fetches and verifies the
// three entries; with one per run they are fetched and verified once.
func BenchmarkSearchShared(b *testing.B) {
	const n, shared = 50, 3
	rk := sharedEntries(b, n, shared)
	ctx := context.Background()
	for _, cached := range []bool{false, true} {
		b.Run(map[bool]string{false: "uncached", true: "cached"}[cached], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var c *Cache
				if cached {
					c = NewCache()
				}
				sem := make(chan struct{}, 4)
				var wg sync.WaitGroup
				for i := range n {
					wg.Go(func() {
						sem <- struct{}{}
						defer func() { <-sem }()
						res, err := c.SearchRekorV1(ctx, rk.URL(), shaHex(fmt.Sprint("bin", i)), rk.publicKeyPEM())
						if err != nil || len(res.Entries) != shared {
							b.Errorf("search %d: %d entries, %v", i, len(res.Entries), err)
						}
					})
				}
				wg.Wait()
			}
		})
	}
}
