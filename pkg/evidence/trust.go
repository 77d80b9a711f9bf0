package evidence

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/options"
)

// Identity is one allowed keyless signer: the certificate's OIDC issuer
// and subject alternative name (SAN). Give the issuer exactly (Issuer) or
// as a regular expression (IssuerRegexp), and the same for the SAN.
// Regular expressions (RE2 syntax) must match the whole value: they are
// anchored at both ends.
type Identity struct {
	Issuer       string
	IssuerRegexp string
	SAN          string
	SANRegexp    string
}

func (id Identity) String() string {
	issuer := fmt.Sprintf("issuer %q", id.Issuer)
	if id.IssuerRegexp != "" {
		issuer = fmt.Sprintf("issuer ~ %q", id.IssuerRegexp)
	}
	san := fmt.Sprintf("SAN %q", id.SAN)
	if id.SANRegexp != "" {
		san = fmt.Sprintf("SAN ~ %q", id.SANRegexp)
	}
	return issuer + ", " + san
}

func anchor(re string) string {
	if re == "" {
		return ""
	}
	return "^(?:" + re + ")$"
}

func (id Identity) certificateIdentity() (verify.CertificateIdentity, error) {
	if (id.Issuer == "") == (id.IssuerRegexp == "") {
		return verify.CertificateIdentity{}, errors.New("give exactly one of Issuer and IssuerRegexp")
	}
	if (id.SAN == "") == (id.SANRegexp == "") {
		return verify.CertificateIdentity{}, errors.New("give exactly one of SAN and SANRegexp")
	}
	for _, re := range []string{id.IssuerRegexp, id.SANRegexp} {
		if _, err := regexp.Compile(anchor(re)); err != nil {
			return verify.CertificateIdentity{}, err
		}
	}
	return verify.NewShortCertificateIdentity(id.Issuer, anchor(id.IssuerRegexp), id.SAN, anchor(id.SANRegexp))
}

// pinnedKey is a signer public key the caller pinned.
type pinnedKey struct {
	pub         crypto.PublicKey
	der         []byte
	fingerprint string
	algorithm   string
}

// matchesHint reports whether a bundle's key hint names this key: our
// own "sha256:<hex>", bare hex, or base64 of the same digest (what
// sigstore-go and cosign write).
func (k *pinnedKey) matchesHint(hint string) bool {
	if hint == "" {
		return false
	}
	sum := sha256.Sum256(k.der)
	h := hex.EncodeToString(sum[:])
	switch strings.TrimSpace(hint) {
	case k.fingerprint, h, base64.StdEncoding.EncodeToString(sum[:]), base64.RawStdEncoding.EncodeToString(sum[:]), base64.URLEncoding.EncodeToString(sum[:]), base64.RawURLEncoding.EncodeToString(sum[:]):
		return true
	}
	return false
}

// trust is the parsed, pinned trust material of one verification.
type trust struct {
	root   *root.TrustedRoot
	logs   map[string]*root.TransparencyLog
	keys   []*pinnedKey
	ids    []verify.CertificateIdentity
	rootTM root.TrustedMaterial // root, or empty material
}

