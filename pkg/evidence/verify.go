package evidence

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"strings"
	"time"

	intoto "github.com/in-toto/attestation/go/v1"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/tlog"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/gopolicy/gopolicy/pkg/facts"
)

// MaxBundleSize is the largest bundle Verify reads.
const MaxBundleSize = 32 << 20

// Verification step names, in the order they run.
const (
	StepParse       = "parse"       // the bundle is a well-formed Sigstore bundle v0.1–v0.3
	StepTrust       = "trust"       // the pinned trust material loads
	StepSigner      = "signer"      // who signed: a certificate, or a pinned key
	StepTlog        = "tlog"        // transparency-log entries: SET, inclusion proof, checkpoint
	StepTimestamps  = "timestamps"  // verified times: log integrated times, RFC 3161
	StepCertificate = "certificate" // the certificate chains to a pinned CA at those times; SCTs
	StepSignature   = "signature"   // the signature over the envelope or the message digest
	StepStatement   = "statement"   // the envelope holds an in-toto statement
	StepArtifact    = "artifact"    // a subject (or the message digest) is the binary judged
	StepIdentity    = "identity"    // the signer is on the allow-list
	StepSigstore    = "sigstore"    // sigstore-go's own verifier agrees, with the same policy
)

// Content kinds of a bundle.
const (
	ContentDSSE             = "dsse"
	ContentMessageSignature = "message_signature"
)

// ErrNotVerified wraps every error Verify returns for a bundle that did
// not verify (as opposed to a cancelled context).
var ErrNotVerified = errors.New("bundle not verified")

// VerifyOptions is the pinned trust material and the policy a bundle is
// verified against. Nothing is fetched: verification is offline.
type VerifyOptions struct {
	// TrustedRoot is the content of a trusted_root.json (Sigstore
	// TrustedRoot: Fulcio CAs, Rekor log keys, CT logs, timestamp
	// authorities). Needed for keyless (certificate) bundles.
	TrustedRoot []byte
	// PublicKeys are pinned signer public keys (PKIX PEM). A key-signed
	// bundle verifies only with one of them.
	PublicKeys [][]byte
	// LogPublicKeys are public keys (PKIX PEM) of Rekor v1 logs that are
	// not in the trusted root, such as a private log.
	LogPublicKeys [][]byte

	// Identities is the allow-list for certificate signers; a
	// certificate-signed bundle fails without one.
	Identities []Identity
	// KeyFingerprints restricts key signers to these fingerprints
	// ("sha256:<hex>", see Fingerprint); empty allows every pinned key.
	KeyFingerprints []string

	// ArtifactDigest is the digest of the binary judged: "sha256:<hex>"
	// (or bare hex for SHA-256; sha384 and sha512 are accepted too). A
	// statement subject, or the message digest, must equal it.
	ArtifactDigest string
	// AllowUnboundArtifact lets a bundle verify without ArtifactDigest
	// (the artifact step is then skipped). The bundle then proves only
	// that someone trusted signed something.
	AllowUnboundArtifact bool
	// PredicateType, when set, is required of a DSSE bundle's statement
	// (FactsPredicateType for gopolicy attestations).
	PredicateType string

	// TlogEntries is the minimum number of verified transparency-log
	// entries (each from a distinct log). When zero, a bundle that
	// carries entries from a pinned log must still have one that
	// verifies, and entries from unknown logs are noted and ignored.
	TlogEntries int
	// ObserverTimestamps is the minimum number of verified timestamps
	// of any kind: a log's integrated time backed by a verified SET, or
	// an RFC 3161 timestamp. A certificate-signed bundle needs at least
	// one whatever this says: its certificate is only valid for minutes.
	ObserverTimestamps int
	// SignedTimestamps is the minimum number of verified RFC 3161
	// timestamps from timestamp authorities in the trusted root.
	SignedTimestamps int
	// SCTs is the minimum number of verified certificate-transparency
	// timestamps in the signing certificate (public-good Fulcio
	// certificates have one).
	SCTs int
}

// Result is what verifying a bundle established. Steps records every
// step with its outcome; the other fields are what was read from the
// bundle, and count as verified facts only when Verified is true.
type Result struct {
	// Verified is true only when every step passed (or did not apply).
	Verified  bool
	MediaType string
	// Content is ContentDSSE or ContentMessageSignature.
	Content string
	Steps   []facts.EvidenceStep
	Signer  *facts.EvidenceSigner
	// LogEntries are the bundle's transparency-log entries.
	LogEntries []facts.EvidenceLogEntry
	// Timestamps are the verified times the signature existed at.
	Timestamps []facts.EvidenceTimestamp
	// Subjects are the statement's subjects, with the one naming the
	// artifact marked (DSSE).
	Subjects []facts.EvidenceSubject
	// MessageDigest is "alg:hex" of a message signature.
	MessageDigest string
	// PredicateType is the statement's predicate type (DSSE).
	PredicateType string
	// Facts is the predicate of a gopolicy facts attestation (JSON).
	Facts json.RawMessage
	// ArtifactDigest is the digest the bundle was checked against.
	ArtifactDigest string
}

