package main

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/gopolicy/gopolicy/internal/gotest"
	"github.com/gopolicy/gopolicy/pkg/evidence"
)

// TestRekorV2EndToEnd attests through a Rekor v2 log (rekor-tiles, see
// scripts/rekor/v2-start.sh) with the CLI, and verifies and judges the
// binary offline against a trusted root that names the log.
func TestRekorV2EndToEnd(t *testing.T) {
	url := os.Getenv("GOPOLICY_REKOR_V2_URL")
	if url == "" {
		if os.Getenv("GOPOLICY_REQUIRE_REKOR_V2") == "1" {
			t.Fatal("GOPOLICY_REQUIRE_REKOR_V2=1 but GOPOLICY_REKOR_V2_URL is not set")
		}
		t.Skip("no Rekor v2 log: scripts/rekor/v2-start.sh DIR starts one; source DIR/env to run this test")
	}
	keyPEM, err := os.ReadFile(os.Getenv("GOPOLICY_REKOR_V2_PUBKEY"))
	if err != nil {
		t.Fatalf("GOPOLICY_REKOR_V2_PUBKEY: %v", err)
	}
	origin := os.Getenv("GOPOLICY_REKOR_V2_ORIGIN")
	pub, err := evidence.ParsePublicKey(keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	edKey, ok := pub.(ed25519.PublicKey)
	if !ok || origin == "" {
		t.Fatalf("want the log's Ed25519 key and its origin; got %T and %q", pub, origin)
	}
	// The log's id as its signed notes derive it; the base URL only
	// names the log (its host is the checkpoint origin sigstore-go
	// matches): verification never contacts it.
	id := sha256.Sum256(append([]byte(origin+"\n\x01"), edKey...))
	tr, err := root.NewTrustedRoot(root.TrustedRootMediaType01, nil, nil, nil, map[string]*root.TransparencyLog{hex.EncodeToString(id[:]): {
		BaseURL: "https://" + origin, ID: id[:], ValidityPeriodStart: time.Now().Add(-time.Hour),
		HashFunc: crypto.SHA256, PublicKey: edKey, SignatureHashFunc: crypto.SHA256,
	}})
	if err != nil {
		t.Fatal(err)
	}
	trJSON, err := tr.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	trusted := filepath.Join(dir, "trusted_root.json")
	if err := os.WriteFile(trusted, trJSON, 0o644); err != nil {
		t.Fatal(err)
	}

	t.Setenv("GOPOLICY_CONFIG", "")
	t.Setenv("CGO_ENABLED", "0")
	env := gotest.Env(t)
	proj := filepath.Join(dir, "src")
	gotest.WriteTree(t, proj, "-- go.mod --\nmodule example.com/tiles\n\ngo 1.22\n-- main.go --\npackage main\n\nfunc main() { println(\"tiles\") }\n")
	bin := gotest.Build(t, env, proj, filepath.Join(dir, "app"), map[string]string{"CGO_ENABLED": "0"}, "-trimpath")
	priv, pubFile := writeECKey(t, dir)
	bundle := filepath.Join(dir, "app.gopolicy.sigstore.json")
	gp := func(args ...string) (int, string) {
		var out bytes.Buffer
		code := run(args, nil, &out, &out)
		return code, out.String()
	}
	if code, out := gp("attest", "--dir", proj, "--binary", bin, "--key", priv, "--rekor-url", url, "--rekor-version", "2", "-o", bundle, "--no-go-command"); code != 0 {
		t.Fatalf("attest through Rekor v2: exit %d\n%s", code, out)
	}
	trust := []string{"--evidence-key", pubFile, "--trusted-root", trusted, "--tlog-entries", "1"}
	code, out := gp(append([]string{"verify-attestation", bundle, "--binary", bin}, trust...)...)
	if code != 0 || !strings.Contains(out, "VERIFIED") || !strings.Contains(out, "inclusion proof true") {
		t.Fatalf("verify the v2-logged attestation: exit %d\n%s", code, out)
	}
	code, out = gp(append([]string{"eval", "--binary", bin, "--attestation", bundle, "--target", "linux/amd64", "--profile", "prod"}, trust...)...)
	if strings.Contains(out, "GP-EVD-00") {
		t.Fatalf("a v2-logged, verified attestation is judged as missing or failed evidence (exit %d):\n%s", code, out)
	}
	// Against a trusted root that does not name the log, the entry
	// cannot count.
	empty, _ := root.NewTrustedRoot(root.TrustedRootMediaType01, nil, nil, nil, nil)
	emptyJSON, _ := empty.MarshalJSON()
	other := filepath.Join(dir, "other_root.json")
	os.WriteFile(other, emptyJSON, 0o644)
	code, out = gp("verify-attestation", bundle, "--binary", bin, "--evidence-key", pubFile, "--trusted-root", other, "--tlog-entries", "1")
	if code != 1 || !strings.Contains(out, "NOT VERIFIED") {
		t.Fatalf("verified against a trusted root without the log: exit %d\n%s", code, out)
	}
}
