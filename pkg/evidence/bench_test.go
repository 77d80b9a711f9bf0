package evidence

import (
	"context"
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
	cases := []struct {
		name   string
		bundle []byte
		opts   VerifyOptions
	}{
		{"key", keyBundle, VerifyOptions{PublicKeys: [][]byte{key.PublicKeyPEM()}, ArtifactDigest: shaHex("app")}},
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
