package evidence

import (
	"context"
	"crypto"
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
	"fmt"

	"github.com/secure-systems-lab/go-securesystemslib/encrypted"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	"github.com/sigstore/sigstore-go/pkg/sign"
	"github.com/sigstore/sigstore/pkg/signature"
)

// PEM block types of the private keys LoadPrivateKey reads.
const (
	pemPKCS8           = "PRIVATE KEY"
	pemEC              = "EC PRIVATE KEY"
	pemEncryptedCosign = "ENCRYPTED SIGSTORE PRIVATE KEY"
	// cosign before v2 wrote this label for the same format.
	pemEncryptedCosignOld = "ENCRYPTED COSIGN PRIVATE KEY"
	pemPublicKey          = "PUBLIC KEY"
)

// ErrDecrypt is returned for an encrypted key that the password does not
// open.
var ErrDecrypt = errors.New("cannot decrypt the private key: wrong password, or a damaged key")

// PrivateKey is a signing key: ECDSA P-256 or Ed25519.
type PrivateKey struct {
	signer      crypto.Signer
	details     signature.AlgorithmDetails
	fingerprint string
}

// LoadPrivateKey reads a private key from PEM: PKCS#8 ("PRIVATE KEY",
// ECDSA P-256 or Ed25519), SEC 1 ("EC PRIVATE KEY", P-256), or cosign's
// encrypted format ("ENCRYPTED SIGSTORE PRIVATE KEY": scrypt and
// NaCl secretbox around PKCS#8, as written by `cosign generate-key-pair`),
// which password opens. password is ignored for unencrypted keys.
func LoadPrivateKey(pemBytes, password []byte) (*PrivateKey, error) {
	rest := pemBytes
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, errors.New("evidence: no private key PEM block found")
		}
		var key any
		var err error
		switch block.Type {
		case pemPKCS8:
			key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		case pemEC:
			key, err = x509.ParseECPrivateKey(block.Bytes)
		case pemEncryptedCosign, pemEncryptedCosignOld:
			der, derr := encrypted.Decrypt(block.Bytes, password)
			if derr != nil {
				return nil, fmt.Errorf("evidence: %w (%v)", ErrDecrypt, derr)
			}
			key, err = x509.ParsePKCS8PrivateKey(der)
		case "EC PARAMETERS":
			continue // openssl ecparam -genkey writes these first
		default:
			return nil, fmt.Errorf("evidence: unsupported PEM block %q (want PRIVATE KEY, EC PRIVATE KEY or %s)", block.Type, pemEncryptedCosign)
		}
		if err != nil {
			return nil, fmt.Errorf("evidence: parsing %s: %w", block.Type, err)
		}
		s, ok := key.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("evidence: unsupported private key type %T", key)
		}
		return NewPrivateKey(s)
	}
}

// NewPrivateKey wraps a signer holding an ECDSA P-256 or Ed25519 key
// (for example a key generated in memory, or a hardware key).
func NewPrivateKey(s crypto.Signer) (*PrivateKey, error) {
	var alg protocommon.PublicKeyDetails
	switch pub := s.Public().(type) {
	case *ecdsa.PublicKey:
		if pub.Curve != elliptic.P256() {
			return nil, fmt.Errorf("evidence: unsupported ECDSA curve %s (want P-256)", pub.Curve.Params().Name)
		}
		alg = protocommon.PublicKeyDetails_PKIX_ECDSA_P256_SHA_256
	case ed25519.PublicKey:
		alg = protocommon.PublicKeyDetails_PKIX_ED25519
	default:
		return nil, fmt.Errorf("evidence: unsupported signing key type %T (want ECDSA P-256 or Ed25519)", pub)
	}
	details, err := signature.GetAlgorithmDetails(alg)
	if err != nil {
		return nil, fmt.Errorf("evidence: %w", err)
	}
	fp, err := Fingerprint(s.Public())
	if err != nil {
		return nil, err
	}
	return &PrivateKey{signer: s, details: details, fingerprint: fp}, nil
}

// Public returns the public key.
func (k *PrivateKey) Public() crypto.PublicKey { return k.signer.Public() }

// Fingerprint returns the public key's fingerprint (see Fingerprint).
func (k *PrivateKey) Fingerprint() string { return k.fingerprint }

