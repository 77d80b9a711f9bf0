package evidence

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	ssldsse "github.com/secure-systems-lab/go-securesystemslib/dsse"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/tlog"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// Rekor API versions (AttestOptions.RekorVersion).
const (
	// RekorV1 is the Rekor v1 API (rekor-server, trillian): entries come
	// back with a signed entry timestamp (SET) and an integrated time.
	RekorV1 = 1
	// RekorV2 is the Rekor v2 API (rekor-tiles): entries come back with
	// an inclusion proof and a signed checkpoint only. There is no SET
	// and no integrated time, so a v2 entry proves that a signature was
	// logged, not when.
	RekorV2 = 2
)

// maxRekorResponse bounds what is read from a log's answer.
const maxRekorResponse = 10 << 20

// rekorV2Writer adds hashedrekord entries to a Rekor v2 log. sigstore-go
// builds the request; this client sends it, because sigstore-go's own
// client neither applies the caller's timeout nor retries.
type rekorV2Writer struct {
	endpoint string
	client   *http.Client
	retries  uint
}

func newRekorV2Writer(baseURL string, timeout time.Duration, retries uint) (*rekorV2Writer, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("rekor v2: %q is not an http(s) URL", baseURL)
	}
	return &rekorV2Writer{
		endpoint: u.JoinPath("api", "v2", "log", "entries").String(),
		client:   &http.Client{Timeout: timeout},
		retries:  retries,
	}, nil
}

// Add implements sign.RekorV2Client.
func (w *rekorV2Writer) Add(ctx context.Context, entry any) (*protorekor.TransparencyLogEntry, error) {
	m, ok := entry.(proto.Message)
	if !ok || m.ProtoReflect().Descriptor().Name() != "HashedRekordRequestV002" {
		return nil, fmt.Errorf("rekor v2: cannot log a %T: only hashedrekord v0.0.2 entries are supported", entry)
	}
	spec, err := protojson.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("rekor v2: encoding the entry: %w", err)
	}
	// The request is a CreateEntryRequest whose oneof holds the spec.
	body := fmt.Appendf(nil, `{"hashedRekordRequestV002":%s}`, spec)
	for attempt := uint(0); ; attempt++ {
		tle, retry, err := w.post(ctx, body)
		if err == nil {
			return tle, nil
		}
		if !retry || attempt >= w.retries || ctx.Err() != nil {
			if attempt > 0 {
				err = fmt.Errorf("%w (after %d attempts)", err, attempt+1)
			}
			return nil, networkCause(ctx, err)
		}
		wait := min(200*time.Millisecond<<attempt, 5*time.Second)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return nil, networkCause(ctx, err)
		}
	}
}

// post sends one request and says whether a failure is worth retrying.
func (w *rekorV2Writer) post(ctx context.Context, body []byte) (*protorekor.TransparencyLogEntry, bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, false, fmt.Errorf("rekor v2 %s: %w", w.endpoint, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "gopolicy-evidence")
	resp, err := w.client.Do(req)
	if err != nil {
		return nil, true, fmt.Errorf("rekor v2 %s: %w", w.endpoint, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxRekorResponse))
	if err != nil {
		return nil, true, fmt.Errorf("rekor v2 %s: reading the answer: %w", w.endpoint, err)
	}
	switch {
	case resp.StatusCode == http.StatusCreated || resp.StatusCode == http.StatusOK:
	case resp.StatusCode == http.StatusConflict:
		// The same signature was logged before, perhaps by an attempt
		// whose answer was lost. Its proof could only be rebuilt from the
		// log's tiles, which needs the log's key; signing again gives a
		// new entry.
		return nil, false, fmt.Errorf("rekor v2 %s: the log already has this signature (index %s): attest again to log a new signature",
			w.endpoint, resp.Header.Get("X-Log-Index"))
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return nil, true, fmt.Errorf("rekor v2 %s: HTTP %d: %s", w.endpoint, resp.StatusCode, short(data))
	default:
		return nil, false, fmt.Errorf("rekor v2 %s: HTTP %d: %s", w.endpoint, resp.StatusCode, short(data))
	}
	tle := &protorekor.TransparencyLogEntry{}
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(data, tle); err != nil {
		return nil, false, fmt.Errorf("rekor v2 %s: the answer is not a transparency log entry: %w", w.endpoint, err)
	}
	if tle.GetInclusionProof().GetCheckpoint().GetEnvelope() == "" || len(tle.GetCanonicalizedBody()) == 0 || tle.GetLogId() == nil {
		return nil, false, fmt.Errorf("rekor v2 %s: the answer lacks the entry body, log ID, inclusion proof or checkpoint", w.endpoint)
	}
	return tle, false, nil
}