// Step returns the named step, if it ran.
func (r *Result) Step(name string) (facts.EvidenceStep, bool) {
	for _, s := range r.Steps {
		if s.Name == name {
			return s, true
		}
	}
	return facts.EvidenceStep{}, false
}

// Failed returns the steps that failed.
func (r *Result) Failed() []facts.EvidenceStep {
	var out []facts.EvidenceStep
	for _, s := range r.Steps {
		if !s.OK {
			out = append(out, s)
		}
	}
	return out
}

// Verify verifies a Sigstore bundle (JSON, media types v0.1 to v0.3)
// offline against opts. It returns a Result recording every step; when
// any step fails it also returns an error (wrapping ErrNotVerified) and
// Result.Verified is false. ctx only cancels: nothing goes to the
// network. A Cache verifies the same way, once per bundle and trust.
func Verify(ctx context.Context, bundleJSON []byte, opts VerifyOptions) (Result, error) {
	return (*Cache)(nil).Verify(ctx, bundleJSON, opts)
}

// finish sets Verified and builds the error for a Result.
func finish(ctx context.Context, res Result) (Result, error) {
	res.Verified = len(res.Steps) > 0 && len(res.Failed()) == 0
	if res.Verified {
		return res, nil
	}
	var msgs []string
	for _, s := range res.Failed() {
		msgs = append(msgs, s.Name+": "+s.Reason)
	}
	if err := ctx.Err(); err != nil {
		return res, fmt.Errorf("evidence: %w: %w", ErrNotVerified, err)
	}
	return res, fmt.Errorf("evidence: %w: %s", ErrNotVerified, strings.Join(msgs, "; "))
}

// A verification runs in two parts. The bundle part (every step but
// artifact, and sigstore-go's verifier without an artifact) depends only
// on the bundle and the trust, so a Cache runs it once and shares it,
// read-only, between callers. The binding part (the artifact step, and
// sigstore-go's check that the bundle is for that artifact) runs for
// each artifact on a copy.
type verification struct {
	ctx      context.Context
	opts     VerifyOptions
	res      Result
	trustFor func(VerifyOptions) (*trust, error)

	// complete: every bundle step ran (some may have failed);
	// interrupted: the context ended it, so it must not be shared.
	complete    bool
	interrupted bool
	sigstoreErr error // sigstore-go's verdict on the bundle part
	// boundTo, when set, is the one artifact the verification is for:
	// sigstore-go then checks the bundle part and that artifact in one
	// pass, which saves a signature check when nothing is shared.
	boundTo *digest

	b          *bundle.Bundle
	tr         *trust
	mat        *material
	sigContent verify.SignatureContent
	vc         verify.VerificationContent
	cert       *x509.Certificate
	summary    certificate.Summary
	key        *pinnedKey
	msg        verify.MessageSignatureContent
	want       *digest
	wantErr    error

	tlogThreshold  int
	rekorV2Entries int // trusted Rekor v2 entries, which carry no signed time
	tlogTimes      []root.Timestamp
	times          []time.Time
	statement      *intoto.Statement
}

func (v *verification) record(name string, ok, skipped bool, format string, args ...any) bool {
	v.res.Steps = append(v.res.Steps, facts.EvidenceStep{Name: name, OK: ok, Skipped: skipped, Reason: fmt.Sprintf(format, args...)})
	return ok
}

func (v *verification) pass(name, format string, args ...any) bool {
	return v.record(name, true, false, format, args...)
}

func (v *verification) fail(name, format string, args ...any) bool {
	return v.record(name, false, false, format, args...)
}

func (v *verification) skip(name, format string, args ...any) bool {
	return v.record(name, true, true, format, args...)
}

func (v *verification) cancelled(name string) bool {
	if err := v.ctx.Err(); err != nil {
		v.interrupted = true
		v.fail(name, "not run: %v", err)
		return true
	}
	return false
}

// runBundle runs the steps that do not depend on the artifact.
func (v *verification) runBundle(bundleJSON []byte) {
	if v.cancelled(StepParse) || !v.parse(bundleJSON) {
		return
	}
	if v.cancelled(StepTrust) || !v.trust() {
		return
	}
	if v.cancelled(StepSigner) || !v.signer() {
		return
	}
	steps := []struct {
		name string
		f    func()
	}{
		{StepTlog, v.tlog},
		{StepTimestamps, v.timestamps},
		{StepCertificate, v.certificate},
		{StepSignature, v.signature},
		{StepStatement, v.statementStep},
		{StepIdentity, v.identity},
	}
	for _, s := range steps {
		if v.cancelled(s.name) {
			return
		}
		s.f()
	}
	if len(v.res.Failed()) == 0 {
		if v.cancelled(StepSigstore) {
			return
		}
		v.sigstoreErr = v.crossCheck()
	}
	v.complete = true
}

