package oci

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/gopolicy/gopolicy/internal/ocitest"
	"github.com/gopolicy/gopolicy/pkg/evidence"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	"github.com/sigstore/sigstore-go/pkg/root"
	"google.golang.org/protobuf/encoding/protojson"
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

// TestRekorLoggedAttestationsBothWays logs the attestation in a Rekor v1
// log (scripts/rekor/start.sh) and checks the transparency-log half of
// each layout with the log pinned: cosign verifies what gopolicy pushed
// without skipping the log, and gopolicy verifies a cosign-style .att
// DSSE layer through the signed entry timestamp of its annotation.
func TestRekorLoggedAttestationsBothWays(t *testing.T) {
	cosign := cosignBinary(t)
	url, keyFile := os.Getenv("GOPOLICY_REKOR_URL"), os.Getenv("GOPOLICY_REKOR_PUBKEY")
	if url == "" || keyFile == "" {
		if os.Getenv("GOPOLICY_REQUIRE_REKOR") == "1" {
			t.Fatal("GOPOLICY_REQUIRE_REKOR=1 but GOPOLICY_REKOR_URL or GOPOLICY_REKOR_PUBKEY is not set")
		}
		t.Skip("no Rekor v1 log: scripts/rekor/start.sh DIR starts one; source DIR/env")
	}
	logKey, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	trusted := filepath.Join(dir, "trusted_root.json")
	if err := os.WriteFile(trusted, rekorTrustedRoot(t, url, logKey), 0o644); err != nil {
		t.Fatal(err)
	}
	key := ocitest.SigningKey(t)
	pub := filepath.Join(dir, "key.pub")
	if err := os.WriteFile(pub, key.PublicKeyPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	host := registries(t)["in-process"]
	logged := func(repo string) (name.Digest, []byte) {
		d := ocitest.PushImage(t, host, repo, "v1")
		is, err := evidence.ImageSubject(d.Context().Name(), d.DigestStr())
		if err != nil {
			t.Fatal(err)
		}
		b, err := evidence.Attest(ctx, evidence.AttestOptions{Subjects: []evidence.Subject{is}, Facts: []byte(`{"schema":"gopolicy.dev/facts/v1"}`), Key: key, RekorURL: url})
		if err != nil {
			t.Fatal(err)
		}
		return d, b
	}

	// gopolicy pushes; cosign verifies both layouts with the log.
	d, bundle := logged("logged/pushed")
	if _, err := (&Registry{}).PushAttestation(ctx, d, bundle, evidence.FactsPredicateType); err != nil {
		t.Fatal(err)
	}
	for _, layout := range []string{"--new-bundle-format=false", "--new-bundle-format=true"} {
		c := exec.CommandContext(ctx, cosign, "verify-attestation", "--key", pub, "--trusted-root", trusted, layout,
			"--type", evidence.FactsPredicateType, "--allow-insecure-registry", "--allow-http-registry", d.String())
		c.Env = append(os.Environ(), "HOME="+dir)
		out, err := c.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "transparency log was verified") {
			t.Errorf("cosign %s with the log pinned: %v\n%s", layout, err, out)
		}
	}

	// A cosign-style .att: the DSSE layer alone, the log entry in its
	// annotation. gopolicy verifies it against the pinned log key.
	d, bundle = logged("logged/classic")
	pb := &protobundle.Bundle{}
	if err := protojson.Unmarshal(bundle, pb); err != nil {
		t.Fatal(err)
	}
	layer, err := dsseLayer(pb, evidence.FactsPredicateType)
	if err != nil {
		t.Fatal(err)
	}
	att, err := mutate.Append(mutate.MediaType(empty.Image, types.OCIManifestSchema1), layer)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(AttTag(d), att); err != nil {
		t.Fatal(err)
	}
	found, err := (&Registry{}).Attestations(ctx, d)
	if err != nil || len(found) != 1 || !strings.Contains(found[0].Source, "cosign DSSE layer") {
		t.Fatalf("found %d (%v), want the DSSE layer", len(found), err)
	}
	opts := evidence.VerifyOptions{PublicKeys: [][]byte{key.PublicKeyPEM()}, LogPublicKeys: [][]byte{logKey}, TlogEntries: 1,
		PredicateType: evidence.FactsPredicateType, ArtifactDigest: d.DigestStr()}
	if res, err := evidence.Verify(ctx, found[0].Data, opts); err != nil {
		t.Fatalf("the logged DSSE layer does not verify: %v %+v", err, res.Failed())
	}
	opts.LogPublicKeys = [][]byte{ocitest.SigningKey(t).PublicKeyPEM()}
	if _, err := evidence.Verify(ctx, found[0].Data, opts); err == nil {
		t.Error("the logged DSSE layer verified against another log's key")
	}
}

// rekorTrustedRoot is a trusted root naming one Rekor v1 log by its key.
func rekorTrustedRoot(t *testing.T, url string, keyPEM []byte) []byte {
	t.Helper()
	pub, err := evidence.ParsePublicKey(keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	id := sha256.Sum256(der)
	tr, err := root.NewTrustedRoot(root.TrustedRootMediaType01, nil, nil, nil, map[string]*root.TransparencyLog{hex.EncodeToString(id[:]): {
		BaseURL: url, ID: id[:], ValidityPeriodStart: time.Now().Add(-time.Hour),
		HashFunc: crypto.SHA256, PublicKey: pub, SignatureHashFunc: crypto.SHA256,
	}})
	if err != nil {
		t.Fatal(err)
	}
	data, err := tr.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return data
}
