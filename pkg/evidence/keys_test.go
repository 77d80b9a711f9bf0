package evidence

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"strings"
	"testing"

	"github.com/secure-systems-lab/go-securesystemslib/encrypted"
)

// cosignKey writes a private key the way `cosign generate-key-pair`
// does: PKCS#8 DER, encrypted with the securesystemslib `encrypted`
// package (scrypt + NaCl secretbox), in an "ENCRYPTED SIGSTORE PRIVATE
// KEY" PEM block.
func cosignKey(t testing.TB, key any, password []byte) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := encrypted.Encrypt(der, password)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED SIGSTORE PRIVATE KEY", Bytes: enc})
}

func TestLoadCosignEncryptedKey(t *testing.T) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pemBytes := cosignKey(t, ec, []byte("correct horse"))
	k, err := LoadPrivateKey(pemBytes, []byte("correct horse"))
	if err != nil {
		t.Fatal(err)
	}
	if !ec.PublicKey.Equal(k.Public()) || k.Algorithm() != "ecdsa-p256" {
		t.Errorf("loaded %s key %v", k.Algorithm(), k.Public())
	}
	for _, wrong := range [][]byte{[]byte("battery staple"), nil} {
		if _, err := LoadPrivateKey(pemBytes, wrong); !errors.Is(err, ErrDecrypt) {
			t.Errorf("password %q: err %v, want ErrDecrypt", wrong, err)
		}
	}
	// cosign before v2 labelled the same format differently; an empty
	// password is allowed (cosign accepts it too).
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	old := strings.ReplaceAll(string(cosignKey(t, ed, nil)), "SIGSTORE", "COSIGN")
	k, err = LoadPrivateKey([]byte(old), nil)
	if err != nil || k.Algorithm() != "ed25519" {
		t.Fatalf("old cosign label: %v", err)
	}
	// The loaded key signs attestations that verify with its public key.
	b, err := Attest(context.Background(), AttestOptions{Subjects: []Subject{binSubject(t, "app", "app")}, Facts: testFacts(t), Key: k})
	if err != nil {
		t.Fatal(err)
	}
	mustVerify(t, b, VerifyOptions{PublicKeys: [][]byte{k.PublicKeyPEM()}, ArtifactDigest: shaHex("app")})
}

func TestLoadPrivateKeyFormats(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	p8 := func(k any) []byte {
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	}
	sec1, err := x509.MarshalECPrivateKey(ec)
	if err != nil {
		t.Fatal(err)
	}
	params := pem.EncodeToMemory(&pem.Block{Type: "EC PARAMETERS", Bytes: []byte{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07}})
	for name, c := range map[string]struct {
		pem  []byte
		want string
	}{
		"pkcs8 ecdsa":         {p8(ec), "ecdsa-p256"},
		"pkcs8 ed25519":       {p8(ed), "ed25519"},
		"sec1":                {pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1}), "ecdsa-p256"},
		"openssl ecparam out": {append(params, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1})...), "ecdsa-p256"},
	} {
		k, err := LoadPrivateKey(c.pem, []byte("ignored"))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if k.Algorithm() != c.want {
			t.Errorf("%s: algorithm %s", name, k.Algorithm())
		}
	}
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	for name, c := range map[string]struct {
		pem  []byte
		want string
	}{
		"p384":    {p8(p384), "P-384"},
		"rsa":     {p8(rsaKey), "want ECDSA P-256 or Ed25519"},
		"public":  {newECKey(t).PublicKeyPEM(), "unsupported PEM block \"PUBLIC KEY\""},
		"empty":   {nil, "no private key"},
		"garbage": {pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("x")}), "parsing PRIVATE KEY"},
	} {
		if _, err := LoadPrivateKey(c.pem, nil); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err %v, want %q", name, err, c.want)
		}
	}
}

// The fingerprint is "sha256:" + hex SHA-256 of the PKIX DER, the same
// digest that names a Rekor log by its key.
func TestFingerprint(t *testing.T) {
	k := newECKey(t)
	block, _ := pem.Decode(k.PublicKeyPEM())
	sum := sha256.Sum256(block.Bytes)
	if want := "sha256:" + hex.EncodeToString(sum[:]); k.Fingerprint() != want {
		t.Errorf("fingerprint %s, want %s", k.Fingerprint(), want)
	}
	pub, err := ParsePublicKey(k.PublicKeyPEM())
	if err != nil {
		t.Fatal(err)
	}
	if fp, _ := Fingerprint(pub); fp != k.Fingerprint() {
		t.Errorf("ParsePublicKey changed the fingerprint: %s", fp)
	}
	rk := newFakeRekor(t)
	lp, _ := ParsePublicKey(rk.publicKeyPEM())
	if fp, _ := Fingerprint(lp); fp != "sha256:"+rk.logID {
		t.Errorf("log key fingerprint %s, log ID %s", fp, rk.logID)
	}
	for _, bad := range [][]byte{nil, []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")} {
		if _, err := ParsePublicKey(bad); err == nil {
			t.Errorf("ParsePublicKey(%q) succeeded", bad)
		}
	}
}