// bind runs the artifact part for opts.ArtifactDigest on a copy of a
// bundle verification, which it leaves untouched, and returns the
// Result. The steps are recorded in the order they are documented in:
// the artifact step before identity.
func (v *verification) bind(ctx context.Context, opts VerifyOptions) Result {
	b := *v
	b.ctx, b.opts, b.res = ctx, opts, v.res.clone()
	b.want, b.wantErr = nil, nil
	// The artifact is named in the Result once the trust loaded, as it
	// is what the bundle was to be judged against.
	if opts.ArtifactDigest != "" && v.tr != nil {
		d, err := parseDigest(opts.ArtifactDigest)
		if err != nil {
			b.wantErr = err // reported by the artifact step
		} else {
			b.want = &d
			b.res.ArtifactDigest = d.String()
		}
	}
	if !v.complete {
		return b.res
	}
	if !b.cancelled(StepArtifact) {
		b.artifact()
	}
	// Move the artifact step before identity.
	n := len(b.res.Steps)
	for i, s := range b.res.Steps[:n-1] {
		if s.Name == StepIdentity {
			art := b.res.Steps[n-1]
			copy(b.res.Steps[i+1:], b.res.Steps[i:n-1])
			b.res.Steps[i] = art
			break
		}
	}
	if b.cancelled(StepSigstore) {
		return b.res
	}
	if failed := b.res.Failed(); len(failed) > 0 {
		b.skip(StepSigstore, "not run: step %s failed", failed[0].Name)
		return b.res
	}
	if v.sigstoreErr != nil {
		b.fail(StepSigstore, "sigstore-go verifier: %v", v.sigstoreErr)
		return b.res
	}
	if b.want != nil && (v.boundTo == nil || v.boundTo.String() != b.want.String()) {
		if err := verify.VerifySignatureWithArtifactDigests(b.sigContent, b.vc, b.mat, []verify.ArtifactDigest{{Algorithm: b.want.alg, Digest: b.want.raw}}); err != nil {
			b.fail(StepSigstore, "sigstore-go verifier: the bundle is not for artifact %s: %v", b.want, err)
			return b.res
		}
	}
	b.pass(StepSigstore, "sigstore-go verifier agrees")
	return b.res
}

// clone copies a Result deeply enough that changing one copy never
// changes another.
func (r Result) clone() Result {
	c := r
	c.Steps = append([]facts.EvidenceStep(nil), r.Steps...)
	c.LogEntries = append([]facts.EvidenceLogEntry(nil), r.LogEntries...)
	c.Timestamps = append([]facts.EvidenceTimestamp(nil), r.Timestamps...)
	c.Subjects = make([]facts.EvidenceSubject, len(r.Subjects))
	for i, s := range r.Subjects {
		s.Digest = maps.Clone(s.Digest)
		c.Subjects[i] = s
	}
	if r.Subjects == nil {
		c.Subjects = nil
	}
	if r.Signer != nil {
		s := *r.Signer
		c.Signer = &s
	}
	c.Facts = bytes.Clone(r.Facts)
	return c
}

func (v *verification) parse(data []byte) bool {
	if len(data) > MaxBundleSize {
		return v.fail(StepParse, "bundle is %d bytes, more than the %d allowed", len(data), MaxBundleSize)
	}
	pb := &protobundle.Bundle{}
	if err := protojson.Unmarshal(data, pb); err != nil {
		return v.fail(StepParse, "not a Sigstore bundle: %v", err)
	}
	v.res.MediaType = pb.GetMediaType()
	b, err := bundle.NewBundle(pb)
	if err != nil {
		return v.fail(StepParse, "invalid Sigstore bundle: %v", err)
	}
	v.b = b
	version, _ := b.Version()
	if v.sigContent, err = b.SignatureContent(); err != nil {
		return v.fail(StepParse, "bundle content: %v", err)
	}
	if v.vc, err = b.VerificationContent(); err != nil {
		return v.fail(StepParse, "verification material: %v", err)
	}
	switch {
	case v.sigContent.EnvelopeContent() != nil:
		v.res.Content = ContentDSSE
	case v.sigContent.MessageSignatureContent() != nil:
		v.res.Content = ContentMessageSignature
		v.msg = v.sigContent.MessageSignatureContent()
		v.res.MessageDigest = strings.ToLower(hashName(v.msg.DigestAlgorithm())) + ":" + hex.EncodeToString(v.msg.Digest())
	default:
		return v.fail(StepParse, "bundle has neither a DSSE envelope nor a message signature")
	}
	if env := v.sigContent.EnvelopeContent(); env != nil {
		if raw := env.RawEnvelope(); raw == nil || len(raw.Signatures) != 1 {
			return v.fail(StepParse, "a bundle's DSSE envelope must hold exactly one signature")
		}
	}
	return v.pass(StepParse, "Sigstore bundle %s, %s", version, strings.ReplaceAll(v.res.Content, "_", " "))
}

