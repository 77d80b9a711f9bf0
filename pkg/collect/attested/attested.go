// Package attested turns the Sigstore bundles given for a build's binaries
// into the evidence facts section, verifying each offline against pinned
// trust material, and lends the build-time sections of a verified gopolicy
// facts attestation to a document that lacks them: an admission server or
// an auditor judges a binary's GOSUMDB and go.sum as the build recorded
// them, signed, instead of guessing.
package attested

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"

	"github.com/gopolicy/gopolicy/internal/safeio"
	"github.com/gopolicy/gopolicy/pkg/evidence"
	"github.com/gopolicy/gopolicy/pkg/facts"
	"github.com/gopolicy/gopolicy/pkg/facts/check"
)

// Options are the bundles to verify and what to verify them against.
type Options struct {
	// Attestations are gopolicy facts attestations (Sigstore bundles
	// written by `gopolicy attest`).
	Attestations []string
	// Bundles are other Sigstore bundles of the binaries (cosign
	// sign-blob --bundle, attest-blob).
	Bundles []string
	// Trust is the pinned material (trusted root, keys, identities) and
	// the requirements each bundle must meet. ArtifactDigest is set per
	// binary.
	Trust evidence.VerifyOptions
	// TrustedRootPath and KeyPaths name the files Trust was read from,
	// for the facts.
	TrustedRootPath string
	KeyPaths        []string
	LogKeyPaths     []string
	// SearchURL, when set, is a Rekor v1 log searched by each binary's
	// SHA-256 as an extra: its results are facts, never evidence, because
	// search by hash is incomplete by design.
	SearchURL string
	// Cache remembers verifications for the run: a bundle given beside
	// every binary, or a log entry every binary's search finds, is
	// verified once. Nil: Collect uses a cache of its own.
	Cache *evidence.Cache
}

// searchWorkers bounds concurrent log searches: a log rate-limits.
const searchWorkers = 4

// verifyWorkers bounds concurrent bundle verifications, which are CPU
// work.
func verifyWorkers() int { return max(1, min(4, runtime.GOMAXPROCS(0))) }

// Given reports whether any evidence was given or any trust configured.
func (o Options) Given() bool {
	return len(o.Attestations) > 0 || len(o.Bundles) > 0
}

// Attestation is a verified gopolicy attestation bound to a judged binary,
// with the facts document it carries.
type Attestation struct {
	Input  facts.EvidenceInput
	Binary string
	Facts  *facts.Document
}

// Collect verifies every bundle against the judged binaries and returns
// the evidence section and the verified attestations, in the order given.
// A bundle is tried against each binary until it binds to one; a bundle
// that fails for another reason than the binding fails the same way for
// every binary and is recorded with that reason. Bundles are verified a
// few at a time, and through opts.Cache (or a cache of Collect's own), so
// the same bundle given beside many binaries is verified once.
func Collect(ctx context.Context, opts Options, binaries []facts.Binary) (*facts.Evidence, []Attestation, []facts.Problem) {
	ev := &facts.Evidence{Trust: opts.Trust.TrustFacts(), Inputs: []facts.EvidenceInput{}, Searches: []facts.EvidenceSearch{}}
	ev.Trust.TrustedRoot = opts.TrustedRootPath
	for i := range ev.Trust.PublicKeys {
		if i < len(opts.KeyPaths) {
			ev.Trust.PublicKeys[i].Path = opts.KeyPaths[i]
		}
	}
	for i := range ev.Trust.LogKeys {
		if i < len(opts.LogKeyPaths) {
			ev.Trust.LogKeys[i].Path = opts.LogKeyPaths[i]
		}
	}
	cache := opts.Cache
	if cache == nil {
		cache = evidence.NewCache()
	}
	type input struct {
		path        string
		attestation bool
	}
	var files []input
	for _, p := range opts.Attestations {
		files = append(files, input{p, true})
	}
	for _, p := range opts.Bundles {
		files = append(files, input{p, false})
	}
	// Verified concurrently, a few at a time; reported in the order given.
	type outcome struct {
		in        facts.EvidenceInput
		predicate json.RawMessage
		problem   *facts.Problem
	}
	out := make([]outcome, len(files))
	sem := make(chan struct{}, verifyWorkers())
	var wg sync.WaitGroup
	for i, f := range files {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			data, err := safeio.ReadFile(f.path, evidence.MaxBundleSize)
			if err != nil {
				// An unreadable bundle is an input problem, not a failed
				// verification: the user named a file that is not there.
				out[i].problem = &facts.Problem{Path: f.path, Message: "read evidence: " + err.Error()}
				return
			}
			out[i].in, out[i].predicate = verify(ctx, cache, opts.Trust, f.path, data, f.attestation, binaries)
		}()
	}
	wg.Wait()

	var attested []Attestation
	var problems []facts.Problem
	checked := map[[sha256.Size]byte]error{} // facts documents checked, by digest
	for i, f := range files {
		o := out[i]
		if o.problem != nil {
			problems = append(problems, *o.problem)
			continue
		}
		in := o.in
		if f.attestation && in.Kind != facts.EvidenceKindAttestation && in.Verified {
			in.Verified = false
			in.Error = fmt.Sprintf("statement: predicate type %q is not a gopolicy facts attestation (%s)", in.PredicateType, evidence.FactsPredicateType)
		}
		if in.Verified && in.Kind == facts.EvidenceKindAttestation {
			doc, err := attestedFacts(o.predicate, checked)
			if err != nil {
				in.Error = "the attested facts cannot be judged: " + err.Error()
			} else {
				attested = append(attested, Attestation{Input: in, Binary: in.Artifact.Path, Facts: doc})
			}
		}
		ev.Inputs = append(ev.Inputs, in)
	}
	if opts.SearchURL != "" {
		ev.Searches = search(ctx, cache, opts, binaries)
	}
	return ev, attested, problems
}

