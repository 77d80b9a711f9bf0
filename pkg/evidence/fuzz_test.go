package evidence

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"

	"github.com/sigstore/sigstore-go/pkg/sign"
	"google.golang.org/protobuf/encoding/protojson"
)

// fuzzKey is fixed, so that corpus entries signed with it stay
// meaningful across runs.
func fuzzKey(t testing.TB) *PrivateKey {
	seed := bytes.Repeat([]byte{0x5e}, ed25519.SeedSize)
	k, err := NewPrivateKey(ed25519.NewKeyFromSeed(seed))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// fuzzECKey is a fixed P-256 test key (for message signatures, which
// Ed25519 keys make only as Ed25519ph).
const fuzzECKey = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgxsI83mMMhCizp8/C
aLfHzokcTDbYmwUCR8l9whiaU62hRANCAAQFoG5zXro/5x3qh64NsOI4ei47RCrb
GQo/m+s0c01LJBaR3UdZdFvuJncrBVQr5tGyn5Dls6mk0h843ZFm25si
-----END PRIVATE KEY-----
`

// FuzzVerify feeds arbitrary bundles and artifact digests to Verify with
// fixed trust (a pinned key, and the public-good trusted root when the
// sigstore-go module is at hand). Whatever the input, Verify must not
// panic, must report an error exactly when the bundle is not verified,
// and a verified bundle must be bound to the digest given.
func FuzzVerify(f *testing.F) {
	key := fuzzKey(f)
	ctx := context.Background()
	good, err := Attest(ctx, AttestOptions{Subjects: []Subject{binSubject(f, "app", "app")}, Facts: testFacts(f), Key: key})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good, "sha256:"+shaHex("app"))
	f.Add(good, shaHex("other"))
	ecKey, err := LoadPrivateKey([]byte(fuzzECKey), nil)
	if err != nil {
		f.Fatal(err)
	}
	msg, err := sign.Bundle(&sign.PlainData{Data: []byte("blob")}, keypair{ecKey}, sign.BundleOptions{})
	if err != nil {
		f.Fatal(err)
	}
	msgJSON, err := protojson.Marshal(msg)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(msgJSON, shaHex("blob"))
	f.Add([]byte(`{}`), "")
	f.Add([]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{"hint":"x"}},"messageSignature":{"messageDigest":{"algorithm":"SHA2_256","digest":"AA=="},"signature":"AA=="}}`), shaHex("x"))
	f.Add(good[:len(good)/2], shaHex("app"))

	var trustedRoot []byte
	if dir, _ := findSigstoreGo(); dir != "" {
		for _, c := range publicGoodCases(f) {
			b := readModuleFile(f, c.bundle)
			f.Add(b, c.opts.ArtifactDigest)
		}
		trustedRoot = readModuleFile(f, "examples/trusted-root-public-good.json")
	}
	opts := VerifyOptions{
		TrustedRoot: trustedRoot,
		PublicKeys:  [][]byte{key.PublicKeyPEM(), ecKey.PublicKeyPEM()},
		Identities: []Identity{{
			Issuer:    "https://token.actions.githubusercontent.com",
			SANRegexp: `https://github\.com/sigstore/.*`,
		}},
	}

	f.Fuzz(func(t *testing.T, bundleJSON []byte, artifactDigest string) {
		o := opts
		o.ArtifactDigest = artifactDigest
		res, err := Verify(ctx, bundleJSON, o)
		if (err == nil) != res.Verified {
			t.Fatalf("err %v but verified %v", err, res.Verified)
		}
		if err != nil {
			if !errors.Is(err, ErrNotVerified) {
				t.Fatalf("error does not wrap ErrNotVerified: %v", err)
			}
			if len(res.Failed()) == 0 {
				t.Fatalf("error without a failed step: %v", err)
			}
			return
		}
		for _, s := range res.Steps {
			if !s.OK {
				t.Fatalf("verified with failed step %+v", s)
			}
		}
		want, perr := parseDigest(artifactDigest)
		if perr != nil {
			t.Fatalf("verified with an unparsable artifact digest %q", artifactDigest)
		}
		switch res.Content {
		case ContentMessageSignature:
			if res.MessageDigest != want.String() {
				t.Fatalf("verified message digest %s for artifact %s", res.MessageDigest, want)
			}
		case ContentDSSE:
			bound := false
			for _, s := range res.Subjects {
				if s.Matched && strings.EqualFold(s.Digest[want.alg], want.hex()) {
					bound = true
				}
			}
			if !bound {
				t.Fatalf("verified DSSE bundle has no subject %s: %+v", want, res.Subjects)
			}
		default:
			t.Fatalf("verified bundle with content %q", res.Content)
		}
	})
}