func (v *verification) trust() bool {
	tr, err := v.trustFor(v.opts)
	if err != nil {
		return v.fail(StepTrust, "%v", err)
	}
	v.tr = tr
	return v.pass(StepTrust, "%s", tr.describe())
}

func (v *verification) signer() bool {
	if cert := v.vc.Certificate(); cert != nil {
		v.cert = cert
		s, err := certificate.SummarizeCertificate(cert)
		if err != nil {
			return v.fail(StepSigner, "reading the signing certificate: %v", err)
		}
		v.summary = s
		v.res.Signer = &facts.EvidenceSigner{
			Kind:                   facts.SignerCertificate,
			Issuer:                 s.Extensions.Issuer,
			SAN:                    s.SubjectAlternativeName,
			BuildSignerURI:         s.Extensions.BuildSignerURI,
			SourceRepositoryURI:    s.Extensions.SourceRepositoryURI,
			SourceRepositoryRef:    s.Extensions.SourceRepositoryRef,
			SourceRepositoryDigest: s.Extensions.SourceRepositoryDigest,
			RunInvocationURI:       s.Extensions.RunInvocationURI,
			KeyAlgorithm:           KeyAlgorithm(cert.PublicKey),
		}
		if fp, err := Fingerprint(cert.PublicKey); err == nil {
			v.res.Signer.KeyFingerprint = fp
		}
		m, err := v.tr.material(nil, v.msg != nil)
		if err != nil {
			return v.fail(StepSigner, "%v", err)
		}
		v.mat = m
		if v.tr.root == nil {
			return v.fail(StepSigner, "certificate signer (issuer %q, SAN %q) but no trusted root to check it against", s.Extensions.Issuer, s.SubjectAlternativeName)
		}
		return v.pass(StepSigner, "certificate: issuer %q, SAN %q, issued by %q", s.Extensions.Issuer, s.SubjectAlternativeName, cert.Issuer.String())
	}
	pk := v.vc.PublicKey()
	if pk == nil {
		return v.fail(StepSigner, "bundle has neither a certificate nor a public key")
	}
	hint := pk.Hint()
	v.res.Signer = &facts.EvidenceSigner{Kind: facts.SignerKey}
	if len(v.tr.keys) == 0 {
		return v.fail(StepSigner, "signed with a public key (hint %q) but no public key is pinned", hint)
	}
	// The key the hint names is the signer (the signature step then
	// checks it). Without such a hint, the pinned key the signature
	// verifies with is; a single pinned key is the only candidate.
	var hinted, others []*pinnedKey
	for _, k := range v.tr.keys {
		if k.matchesHint(hint) {
			hinted = append(hinted, k)
		} else {
			others = append(others, k)
		}
	}
	choose := func(k *pinnedKey, how string) bool {
		m, err := v.tr.material(k, v.msg != nil)
		if err != nil {
			return v.fail(StepSigner, "pinned key %s: %v", k.fingerprint, err)
		}
		v.key, v.mat = k, m
		v.res.Signer.KeyFingerprint = k.fingerprint
		v.res.Signer.KeyAlgorithm = k.algorithm
		return v.pass(StepSigner, "pinned public key %s (%s), %s", k.fingerprint, k.algorithm, how)
	}
	verifiesWith := func(k *pinnedKey) bool {
		m, err := v.tr.material(k, v.msg != nil)
		return err == nil && v.verifySignature(m) == nil
	}
	for _, k := range hinted {
		if len(hinted) == 1 || verifiesWith(k) {
			return choose(k, "named by the bundle's key hint")
		}
	}
	for _, k := range others {
		if verifiesWith(k) {
			return choose(k, "the pinned key the signature verifies with")
		}
	}
	if len(hinted) > 0 {
		return choose(hinted[0], "named by the bundle's key hint")
	}
	if len(v.tr.keys) == 1 {
		return choose(v.tr.keys[0], "the only pinned key")
	}
	// Keep a material without a key so that later steps report sensibly.
	v.mat, _ = v.tr.material(nil, v.msg != nil)
	return v.fail(StepSigner, "signed with a public key (hint %q) that is none of the %d pinned keys: the signature verifies with none of them", hint, len(v.tr.keys))
}

// verifySignature checks the cryptographic signature alone: over the
// DSSE envelope, or over the message digest the bundle carries.
func (v *verification) verifySignature(m *material) error {
	if v.msg != nil {
		alg := strings.ToLower(hashName(v.msg.DigestAlgorithm()))
		return verify.VerifySignatureWithArtifactDigests(v.sigContent, v.vc, m, []verify.ArtifactDigest{{Algorithm: alg, Digest: v.msg.Digest()}})
	}
	return verify.VerifySignature(v.sigContent, v.vc, m)
}