func short(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	if s == "" {
		s = "(no message)"
	}
	return s
}

// checkpoint is a log's signed tree head in the C2SP checkpoint format.
type checkpoint struct {
	origin string
	size   uint64
	root   []byte
}

// logOrigin is the checkpoint origin a Rekor v2 log must use: the host of
// its base URL in the trusted root, the rule sigstore-go applies.
func logOrigin(tl *root.TransparencyLog) (string, error) {
	u, err := url.Parse(tl.BaseURL)
	if err != nil || u.Hostname() == "" {
		return "", fmt.Errorf("the trusted root gives the log no base URL (%q) whose host names its checkpoint origin", tl.BaseURL)
	}
	return u.Hostname(), nil
}

// checkpointVerifier is a signed-note verifier for a log key, with the
// key hashes rekor-tiles uses (Ed25519 as in the C2SP spec; ECDSA and RSA
// its own way).
type checkpointVerifier struct {
	name string
	hash uint32
	v    signature.Verifier
}

func (c *checkpointVerifier) Name() string    { return c.name }
func (c *checkpointVerifier) KeyHash() uint32 { return c.hash }
func (c *checkpointVerifier) Verify(msg, sig []byte) bool {
	return c.v.VerifySignature(bytes.NewReader(sig), bytes.NewReader(msg)) == nil
}

func newCheckpointVerifier(origin string, tl *root.TransparencyLog) (*checkpointVerifier, error) {
	hf := tl.SignatureHashFunc
	if hf == 0 {
		hf = crypto.SHA256
	}
	v, err := signature.LoadVerifier(tl.PublicKey, hf)
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	switch k := tl.PublicKey.(type) {
	case ed25519.PublicKey:
		h.Write([]byte(origin + "\n\x01"))
		h.Write(k)
	case *ecdsa.PublicKey:
		der, err := x509.MarshalPKIXPublicKey(k)
		if err != nil {
			return nil, err
		}
		h.Write(der)
	case *rsa.PublicKey:
		der, err := x509.MarshalPKIXPublicKey(k)
		if err != nil {
			return nil, err
		}
		h.Write([]byte(origin + "\n\xffPKIX-RSA-PKCS#1v1.5"))
		h.Write(der)
	default:
		return nil, fmt.Errorf("unsupported log key %T", tl.PublicKey)
	}
	return &checkpointVerifier{name: origin, hash: binary.BigEndian.Uint32(h.Sum(nil)), v: v}, nil
}