func newTrust(opts VerifyOptions) (*trust, error) {
	t := &trust{logs: map[string]*root.TransparencyLog{}, rootTM: &root.BaseTrustedMaterial{}}
	if len(opts.TrustedRoot) > 0 {
		tr, err := root.NewTrustedRootFromJSON(opts.TrustedRoot)
		if err != nil {
			return nil, fmt.Errorf("trusted root: %w", err)
		}
		t.root = tr
		t.rootTM = tr
		for id, l := range tr.RekorLogs() {
			t.logs[id] = l
		}
	}
	for i, p := range opts.LogPublicKeys {
		pub, err := ParsePublicKey(p)
		if err != nil {
			return nil, fmt.Errorf("log public key %d: %w", i+1, err)
		}
		if _, ok := pub.(*ecdsa.PublicKey); !ok {
			return nil, fmt.Errorf("log public key %d: a Rekor v1 log signs with ECDSA, not %s", i+1, KeyAlgorithm(pub))
		}
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			return nil, fmt.Errorf("log public key %d: %w", i+1, err)
		}
		sum := sha256.Sum256(der)
		id := hex.EncodeToString(sum[:])
		if _, dup := t.logs[id]; dup {
			continue // the trusted root already has it, with its validity period
		}
		t.logs[id] = &root.TransparencyLog{
			ID: sum[:],
			// A pinned key has no validity period; the SET check
			// needs a start, and the log cannot predate the epoch.
			ValidityPeriodStart: time.Unix(0, 0).UTC(),
			HashFunc:            crypto.SHA256,
			PublicKey:           pub,
			SignatureHashFunc:   crypto.SHA256,
		}
	}
	for i, p := range opts.PublicKeys {
		pub, err := ParsePublicKey(p)
		if err != nil {
			return nil, fmt.Errorf("public key %d: %w", i+1, err)
		}
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			return nil, fmt.Errorf("public key %d: %w", i+1, err)
		}
		fp, _ := Fingerprint(pub)
		t.keys = append(t.keys, &pinnedKey{pub: pub, der: der, fingerprint: fp, algorithm: KeyAlgorithm(pub)})
	}
	for i, id := range opts.Identities {
		ci, err := id.certificateIdentity()
		if err != nil {
			return nil, fmt.Errorf("identity %d (%s): %w", i+1, id, err)
		}
		t.ids = append(t.ids, ci)
	}
	for _, fp := range opts.KeyFingerprints {
		if !strings.HasPrefix(fp, "sha256:") || len(fp) != len("sha256:")+64 {
			return nil, fmt.Errorf("key fingerprint %q is not sha256:<64 hex characters>", fp)
		}
	}
	if t.root == nil && len(t.keys) == 0 {
		return nil, errors.New("no trust material: give a trusted root and/or pinned public keys")
	}
	return t, nil
}

func (t *trust) describe() string {
	var parts []string
	if t.root != nil {
		parts = append(parts, fmt.Sprintf("trusted root (%d Fulcio CAs, %d timestamp authorities, %d CT logs)",
			len(t.root.FulcioCertificateAuthorities()), len(t.root.TimestampingAuthorities()), len(t.root.CTLogs())))
	}
	parts = append(parts, fmt.Sprintf("%d Rekor log keys", len(t.logs)))
	parts = append(parts, fmt.Sprintf("%d pinned public keys", len(t.keys)))
	return strings.Join(parts, ", ")
}

// material is the root.TrustedMaterial handed to sigstore-go: the
// trusted root's CAs, TSAs and CT logs, the merged Rekor log keys, and at
// most one pinned signer key (the one the bundle was found to be signed
// with).
type material struct {
	t   *trust
	key signature.Verifier
}

var _ root.TrustedMaterial = (*material)(nil)

func (t *trust) material(k *pinnedKey, messageSignature bool) (*material, error) {
	m := &material{t: t}
	if k != nil {
		var opts []signature.LoadOption
		if _, ok := k.pub.(ed25519.PublicKey); ok && messageSignature {
			// hashedrekord signatures with Ed25519 keys are Ed25519ph.
			opts = append(opts, options.WithED25519ph())
		}
		v, err := signature.LoadDefaultVerifier(k.pub, opts...)
		if err != nil {
			return nil, err
		}
		m.key = v
	}
	return m, nil
}

func (m *material) TimestampingAuthorities() []root.TimestampingAuthority {
	return m.t.rootTM.TimestampingAuthorities()
}

func (m *material) FulcioCertificateAuthorities() []root.CertificateAuthority {
	return m.t.rootTM.FulcioCertificateAuthorities()
}

func (m *material) RekorLogs() map[string]*root.TransparencyLog { return m.t.logs }

func (m *material) CTLogs() map[string]*root.TransparencyLog { return m.t.rootTM.CTLogs() }

// PublicKeyVerifier returns the selected pinned key whatever the hint:
// the key was selected before (by hint, or by the signature verifying).
// A pinned key has no validity period.
func (m *material) PublicKeyVerifier(string) (root.TimeConstrainedVerifier, error) {
	if m.key == nil {
		return nil, errors.New("no pinned public key for this bundle")
	}
	return root.NewExpiringKey(m.key, time.Time{}, time.Time{}), nil
}