var v1CheckpointOrigin = regexp.MustCompile(`^.* - [0-9]+$`)

func (v *verification) tlog() {
	entries, err := v.b.TlogEntries()
	if err != nil {
		v.fail(StepTlog, "reading log entries: %v", err)
		return
	}
	logs := v.mat.RekorLogs()
	trusted, verified, v2 := 0, 0, 0
	var problems []string
	for _, e := range entries {
		le := logEntryFacts(e)
		if err := tlog.ValidateEntry(e); err != nil {
			le.Reason = fmt.Sprintf("malformed entry: %v", err)
			problems = append(problems, fmt.Sprintf("entry %d: %s", le.LogIndex, le.Reason))
			v.res.LogEntries = append(v.res.LogEntries, le)
			continue
		}
		tl, ok := logs[le.LogID]
		if !ok {
			le.Reason = "the log's key is not pinned: entry not checked"
			v.res.LogEntries = append(v.res.LogEntries, le)
			continue
		}
		le.Trusted = true
		trusted++
		var reasons []string
		good := le.HasSET || le.HasInclusionProof
		if !good {
			reasons = append(reasons, "neither a SET nor an inclusion proof")
		}
		if le.HasSET {
			if err := tlog.VerifySET(e, logs); err != nil {
				good = false
				reasons = append(reasons, "SET: "+err.Error())
			} else {
				le.SETVerified = true
			}
		}
		switch {
		case e.IsRekorV2() && !le.HasInclusionProof:
			good = false
			reasons = append(reasons, "a Rekor v2 entry without an inclusion proof")
		case e.IsRekorV2():
			v2++
			if p := v.checkV2Entry(e, tl); len(p) > 0 {
				good = false
				reasons = append(reasons, p...)
			} else {
				le.InclusionProofVerified = true
			}
		case le.HasInclusionProof:
			if err := verifyInclusion(e, tl); err != nil {
				good = false
				reasons = append(reasons, "inclusion proof: "+err.Error())
			} else {
				le.InclusionProofVerified = true
			}
		}
		le.Verified = good
		if good {
			verified++
			var what []string
			if le.SETVerified {
				what = append(what, "SET")
			}
			if le.InclusionProofVerified {
				what = append(what, "inclusion proof and signed checkpoint")
			}
			if e.IsRekorV2() {
				what = append(what, "the entry logs this bundle's signature (Rekor v2: no SET, no signed time)")
			}
			le.Reason = "verified: " + strings.Join(what, ", ")
		} else {
			le.Reason = strings.Join(reasons, "; ")
			problems = append(problems, fmt.Sprintf("entry %d: %s", le.LogIndex, le.Reason))
		}
		v.res.LogEntries = append(v.res.LogEntries, le)
	}
	v.tlogThreshold = v.opts.TlogEntries
	if v.tlogThreshold == 0 && trusted > 0 {
		v.tlogThreshold = 1
	}
	if v.tlogThreshold > 0 {
		ts, err := verify.VerifyTlogEntry(v.b, v.mat, v.tlogThreshold, true)
		if err != nil {
			for i := range v.res.LogEntries {
				v.res.LogEntries[i].Verified = false
			}
			problems = append(problems, err.Error())
		} else {
			v.tlogTimes = ts
		}
	}
	switch {
	case len(problems) > 0:
		v.fail(StepTlog, "%s", strings.Join(problems, "; "))
	case len(entries) == 0 && v.tlogThreshold == 0:
		v.skip(StepTlog, "no log entries, none required")
	case v.tlogThreshold == 0:
		v.skip(StepTlog, "%d log entries from logs whose keys are not pinned; none required", len(entries))
	default:
		v.pass(StepTlog, "%d of %d log entries verified against pinned log keys (required %d); each matches the bundle's signature and content", verified, len(entries), v.tlogThreshold)
	}
	v.rekorV2Entries = v2
}

func logEntryFacts(e *tlog.Entry) facts.EvidenceLogEntry {
	le := facts.EvidenceLogEntry{
		LogID:             hex.EncodeToString([]byte(e.LogKeyID())),
		LogIndex:          e.LogIndex(),
		HasSET:            e.HasInclusionPromise(),
		HasInclusionProof: e.HasInclusionProof(),
	}
	if tle := e.TransparencyLogEntry(); tle != nil && tle.GetKindVersion() != nil {
		le.Kind = tle.GetKindVersion().GetKind() + "/" + tle.GetKindVersion().GetVersion()
	}
	if t := e.IntegratedTime(); !t.IsZero() && t.Unix() != 0 {
		t = t.UTC()
		le.IntegratedTime = &t
	}
	return le
}