// openCheckpoint verifies a checkpoint's signature by the log and parses
// it.
func openCheckpoint(envelope, origin string, tl *root.TransparencyLog) (checkpoint, error) {
	first, _, _ := strings.Cut(envelope, "\n")
	if first != origin {
		return checkpoint{}, fmt.Errorf("origin %q is not %q, the host of the log's base URL %s in the trusted root", first, origin, tl.BaseURL)
	}
	cv, err := newCheckpointVerifier(origin, tl)
	if err != nil {
		return checkpoint{}, err
	}
	n, err := note.Open([]byte(envelope), note.VerifierList(cv))
	if err != nil {
		return checkpoint{}, fmt.Errorf("not signed by the pinned log key: %w", err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 {
		return checkpoint{}, errors.New("malformed: fewer than three lines")
	}
	size, err := strconv.ParseUint(lines[1], 10, 64)
	if err != nil {
		return checkpoint{}, fmt.Errorf("malformed tree size: %w", err)
	}
	rootHash, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(rootHash) != sha256.Size {
		return checkpoint{}, errors.New("malformed root hash")
	}
	return checkpoint{origin: lines[0], size: size, root: rootHash}, nil
}

// checkV2Entry verifies a Rekor v2 entry offline against its log: the
// signed checkpoint, the inclusion proof of the entry body up to that
// checkpoint, and that the body logs this bundle's signature, signer and
// content. Each problem is named by the part that failed.
func (v *verification) checkV2Entry(e *tlog.Entry, tl *root.TransparencyLog) []string {
	tle := e.TransparencyLogEntry()
	ip := tle.GetInclusionProof()
	var problems []string
	origin, err := logOrigin(tl)
	if err != nil {
		return []string{"checkpoint: " + err.Error()}
	}
	cp, err := openCheckpoint(ip.GetCheckpoint().GetEnvelope(), origin, tl)
	if err != nil {
		problems = append(problems, "checkpoint: "+err.Error())
	} else {
		switch {
		case ip.GetLogIndex() != tle.GetLogIndex():
			problems = append(problems, fmt.Sprintf("inclusion proof: for index %d, not the entry's %d", ip.GetLogIndex(), tle.GetLogIndex()))
		case uint64(ip.GetTreeSize()) != cp.size || !bytes.Equal(ip.GetRootHash(), cp.root):
			problems = append(problems, fmt.Sprintf("inclusion proof: tree size %d and root hash %x are not the signed checkpoint's (%d, %x)",
				ip.GetTreeSize(), ip.GetRootHash(), cp.size, cp.root))
		case tle.GetLogIndex() < 0:
			problems = append(problems, "inclusion proof: negative log index")
		default:
			leaf := rfc6962.DefaultHasher.HashLeaf(tle.GetCanonicalizedBody())
			if err := proof.VerifyInclusion(rfc6962.DefaultHasher, uint64(tle.GetLogIndex()), cp.size, leaf, ip.GetHashes(), cp.root); err != nil {
				problems = append(problems, "inclusion proof: the entry body is not in the tree the checkpoint signs: "+err.Error())
			}
		}
	}
	if err := v.matchV2Body(e); err != nil {
		problems = append(problems, "entry body: "+err.Error())
	}
	return problems
}

// matchV2Body checks that a Rekor v2 hashedrekord entry logs this
// bundle: the same signature, by the same key or certificate, over the
// same digest (for DSSE, the digest of the envelope's pre-authentication
// encoding, which is what Rekor v2 logs for an envelope).
func (v *verification) matchV2Body(e *tlog.Entry) error {
	if !bytes.Equal(e.Signature(), v.sigContent.Signature()) {
		return errors.New("the logged signature is not the bundle's")
	}
	switch pub := e.PublicKey().(type) {
	case *x509.Certificate:
		if v.cert == nil || !bytes.Equal(pub.Raw, v.cert.Raw) {
			return errors.New("the logged certificate is not the bundle's signing certificate")
		}
	case nil:
		return errors.New("the entry names no readable key or certificate")
	default:
		eq, ok := pub.(interface{ Equal(crypto.PublicKey) bool })
		switch {
		case v.key != nil:
			if !ok || !eq.Equal(v.key.pub) {
				return fmt.Errorf("the logged key is not the signer's pinned key %s", v.key.fingerprint)
			}
		case v.cert != nil:
			return errors.New("the entry logs a public key, but the bundle is signed with a certificate")
		default:
			return errors.New("no signer to compare the logged key with")
		}
	}
	got, alg, ok := e.GetHashedRekordDigest()
	if !ok {
		return errors.New("the entry holds no digest")
	}
	var hf crypto.Hash
	switch hashName(alg) {
	case "sha256":
		hf = crypto.SHA256
	case "sha384":
		hf = crypto.SHA384
	case "sha512":
		hf = crypto.SHA512
	default:
		return fmt.Errorf("unsupported digest algorithm %s", alg)
	}
	var want []byte
	if v.msg != nil {
		want = v.msg.Digest()
	} else {
		env := v.sigContent.EnvelopeContent().RawEnvelope()
		payload, err := base64.StdEncoding.DecodeString(env.Payload)
		if err != nil {
			return fmt.Errorf("envelope payload: %w", err)
		}
		h := hf.New()
		h.Write(ssldsse.PAE(env.PayloadType, payload))
		want = h.Sum(nil)
	}
	if !bytes.Equal(got, want) {
		return fmt.Errorf("the logged digest %x is not the bundle's %x", got, want)
	}
	return nil
}
