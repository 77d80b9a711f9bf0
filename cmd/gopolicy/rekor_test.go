package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gopolicy/gopolicy/internal/gotest"
)

// TestRekorEndToEnd runs the evidence story against a real Rekor v1 log
// (MariaDB, trillian, rekor-server on 127.0.0.1, started by
// scripts/rekor/start.sh, which CI runs): a build attests its binary and
// logs the signature; the bundle then verifies offline against the pinned
// signer and log keys; a search by hash finds the entry; a tampered
// inclusion proof, signed entry timestamp, log body or subject is each
// caught; an unattested binary is denied in prod; and a log that is down
// fails the attestation instead of writing an unlogged one.
func TestRekorEndToEnd(t *testing.T) {
	url, logKey := os.Getenv("GOPOLICY_REKOR_URL"), os.Getenv("GOPOLICY_REKOR_PUBKEY")
	if url == "" || logKey == "" {
		if os.Getenv("GOPOLICY_REQUIRE_REKOR") == "1" {
			t.Fatal("GOPOLICY_REQUIRE_REKOR=1 but GOPOLICY_REKOR_URL or GOPOLICY_REKOR_PUBKEY is not set")
		}
		t.Skip("no Rekor v1 log: scripts/rekor/start.sh starts one and writes GOPOLICY_REKOR_URL and GOPOLICY_REKOR_PUBKEY")
	}
	t.Setenv("GOPOLICY_CONFIG", "")
	// The attested environment must be the one the binaries were built
	// in, or GP-EVD-004 rightly says the attestation is of another build.
	t.Setenv("CGO_ENABLED", "0")
	dir := t.TempDir()
	env := gotest.Env(t)
	proj := filepath.Join(dir, "src")
	gotest.WriteTree(t, proj, "-- go.mod --\nmodule example.com/logged\n\ngo 1.22\n-- main.go --\npackage main\n\nfunc main() { println(\"logged\") }\n")
	bin := gotest.Build(t, env, proj, filepath.Join(dir, "app"), map[string]string{"CGO_ENABLED": "0"}, "-trimpath")
	other := gotest.Build(t, env, proj, filepath.Join(dir, "other"), map[string]string{"CGO_ENABLED": "0"}, "-trimpath", "-ldflags=-s")
	priv, pub := writeECKey(t, dir)
	bundle := filepath.Join(dir, "app.gopolicy.sigstore.json")

	gp := func(args ...string) (int, string) {
		var out bytes.Buffer
		code := run(args, nil, &out, &out)
		return code, out.String()
	}
	if code, out := gp("attest", "--dir", proj, "--binary", bin, "--key", priv, "--rekor-url", url, "-o", bundle, "--no-go-command"); code != 0 || !strings.Contains(out, "logged in "+url) {
		t.Fatalf("attest: exit %d\n%s", code, out)
	}
	trust := []string{"--evidence-key", pub, "--log-key", logKey, "--tlog-entries", "1"}
	verify := func(file, binary string) (int, string) {
		return gp(append([]string{"verify-attestation", file, "--binary", binary}, trust...)...)
	}
	code, out := verify(bundle, bin)
	if code != 0 || !strings.Contains(out, "inclusion proof true, SET true") {
		t.Fatalf("verify the logged attestation: exit %d\n%s", code, out)
	}

	// Judged offline with the log required, and looked up by hash.
	code, out = gp(append([]string{"collect", "--binary", bin, "--attestation", bundle, "--rekor-search", url}, trust...)...)
	if code != 0 {
		t.Fatalf("collect: exit %d\n%s", code, out)
	}
	var doc struct {
		Evidence struct {
			Inputs []struct {
				Verified bool `json:"verified"`
			} `json:"inputs"`
			Searches []struct {
				Incomplete bool `json:"incomplete"`
				Entries    []struct {
					Verified bool `json:"verified"`
				} `json:"entries"`
				Error string `json:"error"`
			} `json:"searches"`
		} `json:"evidence"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("collect output: %v\n%s", err, out)
	}
	ev := doc.Evidence
	if len(ev.Inputs) != 1 || !ev.Inputs[0].Verified || len(ev.Searches) != 1 || !ev.Searches[0].Incomplete ||
		len(ev.Searches[0].Entries) == 0 || !ev.Searches[0].Entries[0].Verified {
		t.Fatalf("evidence facts: %+v", ev)
	}
	code, out = gp(append([]string{"eval", "--binary", bin, "--attestation", bundle, "--target", "linux/amd64", "--profile", "prod"}, trust...)...)
	if strings.Contains(out, "GP-EVD-00") {
		t.Fatalf("a logged, verified attestation is judged as missing or failed evidence (exit %d):\n%s", code, out)
	}

	// Each tampering is caught, by the step it breaks.
	data, err := os.ReadFile(bundle)
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		path []string
		step string
	}{
		"inclusion proof":        {[]string{"verificationMaterial", "tlogEntries", "0", "inclusionProof", "rootHash"}, "tlog"},
		"signed entry timestamp": {[]string{"verificationMaterial", "tlogEntries", "0", "inclusionPromise", "signedEntryTimestamp"}, "tlog"},
		"log body":               {[]string{"verificationMaterial", "tlogEntries", "0", "canonicalizedBody", "spec.payloadHash.value"}, "tlog"},
		"statement subject":      {[]string{"dsseEnvelope", "payload"}, "signature"},
	} {
		t.Run(name, func(t *testing.T) {
			tampered := filepath.Join(t.TempDir(), "tampered.json")
			if err := os.WriteFile(tampered, flipBase64(t, data, c.path), 0o644); err != nil {
				t.Fatal(err)
			}
			code, out := verify(tampered, bin)
			if code != 1 || !strings.Contains(out, "NOT VERIFIED") || !strings.Contains(out, "FAIL "+c.step) {
				t.Fatalf("tampered %s: exit %d, want 1 with step %s failing\n%s", name, code, c.step, out)
			}
		})
	}
	if code, out := verify(bundle, other); code != 1 || !strings.Contains(out, "FAIL artifact") {
		t.Fatalf("the attestation verified for another binary: exit %d\n%s", code, out)
	}

	// No evidence: denied in prod.
	code, out = gp(append([]string{"eval", "--binary", other, "--target", "linux/amd64", "--profile", "prod"}, trust...)...)
	if code != 1 || !strings.Contains(out, "DENY   GP-EVD-001") {
		t.Fatalf("an unattested binary in prod: exit %d\n%s", code, out)
	}

	// The log is down: attesting fails closed, and nothing is written.
	down := filepath.Join(dir, "down.json")
	code, out = gp("attest", "--dir", proj, "--binary", bin, "--key", priv, "--rekor-url", "http://127.0.0.1:1", "-o", down, "--no-go-command")
	if code != 2 || !strings.Contains(out, "connection refused") {
		t.Fatalf("attest with the log down: exit %d, want 2 naming the connection error\n%s", code, out)
	}
	if _, err := os.Stat(down); err == nil {
		t.Fatal("an attestation was written although the log could not be reached")
	}
}

func writeECKey(t *testing.T, dir string) (string, string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	privDER, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	priv, pub := filepath.Join(dir, "signing.pem"), filepath.Join(dir, "signing.pub.pem")
	if err := os.WriteFile(priv, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pub, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o644); err != nil {
		t.Fatal(err)
	}
	return priv, pub
}

// flipBase64 changes one character of the base64 string at path in a
// JSON document.
func flipBase64(t *testing.T, data []byte, path []string) []byte {
	t.Helper()
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	node := doc
	for i, key := range path {
		last := i == len(path)-1
		switch n := node.(type) {
		case map[string]any:
			switch {
			case last:
				s, _ := n[key].(string)
				if len(s) < 8 {
					t.Fatalf("no base64 value at %v", path)
				}
				n[key] = flip(s)
			case i == len(path)-2 && strings.Contains(path[i+1], "."):
				// A field inside a base64 JSON value: change the value the
				// signed body holds, keep the body well formed.
				n[key] = flipInBody(t, n[key].(string), strings.Split(path[i+1], "."))
				out, err := json.Marshal(doc)
				if err != nil {
					t.Fatal(err)
				}
				return out
			default:
				node = n[key]
			}
		case []any:
			idx := int(key[0] - '0')
			node = n[idx]
		default:
			t.Fatalf("nothing at %v", path[:i+1])
		}
	}
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func flipInBody(t *testing.T, b64 string, path []string) string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatal(err)
	}
	m := body
	for _, k := range path[:len(path)-1] {
		m = m[k].(map[string]any)
	}
	v := m[path[len(path)-1]].(string)
	c := byte('0')
	if v[0] == '0' {
		c = '1'
	}
	m[path[len(path)-1]] = string(c) + v[1:]
	out, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(out)
}

func flip(s string) string {
	i := len(s) / 2
	c := byte('A')
	if s[i] == 'A' {
		c = 'B'
	}
	return s[:i] + string(c) + s[i+1:]
}