// verifyInclusion checks an entry's Merkle inclusion proof and the
// signature on its checkpoint with the log's key.
func verifyInclusion(e *tlog.Entry, tl *root.TransparencyLog) error {
	verifier, err := signature.LoadVerifier(tl.PublicKey, tl.SignatureHashFunc)
	if err != nil {
		return err
	}
	env := e.TransparencyLogEntry().GetInclusionProof().GetCheckpoint().GetEnvelope()
	origin, _, _ := strings.Cut(env, "\n")
	if v1CheckpointOrigin.MatchString(origin) {
		return tlog.VerifyInclusion(e, verifier)
	}
	u, err := url.Parse(tl.BaseURL)
	if err != nil || u.Hostname() == "" {
		return errors.New("a Rekor v2 checkpoint needs the log's base URL in the trusted root")
	}
	return tlog.VerifyCheckpointAndInclusion(e, verifier, u.Hostname())
}

func (v *verification) needObserver() int {
	n := v.opts.ObserverTimestamps
	if v.cert != nil && n < 1 {
		n = 1
	}
	return n
}

func (v *verification) timestamps() {
	signed, verrs, err := verify.VerifySignedTimestamp(v.b, v.mat)
	if err != nil {
		v.fail(StepTimestamps, "RFC 3161 timestamps: %v", err)
		return
	}
	for _, ts := range v.tlogTimes {
		v.res.Timestamps = append(v.res.Timestamps, facts.EvidenceTimestamp{Kind: "tlog", URI: ts.URI, Time: ts.Time.UTC()})
		v.times = append(v.times, ts.Time)
	}
	for _, ts := range signed {
		v.res.Timestamps = append(v.res.Timestamps, facts.EvidenceTimestamp{Kind: "tsa", URI: ts.URI, Time: ts.Time.UTC()})
		v.times = append(v.times, ts.Time)
	}
	var notes []string
	for _, e := range verrs {
		notes = append(notes, "unverified RFC 3161 timestamp: "+e.Error())
	}
	if v.rekorV2Entries > 0 {
		notes = append(notes, "Rekor v2 entries give no signed time (no SET; integrated time 0): they prove the signature was logged, not when")
	}
	need := v.needObserver()
	total := len(v.tlogTimes) + len(signed)
	var problems []string
	if len(signed) < v.opts.SignedTimestamps {
		problems = append(problems, fmt.Sprintf("%d verified RFC 3161 timestamps, %d required", len(signed), v.opts.SignedTimestamps))
	}
	if total < need {
		why := ""
		if v.cert != nil {
			why = " (a short-lived certificate needs a trusted time)"
		}
		problems = append(problems, fmt.Sprintf("%d verified timestamps, %d required%s", total, need, why))
	}
	if len(problems) > 0 {
		v.fail(StepTimestamps, "%s", strings.Join(append(problems, notes...), "; "))
		return
	}
	if total == 0 {
		v.skip(StepTimestamps, "%s", strings.Join(append([]string{"no timestamps; none required for a key signer"}, notes...), "; "))
		return
	}
	var when []string
	for _, t := range v.res.Timestamps {
		when = append(when, fmt.Sprintf("%s %s", t.Kind, t.Time.Format(time.RFC3339)))
	}
	v.pass(StepTimestamps, "%s", strings.Join(append([]string{strings.Join(when, ", ")}, notes...), "; "))
}

func (v *verification) certificate() {
	if v.cert == nil {
		if v.opts.SCTs > 0 {
			v.fail(StepCertificate, "%d SCTs required, but the bundle is signed with a key, not a certificate", v.opts.SCTs)
			return
		}
		v.skip(StepCertificate, "key signer: no certificate")
		return
	}
	if len(v.times) == 0 {
		v.fail(StepCertificate, "no verified time to check the certificate at")
		return
	}
	// Fulcio may mark an OtherName SAN critical; Go's x509 does not
	// handle it, but the summary above has read it.
	leaf := *v.cert
	leaf.UnhandledCriticalExtensions = nil
	for _, oid := range v.cert.UnhandledCriticalExtensions {
		if !oid.Equal(cryptoutils.SANOID) {
			leaf.UnhandledCriticalExtensions = append(leaf.UnhandledCriticalExtensions, oid)
		}
	}
	var chains [][]*x509.Certificate
	for _, t := range v.times {
		c, err := verify.VerifyLeafCertificate(t, &leaf, v.mat)
		if err != nil {
			v.fail(StepCertificate, "certificate (valid %s to %s) does not chain to a pinned Fulcio CA at %s: %v",
				v.cert.NotBefore.UTC().Format(time.RFC3339), v.cert.NotAfter.UTC().Format(time.RFC3339), t.UTC().Format(time.RFC3339), err)
			return
		}
		chains = c
	}
	sct := ""
	if v.opts.SCTs > 0 {
		if err := verify.VerifySignedCertificateTimestamp(chains, v.opts.SCTs, v.mat); err != nil {
			v.fail(StepCertificate, "certificate transparency: %v", err)
			return
		}
		sct = fmt.Sprintf("; %d SCTs verified", v.opts.SCTs)
	}
	rootName := ""
	if len(chains) > 0 && len(chains[0]) > 0 {
		rootName = chains[0][len(chains[0])-1].Subject.String()
	}
	v.pass(StepCertificate, "chains to pinned CA %q at every verified time%s", rootName, sct)
}

