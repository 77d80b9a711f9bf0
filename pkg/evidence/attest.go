package evidence

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sigstore/sigstore-go/pkg/sign"
	"google.golang.org/protobuf/encoding/protojson"
)

// DefaultNetworkTimeout bounds one request to a Rekor log or a timestamp
// authority when the context has no deadline.
const DefaultNetworkTimeout = 60 * time.Second

// AttestOptions says what Attest signs and where it logs it.
type AttestOptions struct {
	// Subjects are the binaries (BinarySubject, FileSubject) and
	// optionally an image (ImageSubject) the facts are about; at least
	// one.
	Subjects []Subject
	// Facts is the facts document, a JSON object; it becomes the
	// statement's predicate.
	Facts []byte
	// Key signs the statement.
	Key *PrivateKey
	// Certificate optionally is a PEM or DER certificate for Key (for
	// example one a private CA issued); the bundle then carries it, and
	// verifiers check it against their trusted root, instead of a key
	// hint checked against pinned keys.
	Certificate []byte
	// RekorURL is a Rekor log (e.g. https://rekor.sigstore.dev) that
	// logs the signature. Empty: the bundle has no log entry.
	//
	// With RekorVersion 1 the envelope is uploaded as a dsse entry, and
	// the entry with its inclusion proof, checkpoint and SET goes into the
	// bundle. With RekorVersion 2 (rekor-tiles) the signature is uploaded
	// as a hashedrekord v0.0.2 entry over the digest of the envelope's
	// pre-authentication encoding, and the entry with its inclusion proof
	// and signed checkpoint goes into the bundle; Rekor v2 gives no SET
	// and no integrated time.
	RekorURL string
	// RekorVersion is the API version of RekorURL: RekorV1 (also when
	// zero) or RekorV2. Rekor v2 logs only prehashed signatures, so it
	// takes ECDSA keys, not Ed25519 (which signs the envelope itself);
	// and since it gives no signed time, a Certificate, valid only for
	// minutes, needs TSAURL with it.
	RekorVersion int
	// TSAURL is an RFC 3161 timestamp authority endpoint (full URL with
	// path). Empty: no signed timestamp.
	TSAURL string
	// Retries is how often a failed request to the log or the timestamp
	// authority is retried.
	Retries uint
}

// Attest signs the facts as an in-toto statement in a DSSE envelope and
// returns a Sigstore bundle v0.3 (JSON). Network calls (RekorURL,
// TSAURL) are bounded by ctx, or DefaultNetworkTimeout each when ctx has
// no deadline.
func Attest(ctx context.Context, opts AttestOptions) ([]byte, error) {
	if opts.Key == nil {
		return nil, errors.New("evidence: Attest needs a key")
	}
	if opts.RekorVersion != 0 && opts.RekorVersion != RekorV1 && opts.RekorVersion != RekorV2 {
		return nil, fmt.Errorf("evidence: Rekor API version %d: want %d or %d", opts.RekorVersion, RekorV1, RekorV2)
	}
	st, err := Statement(opts.Subjects, opts.Facts)
	if err != nil {
		return nil, err
	}
	payload, err := protojson.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("evidence: encoding statement: %w", err)
	}
	timeout := DefaultNetworkTimeout
	if dl, ok := ctx.Deadline(); ok {
		timeout = time.Until(dl)
		if timeout <= 0 {
			return nil, fmt.Errorf("evidence: %w", context.DeadlineExceeded)
		}
	}
	bo := sign.BundleOptions{Context: ctx}
	if len(opts.Certificate) > 0 {
		der, err := certificateDER(opts.Certificate)
		if err != nil {
			return nil, err
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, fmt.Errorf("evidence: certificate: %w", err)
		}
		if !opts.Key.equalPublic(cert.PublicKey) {
			return nil, errors.New("evidence: the certificate is not for the signing key")
		}
		bo.CertificateProvider = fixedCertificate(der)
	}
	if opts.TSAURL != "" {
		bo.TimestampAuthorities = append(bo.TimestampAuthorities, sign.NewTimestampAuthority(&sign.TimestampAuthorityOptions{
			URL:     opts.TSAURL,
			Timeout: timeout,
			Retries: opts.Retries,
		}))
	}
	if opts.RekorURL != "" {
		switch opts.RekorVersion {
		case 0, RekorV1:
			bo.TransparencyLogs = append(bo.TransparencyLogs, sign.NewRekor(&sign.RekorOptions{
				BaseURL: strings.TrimRight(opts.RekorURL, "/"),
				Timeout: timeout,
				Retries: opts.Retries,
				Version: RekorV1,
			}))
		case RekorV2:
			if opts.Key.details.GetHashType() == crypto.Hash(0) {
				return nil, fmt.Errorf("evidence: Rekor v2 logs only prehashed signatures, and a %s key signs the envelope itself: use an ECDSA key, or Rekor v1", opts.Key.Algorithm())
			}
			if len(opts.Certificate) > 0 && opts.TSAURL == "" {
				return nil, errors.New("evidence: a certificate-signed attestation logged in Rekor v2 needs a timestamp authority (TSAURL): Rekor v2 gives no signed time, and the certificate is only valid at one")
			}
			w, err := newRekorV2Writer(opts.RekorURL, timeout, opts.Retries)
			if err != nil {
				return nil, fmt.Errorf("evidence: %w", err)
			}
			bo.TransparencyLogs = append(bo.TransparencyLogs, sign.NewRekor(&sign.RekorOptions{
				BaseURL:  w.endpoint,
				Timeout:  timeout,
				Retries:  opts.Retries,
				ClientV2: w,
				Version:  RekorV2,
			}))
		}
	}
	b, err := sign.Bundle(&sign.DSSEData{Data: payload, PayloadType: InTotoPayloadType}, keypair{opts.Key}, bo)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("evidence: signing the attestation: %w (%v)", ctx.Err(), err)
		}
		return nil, fmt.Errorf("evidence: signing the attestation: %w", err)
	}
	out, err := protojson.Marshal(b)
	if err != nil {
		return nil, fmt.Errorf("evidence: encoding bundle: %w", err)
	}
	return out, nil
}

func (k *PrivateKey) equalPublic(pub crypto.PublicKey) bool {
	e, ok := k.signer.Public().(interface{ Equal(crypto.PublicKey) bool })
	return ok && e.Equal(pub)
}

// certificateDER accepts a PEM CERTIFICATE block or DER.
func certificateDER(b []byte) ([]byte, error) {
	if block, _ := pem.Decode(b); block != nil {
		if block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("evidence: PEM block %q is not a CERTIFICATE", block.Type)
		}
		return block.Bytes, nil
	}
	return b, nil
}

// fixedCertificate is a sign.CertificateProvider that hands out a
// certificate obtained beforehand.
type fixedCertificate []byte

func (c fixedCertificate) GetCertificate(context.Context, sign.Keypair, *sign.CertificateProviderOptions) ([]byte, error) {
	return c, nil
}
