package eval

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/open-policy-agent/opa/v1/bundle"
)

// signatureKeyID is the key id gopolicy writes into bundle signatures and
// verifies against. Verification always uses the one key the user gave,
// whatever id a signature claims, so a signature cannot pick its key.
const signatureKeyID = "gopolicy"

// PublicKey is a key that --policy bundles must be signed with.
type PublicKey struct {
	pem       string
	algorithm string
	// Fingerprint is sha256 over the key's DER encoding, recorded in
	// decisions as who signed the bundle.
	Fingerprint string
}

// ParsePublicKey reads a PEM public key (or certificate): RSA, ECDSA
// (P-256, P-384, P-521) or Ed25519. The signature algorithm follows from
// the key, never from the signature, so a signature cannot choose a
// weaker algorithm.
func ParsePublicKey(data []byte) (*PublicKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("not a PEM public key")
	}
	var pub any
	var der []byte
	switch block.Type {
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse public key: %w", err)
		}
		pub, der = k, block.Bytes
	case "RSA PUBLIC KEY":
		k, err := x509.ParsePKCS1PublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse public key: %w", err)
		}
		pub = k
		der, _ = x509.MarshalPKIXPublicKey(k)
	case "CERTIFICATE":
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse certificate: %w", err)
		}
		pub, der = c.PublicKey, c.RawSubjectPublicKeyInfo
	default:
		if isPrivateKeyType(block.Type) {
			return nil, errors.New("this is a private key: give the public key (openssl pkey -in KEY -pubout)")
		}
		return nil, fmt.Errorf("PEM block %q is not a public key", block.Type)
	}
	alg, err := algorithmFor(pub)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(der)
	return &PublicKey{pem: string(data), algorithm: alg, Fingerprint: "sha256:" + hex.EncodeToString(sum[:])}, nil
}

func isPrivateKeyType(t string) bool {
	return t == "PRIVATE KEY" || t == "RSA PRIVATE KEY" || t == "EC PRIVATE KEY" || t == "ENCRYPTED PRIVATE KEY"
}

func (k *PublicKey) verificationConfig() *bundle.VerificationConfig {
	keys := map[string]*bundle.KeyConfig{signatureKeyID: {Key: k.pem, Algorithm: k.algorithm}}
	return bundle.NewVerificationConfig(keys, signatureKeyID, "", nil)
}

// privateKey reads a PEM private key for signing and returns the JWS
// algorithm its type implies.
func privateKey(data []byte) (string, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return "", errors.New("not a PEM private key")
	}
	var key any
	var err error
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	case "ENCRYPTED PRIVATE KEY":
		return "", errors.New("encrypted private keys are not supported: decrypt it for signing (openssl pkey -in KEY -out PLAIN)")
	default:
		return "", fmt.Errorf("PEM block %q is not a private key", block.Type)
	}
	if err != nil {
		return "", fmt.Errorf("parse private key: %w", err)
	}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		return algorithmFor(&k.PublicKey)
	case *ecdsa.PrivateKey:
		return algorithmFor(&k.PublicKey)
	case ed25519.PrivateKey:
		return algorithmFor(k.Public())
	}
	return "", fmt.Errorf("unsupported private key type %T", key)
}

func algorithmFor(pub any) (string, error) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return "", fmt.Errorf("RSA key of %d bits is too weak (want 2048 or more)", k.N.BitLen())
		}
		return "RS256", nil
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return "ES256", nil
		case elliptic.P384():
			return "ES384", nil
		case elliptic.P521():
			return "ES512", nil
		}
		return "", fmt.Errorf("unsupported ECDSA curve %s", k.Curve.Params().Name)
	case ed25519.PublicKey:
		return "EdDSA", nil
	}
	return "", fmt.Errorf("unsupported key type %T (want RSA, ECDSA or Ed25519)", pub)
}