func (v *verification) signature() {
	if v.key == nil && v.cert == nil {
		v.fail(StepSignature, "no pinned key to check the signature with")
		return
	}
	if err := v.verifySignature(v.mat); err != nil {
		if v.key != nil {
			v.fail(StepSignature, "does not verify with pinned key %s: %v", v.key.fingerprint, err)
			return
		}
		v.fail(StepSignature, "does not verify with the certificate's key: %v", err)
		return
	}
	if v.msg != nil {
		v.pass(StepSignature, "signature over %s verified", v.res.MessageDigest)
		return
	}
	v.pass(StepSignature, "DSSE envelope signature verified")
}

func (v *verification) statementStep() {
	env := v.sigContent.EnvelopeContent()
	if env == nil {
		v.skip(StepStatement, "message signature: no statement")
		return
	}
	raw := env.RawEnvelope()
	if raw.PayloadType != InTotoPayloadType {
		v.fail(StepStatement, "DSSE payload type %q is not an in-toto statement (%s)", raw.PayloadType, InTotoPayloadType)
		return
	}
	st, err := env.Statement()
	if err != nil {
		v.fail(StepStatement, "payload is not an in-toto statement: %v", err)
		return
	}
	v.statement = st
	v.res.PredicateType = st.GetPredicateType()
	for _, s := range st.GetSubject() {
		v.res.Subjects = append(v.res.Subjects, facts.EvidenceSubject{Name: s.GetName(), Digest: s.GetDigest()})
	}
	if st.GetType() != intoto.StatementTypeUri && st.GetType() != "https://in-toto.io/Statement/v0.1" {
		v.fail(StepStatement, "statement type %q is not in-toto v1 or v0.1", st.GetType())
		return
	}
	if len(st.GetSubject()) == 0 {
		v.fail(StepStatement, "statement has no subjects")
		return
	}
	if v.opts.PredicateType != "" && st.GetPredicateType() != v.opts.PredicateType {
		v.fail(StepStatement, "predicate type %q, want %q", st.GetPredicateType(), v.opts.PredicateType)
		return
	}
	if st.GetPredicateType() == FactsPredicateType {
		if st.GetPredicate() == nil {
			v.fail(StepStatement, "gopolicy facts attestation without a predicate")
			return
		}
		b, err := protojson.Marshal(st.GetPredicate())
		if err != nil {
			v.fail(StepStatement, "predicate: %v", err)
			return
		}
		var compact bytes.Buffer
		if json.Compact(&compact, b) == nil {
			b = compact.Bytes()
		}
		v.res.Facts = b
	}
	v.pass(StepStatement, "in-toto statement, predicate type %q, %d subjects", st.GetPredicateType(), len(st.GetSubject()))
}

func (v *verification) artifact() {
	if v.wantErr != nil {
		v.fail(StepArtifact, "artifact digest %q: %v", v.opts.ArtifactDigest, v.wantErr)
		return
	}
	if v.want == nil {
		if v.opts.AllowUnboundArtifact {
			v.skip(StepArtifact, "no artifact digest given: the bundle is not bound to a binary (allowed)")
			return
		}
		v.fail(StepArtifact, "no artifact digest given: a bundle proves nothing about a binary it is not bound to")
		return
	}
	want := v.want
	if v.msg != nil {
		alg := strings.ToLower(hashName(v.msg.DigestAlgorithm()))
		if alg != want.alg {
			v.fail(StepArtifact, "the bundle signs a %s digest; cannot compare it with %s", alg, want)
			return
		}
		if !bytes.Equal(v.msg.Digest(), want.raw) {
			v.fail(StepArtifact, "the bundle signs %s, not the artifact %s", v.res.MessageDigest, want)
			return
		}
		v.pass(StepArtifact, "the signed message digest is the artifact's %s", want)
		return
	}
	if v.statement == nil {
		v.fail(StepArtifact, "no statement to find the artifact in")
		return
	}
	var matched []string
	var others []string
	for i := range v.res.Subjects {
		s := &v.res.Subjects[i]
		if got, ok := s.Digest[want.alg]; ok && strings.EqualFold(got, want.hex()) {
			s.Matched = true
			matched = append(matched, fmt.Sprintf("%q", s.Name))
		} else if len(others) < 3 {
			others = append(others, fmt.Sprintf("%q %s", s.Name, digestList(s.Digest)))
		}
	}
	if len(matched) == 0 {
		v.fail(StepArtifact, "none of the %d statement subjects is the artifact %s (subjects: %s)", len(v.res.Subjects), want, strings.Join(others, ", "))
		return
	}
	v.pass(StepArtifact, "subject %s is the artifact %s", strings.Join(matched, ", "), want)
}