// search looks each hashed binary up in a Rekor v1 log, a few at a time,
// verifying every entry found against the pinned log key; an entry the
// searches of several binaries find is fetched and verified once.
func search(ctx context.Context, cache *evidence.Cache, opts Options, binaries []facts.Binary) []facts.EvidenceSearch {
	var key []byte
	if len(opts.Trust.LogPublicKeys) > 0 {
		key = opts.Trust.LogPublicKeys[0]
	}
	out := make([]facts.EvidenceSearch, 0, len(binaries))
	results := make([]*facts.EvidenceSearch, len(binaries))
	sem := make(chan struct{}, searchWorkers)
	var wg sync.WaitGroup
	for i, b := range binaries {
		if b.SHA256 == "" {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			var res evidence.SearchResult
			var err error
			if key == nil {
				res = evidence.SearchResult{URL: opts.SearchURL, SHA256: b.SHA256}
				err = errors.New("a search needs the log's public key to verify what it finds (--log-key)")
			} else {
				res, err = cache.SearchRekorV1(ctx, opts.SearchURL, b.SHA256, key)
			}
			f := res.Facts(err)
			results[i] = &f
		}()
	}
	wg.Wait()
	for _, r := range results {
		if r != nil {
			out = append(out, *r)
		}
	}
	return out
}

func verify(ctx context.Context, cache *evidence.Cache, trust evidence.VerifyOptions, path string, data []byte, attestation bool, binaries []facts.Binary) (facts.EvidenceInput, json.RawMessage) {
	if attestation {
		trust.PredicateType = evidence.FactsPredicateType
	}
	var last facts.EvidenceInput
	tried := false
	for _, b := range bindOrder(data, binaries) {
		if b.SHA256 == "" {
			continue
		}
		tried = true
		opts := trust
		opts.ArtifactDigest = "sha256:" + b.SHA256
		res, err := cache.Verify(ctx, data, opts)
		last = res.Input(path, data, b.Path, err)
		if last.Verified {
			return last, res.Facts
		}
		if failed := res.Failed(); len(failed) > 0 && failed[0].Name != evidence.StepArtifact {
			break
		}
	}
	if !tried {
		res, err := cache.Verify(ctx, data, trust)
		last = res.Input(path, data, "", err)
		last.Verified = false
		last.Error = "artifact: no hashed binary to bind the bundle to (give --binary, without --no-hash)"
	}
	return last, nil
}

// bindOrder puts first the binaries a bundle names: the subject digests
// of its statement, or its message digest. The bundle is only read to
// order the candidates (verification still decides), so judging N
// binaries with N bundles verifies about N times, not N squared. Nothing
// read here is trusted.
func bindOrder(data []byte, binaries []facts.Binary) []facts.Binary {
	var b struct {
		DSSEEnvelope *struct {
			Payload string `json:"payload"`
		} `json:"dsseEnvelope"`
		MessageSignature *struct {
			MessageDigest struct {
				Digest string `json:"digest"`
			} `json:"messageDigest"`
		} `json:"messageSignature"`
	}
	if json.Unmarshal(data, &b) != nil {
		return binaries
	}
	named := map[string]bool{}
	switch {
	case b.DSSEEnvelope != nil:
		payload, err := base64.StdEncoding.DecodeString(b.DSSEEnvelope.Payload)
		if err != nil {
			return binaries
		}
		var st struct {
			Subject []struct {
				Digest map[string]string `json:"digest"`
			} `json:"subject"`
		}
		if json.Unmarshal(payload, &st) != nil {
			return binaries
		}
		for _, s := range st.Subject {
			named[strings.ToLower(s.Digest["sha256"])] = true
		}
	case b.MessageSignature != nil:
		raw, err := base64.StdEncoding.DecodeString(b.MessageSignature.MessageDigest.Digest)
		if err != nil {
			return binaries
		}
		named[hex.EncodeToString(raw)] = true
	}
	out := make([]facts.Binary, 0, len(binaries))
	for _, bin := range binaries {
		if named[bin.SHA256] {
			out = append(out, bin)
		}
	}
	for _, bin := range binaries {
		if !named[bin.SHA256] {
			out = append(out, bin)
		}
	}
	return out
}

