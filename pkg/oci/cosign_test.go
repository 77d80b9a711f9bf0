package oci

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gopolicy/gopolicy/internal/ocitest"
	"github.com/gopolicy/gopolicy/pkg/evidence"
)

// cosignBinary is a cosign executable (scripts/cosign/build.sh builds
// one), or the test skips; GOPOLICY_REQUIRE_COSIGN=1 makes its absence a
// failure.
func cosignBinary(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("GOPOLICY_COSIGN")
	if bin == "" {
		if os.Getenv("GOPOLICY_REQUIRE_COSIGN") == "1" {
			t.Fatal("GOPOLICY_REQUIRE_COSIGN=1 but GOPOLICY_COSIGN is not set")
		}
		t.Skip("GOPOLICY_COSIGN is not set: build cosign with scripts/cosign/build.sh and export GOPOLICY_COSIGN=PATH to run the cosign interoperability tests")
	}
	return bin
}

// TestCosignFindsPushedAttestations runs cosign itself against what
// PushAttestation stored: cosign verify-attestation must find and verify
// the attestation with the signing key, on the .att tag (cosign's
// classic layout) and as a bundle referrer (its new bundle format).
func TestCosignFindsPushedAttestations(t *testing.T) {
	cosign := cosignBinary(t)
	for kind, host := range registries(t) {
		t.Run(kind, func(t *testing.T) {
			key := ocitest.SigningKey(t)
			d := ocitest.PushImage(t, host, "cosign/app", "v1")
			if _, err := (&Registry{}).PushAttestation(context.Background(), d, attestImage(t, key, d), evidence.FactsPredicateType); err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			pub := filepath.Join(dir, "key.pub")
			if err := os.WriteFile(pub, key.PublicKeyPEM(), 0o644); err != nil {
				t.Fatal(err)
			}
			other := filepath.Join(dir, "other.pub")
			if err := os.WriteFile(other, ocitest.SigningKey(t).PublicKeyPEM(), 0o644); err != nil {
				t.Fatal(err)
			}
			run := func(keyFile string, extra ...string) (string, error) {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				args := append([]string{"verify-attestation", "--key", keyFile, "--type", evidence.FactsPredicateType,
					"--insecure-ignore-tlog=true", "--allow-insecure-registry", "--allow-http-registry"}, extra...)
				args = append(args, d.String())
				cmd := exec.CommandContext(ctx, cosign, args...)
				cmd.Env = append(os.Environ(), "HOME="+dir, "TUF_ROOT="+filepath.Join(dir, "tuf"))
				out, err := cmd.CombinedOutput()
				return string(out), err
			}
			for _, layout := range []struct {
				name  string
				flags []string
			}{
				{"att tag", []string{"--new-bundle-format=false"}},
				{"bundle referrer", []string{"--new-bundle-format=true"}},
			} {
				out, err := run(pub, layout.flags...)
				if err != nil {
					t.Errorf("%s: cosign verify-attestation failed: %v\n%s", layout.name, err, out)
					continue
				}
				if !strings.Contains(out, "The signatures were verified against the specified public key") || !strings.Contains(out, `"payloadType":"application/vnd.in-toto+json"`) {
					t.Errorf("%s: cosign verified no attestation:\n%s", layout.name, out)
				}
				if out, err := run(other, layout.flags...); err == nil {
					t.Errorf("%s: cosign verified with another key:\n%s", layout.name, out)
				}
			}
		})
	}
}

// TestGopolicyFindsCosignAttestations is the other direction: an
// attestation cosign attest stores, as a bundle referrer (cosign v3's
// default) or as a DSSE layer on the .att tag (its classic layout), is
// found by gopolicy and verifies offline with the key, and only with it.
func TestGopolicyFindsCosignAttestations(t *testing.T) {
	cosign := cosignBinary(t)
	for kind, host := range registries(t) {
		for _, layout := range []struct {
			name, source string
			flags        []string
		}{
			{"bundle referrer", "referrer ", nil},
			{"classic att tag", "tag sha256-", []string{"--new-bundle-format=false"}},
		} {
			t.Run(kind+"/"+layout.name, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				dir := t.TempDir()
				env := append(os.Environ(), "HOME="+dir, "COSIGN_PASSWORD=test")
				cmd := func(args ...string) {
					t.Helper()
					c := exec.CommandContext(ctx, cosign, args...)
					c.Dir, c.Env = dir, env
					if out, err := c.CombinedOutput(); err != nil {
						t.Fatalf("cosign %s: %v\n%s", args[0], err, out)
					}
				}
				cmd("generate-key-pair")
				predicate := filepath.Join(dir, "facts.json")
				if err := os.WriteFile(predicate, []byte(`{"schema":"gopolicy.dev/facts/v1"}`), 0o644); err != nil {
					t.Fatal(err)
				}
				d := ocitest.PushImage(t, host, "bycosign/app", "v1")
				// No transparency log: this machine has no route to one.
				args := []string{"attest", "--key", "cosign.key", "--type", evidence.FactsPredicateType, "--predicate", predicate,
					"--use-signing-config=false", "--tlog-upload=false", "-y", "--allow-insecure-registry", "--allow-http-registry"}
				cmd(append(append(args, layout.flags...), d.String())...)

				found, err := (&Registry{}).Attestations(ctx, d)
				if err != nil {
					t.Fatal(err)
				}
				if len(found) != 1 || !strings.HasPrefix(found[0].Source, layout.source) {
					var srcs []string
					for _, f := range found {
						srcs = append(srcs, f.Source)
					}
					t.Fatalf("found %v, want one from %q", srcs, layout.source)
				}
				pub, err := os.ReadFile(filepath.Join(dir, "cosign.pub"))
				if err != nil {
					t.Fatal(err)
				}
				opts := evidence.VerifyOptions{PublicKeys: [][]byte{pub}, PredicateType: evidence.FactsPredicateType, ArtifactDigest: d.DigestStr()}
				if res, err := evidence.Verify(ctx, found[0].Data, opts); err != nil {
					t.Fatalf("cosign's attestation does not verify: %v %+v", err, res.Failed())
				}
				opts.PublicKeys = [][]byte{ocitest.SigningKey(t).PublicKeyPEM()}
				if _, err := evidence.Verify(ctx, found[0].Data, opts); err == nil {
					t.Error("cosign's attestation verified with another key")
				}
			})
		}
	}
}