func digestList(d map[string]string) string {
	var parts []string
	for _, alg := range []string{"sha256", "sha384", "sha512"} {
		if h, ok := d[alg]; ok {
			parts = append(parts, alg+":"+h)
		}
	}
	if len(parts) == 0 {
		return fmt.Sprintf("(%d digests, none sha256/384/512)", len(d))
	}
	return strings.Join(parts, " ")
}

func (v *verification) identity() {
	if v.cert != nil {
		if len(v.tr.ids) == 0 {
			v.fail(StepIdentity, "certificate signer (issuer %q, SAN %q) but no identity allow-list given: anyone with an OIDC account would pass", v.res.Signer.Issuer, v.res.Signer.SAN)
			return
		}
		for i, id := range v.tr.ids {
			if id.Verify(v.summary) == nil {
				v.res.Signer.Allowed = true
				v.res.Signer.Matched = v.opts.Identities[i].String()
				v.pass(StepIdentity, "issuer %q, SAN %q matches allowed identity %d (%s)", v.res.Signer.Issuer, v.res.Signer.SAN, i+1, v.res.Signer.Matched)
				return
			}
		}
		v.fail(StepIdentity, "issuer %q, SAN %q matches none of the %d allowed identities", v.res.Signer.Issuer, v.res.Signer.SAN, len(v.tr.ids))
		return
	}
	if v.key == nil {
		v.fail(StepIdentity, "the signing key is not pinned")
		return
	}
	if len(v.opts.KeyFingerprints) == 0 {
		v.res.Signer.Allowed = true
		v.res.Signer.Matched = "pinned key " + v.key.fingerprint
		v.pass(StepIdentity, "pinned public key %s (no fingerprint allow-list: every pinned key is allowed)", v.key.fingerprint)
		return
	}
	for _, fp := range v.opts.KeyFingerprints {
		if strings.EqualFold(fp, v.key.fingerprint) {
			v.res.Signer.Allowed = true
			v.res.Signer.Matched = "key fingerprint " + v.key.fingerprint
			v.pass(StepIdentity, "key fingerprint %s is on the allow-list", v.key.fingerprint)
			return
		}
	}
	v.fail(StepIdentity, "key fingerprint %s is not on the allow-list of %d fingerprints", v.key.fingerprint, len(v.opts.KeyFingerprints))
}

// crossCheck runs sigstore-go's verifier over the whole bundle with the
// same policy, so that a bundle counts as verified only if the library's
// own verifier agrees with the steps above. Unless the verification is
// for one artifact (boundTo), the artifact is left to bind, which has
// sigstore-go check it for each artifact; a message signature is then
// checked here over its own digest, as sigstore-go cannot check one
// without a digest.
func (v *verification) crossCheck() error {
	var vopts []verify.VerifierOption
	if v.tlogThreshold > 0 {
		vopts = append(vopts, verify.WithTransparencyLog(v.tlogThreshold))
	}
	if v.opts.SignedTimestamps > 0 {
		vopts = append(vopts, verify.WithSignedTimestamps(v.opts.SignedTimestamps))
	}
	if n := v.needObserver(); n > 0 {
		vopts = append(vopts, verify.WithObserverTimestamps(n))
	} else if v.opts.SignedTimestamps == 0 {
		vopts = append(vopts, verify.WithNoObserverTimestamps())
	}
	if v.opts.SCTs > 0 {
		vopts = append(vopts, verify.WithSignedCertificateTimestamps(v.opts.SCTs))
	}
	verifier, err := verify.NewVerifier(v.mat, vopts...)
	if err != nil {
		return fmt.Errorf("configuring sigstore-go: %w", err)
	}
	art := verify.WithoutArtifactUnsafe()
	switch {
	case v.boundTo != nil:
		art = verify.WithArtifactDigest(v.boundTo.alg, v.boundTo.raw)
	case v.msg != nil:
		art = verify.WithArtifactDigest(strings.ToLower(hashName(v.msg.DigestAlgorithm())), v.msg.Digest())
	}
	var popts []verify.PolicyOption
	if v.cert != nil {
		for _, id := range v.tr.ids {
			popts = append(popts, verify.WithCertificateIdentity(id))
		}
	} else {
		popts = append(popts, verify.WithKey())
	}
	_, err = verifier.Verify(v.b, verify.NewPolicy(art, popts...))
	return err
}

// hashName maps protobuf-specs hash names (SHA2_256) to sha256 etc.
func hashName(alg string) string {
	switch alg {
	case protocommon.HashAlgorithm_SHA2_256.String():
		return "sha256"
	case protocommon.HashAlgorithm_SHA2_384.String():
		return "sha384"
	case protocommon.HashAlgorithm_SHA2_512.String():
		return "sha512"
	}
	return alg
}