// attestedFacts checks an attested document as any document from outside
// is checked: a signature proves who wrote it, not that it is well formed.
// checked remembers the verdicts on documents already checked (the same
// attestation given beside many binaries carries the same document).
func attestedFacts(predicate json.RawMessage, checked map[[sha256.Size]byte]error) (*facts.Document, error) {
	if len(predicate) == 0 {
		return nil, errors.New("the attestation carries no facts document")
	}
	sum := sha256.Sum256(predicate)
	err, ok := checked[sum]
	if !ok {
		_, err = check.Document(predicate)
		checked[sum] = err
	}
	if err != nil {
		return nil, err
	}
	var doc facts.Document
	if err := json.Unmarshal(predicate, &doc); err != nil {
		return nil, err
	}
	return &doc, nil
}

// BuildSections are the sections only the build can know; an attestation
// lends them to a document that lacks them.
var BuildSections = []string{"goenv", "runner", "gomod", "gosum", "vendor", "gowork"}

// Lend copies the build-time sections of the first verified attestation
// into doc where doc has none of its own (facts collected here always
// win), marks their collectors as attested, and rewrites each attested
// environment value's origin to say so. It returns the sections lent.
func Lend(doc *facts.Document, atts []Attestation) []string {
	if len(atts) == 0 {
		return nil
	}
	a := atts[0]
	src := a.Facts
	marker := &facts.Attested{Input: a.Input.Path, Signer: signerName(a.Input.Signer), CollectedAt: src.Now, Binary: a.Binary}
	var lent []string
	lend := func(name string, present bool, copyIn func()) {
		if present {
			return
		}
		st, ok := src.Collectors[name]
		if !ok || st.Status != facts.StatusOK {
			return
		}
		copyIn()
		st.Attested = marker
		doc.Collectors[name] = st
		lent = append(lent, name)
	}
	lend("goenv", doc.GoEnv != nil, func() {
		env := *src.GoEnv
		env.Vars = map[string]facts.EnvVar{}
		for k, v := range src.GoEnv.Vars {
			v.Origin = fmt.Sprintf("%s, attested by the build on %s by %s", v.Origin, src.Now.Format("2006-01-02"), marker.Signer)
			env.Vars[k] = v
		}
		doc.GoEnv = &env
	})
	lend("runner", doc.Runner != nil, func() { doc.Runner = src.Runner })
	lend("gomod", doc.GoMod != nil, func() { doc.GoMod = src.GoMod })
	lend("gosum", doc.GoSum != nil, func() { doc.GoSum = src.GoSum })
	lend("vendor", doc.Vendor != nil, func() { doc.Vendor = src.Vendor })
	lend("gowork", doc.GoWork != nil, func() { doc.GoWork = src.GoWork })
	return lent
}

func signerName(s *facts.EvidenceSigner) string {
	switch {
	case s == nil:
		return "an unknown signer"
	case s.Kind == facts.SignerKey:
		return "key " + s.KeyFingerprint
	case s.SAN != "":
		return strings.TrimSpace(s.SAN + " (" + s.Issuer + ")")
	}
	return "an unknown signer"
}

// ReadTrust reads the pinned trust material named by files: a trusted
// root, signer public keys and private log keys, each bounded.
func ReadTrust(trustedRoot string, keys, logKeys []string) (evidence.VerifyOptions, error) {
	var opts evidence.VerifyOptions
	limits := safeio.DefaultLimits()
	if trustedRoot != "" {
		data, err := safeio.ReadFile(trustedRoot, evidence.MaxBundleSize)
		if err != nil {
			return opts, fmt.Errorf("read --trusted-root: %w", err)
		}
		opts.TrustedRoot = data
	}
	for _, k := range keys {
		data, err := safeio.ReadFile(k, limits.Key)
		if err != nil {
			return opts, fmt.Errorf("read --evidence-key: %w", err)
		}
		if _, err := evidence.ParsePublicKey(data); err != nil {
			return opts, fmt.Errorf("--evidence-key %s: %w", k, err)
		}
		opts.PublicKeys = append(opts.PublicKeys, data)
	}
	for _, k := range logKeys {
		data, err := safeio.ReadFile(k, limits.Key)
		if err != nil {
			return opts, fmt.Errorf("read --log-key: %w", err)
		}
		if _, err := evidence.ParsePublicKey(data); err != nil {
			return opts, fmt.Errorf("--log-key %s: %w", k, err)
		}
		opts.LogPublicKeys = append(opts.LogPublicKeys, data)
	}
	return opts, nil
}