// Algorithm returns ecdsa-p256 or ed25519.
func (k *PrivateKey) Algorithm() string { return KeyAlgorithm(k.signer.Public()) }

// PublicKeyPEM returns the public key as a PKIX "PUBLIC KEY" PEM block,
// the form VerifyOptions.PublicKeys pins.
func (k *PrivateKey) PublicKeyPEM() []byte {
	der, err := x509.MarshalPKIXPublicKey(k.signer.Public())
	if err != nil { // cannot happen for the key types NewPrivateKey accepts
		panic(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemPublicKey, Bytes: der})
}

// Fingerprint identifies a public key: "sha256:" followed by the hex
// SHA-256 of the key's PKIX (SubjectPublicKeyInfo) DER encoding. The same
// bytes identify a Rekor log by its key (the log ID).
func Fingerprint(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("evidence: %w", err)
	}
	sum := sha256.Sum256(der)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

// KeyAlgorithm names a public key's algorithm: ecdsa-p256, ecdsa-p384,
// ecdsa-p521, ed25519, rsa-<bits>, or unknown.
func KeyAlgorithm(pub crypto.PublicKey) string {
	switch p := pub.(type) {
	case *ecdsa.PublicKey:
		switch p.Curve {
		case elliptic.P256():
			return "ecdsa-p256"
		case elliptic.P384():
			return "ecdsa-p384"
		case elliptic.P521():
			return "ecdsa-p521"
		}
		return "ecdsa"
	case ed25519.PublicKey:
		return "ed25519"
	case *rsa.PublicKey:
		return fmt.Sprintf("rsa-%d", p.N.BitLen())
	}
	return "unknown"
}

// ParsePublicKey reads a PKIX "PUBLIC KEY" PEM block (as written by
// `cosign generate-key-pair` or `openssl pkey -pubout`): ECDSA, Ed25519
// or RSA.
func ParsePublicKey(pemBytes []byte) (crypto.PublicKey, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, errors.New("evidence: no PEM block found in public key")
	}
	if block.Type != pemPublicKey {
		return nil, fmt.Errorf("evidence: PEM block %q is not a PUBLIC KEY", block.Type)
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("evidence: parsing public key: %w", err)
	}
	switch pub.(type) {
	case *ecdsa.PublicKey, ed25519.PublicKey, *rsa.PublicKey:
		return pub, nil
	}
	return nil, fmt.Errorf("evidence: unsupported public key type %T", pub)
}

// keypair adapts a PrivateKey to sigstore-go's sign.Keypair.
type keypair struct{ k *PrivateKey }

var _ sign.Keypair = keypair{}

func (p keypair) GetHashAlgorithm() protocommon.HashAlgorithm {
	return p.k.details.GetProtoHashType()
}

func (p keypair) GetSigningAlgorithm() protocommon.PublicKeyDetails {
	return p.k.details.GetSignatureAlgorithm()
}

// GetHint is the key's fingerprint, so that a verifier holding several
// pinned keys finds the right one at once.
func (p keypair) GetHint() []byte { return []byte(p.k.fingerprint) }

func (p keypair) GetKeyAlgorithm() string {
	switch p.k.details.GetKeyType() {
	case signature.ECDSA:
		return "ECDSA"
	case signature.ED25519:
		return "ED25519"
	}
	return ""
}

func (p keypair) GetPublicKey() crypto.PublicKey { return p.k.signer.Public() }

func (p keypair) GetPublicKeyPem() (string, error) { return string(p.k.PublicKeyPEM()), nil }

// SignData signs data: ECDSA signs its SHA-256 digest, Ed25519 signs the
// data itself (pure Ed25519, as DSSE verifiers expect). It returns the
// signature and what was signed.
func (p keypair) SignData(ctx context.Context, data []byte) ([]byte, []byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	hf := p.k.details.GetHashType()
	toSign := data
	if hf != crypto.Hash(0) {
		h := hf.New()
		h.Write(data)
		toSign = h.Sum(nil)
	}
	sig, err := p.k.signer.Sign(rand.Reader, toSign, hf)
	if err != nil {
		return nil, nil, fmt.Errorf("evidence: signing: %w", err)
	}
	return sig, toSign, nil
}
