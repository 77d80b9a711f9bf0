package serve

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/gopolicy/gopolicy/pkg/decision"
	"github.com/gopolicy/gopolicy/pkg/evidence"
	"github.com/gopolicy/gopolicy/pkg/facts"
	"github.com/gopolicy/gopolicy/pkg/gopolicy"
	"github.com/gopolicy/gopolicy/pkg/oci"
)

// Attestation states of an image.
const (
	AttVerified    = "verified"     // a facts attestation for this digest verified
	AttMissing     = "missing"      // none found
	AttOtherDigest = "other_digest" // found, signed, but its subject is another digest
	AttInvalid     = "invalid"      // found, but unsigned, tampered or by an untrusted signer
	AttUnjudgeable = "unjudgeable"  // verified, but the attested facts could not be judged
)

// ImageVerdict is the judgement of one image digest: where its
// attestation came from and what the policies made of the attested facts.
// It is what the cache holds, and the value of an external-data item.
type ImageVerdict struct {
	Image   string `json:"image"`
	Digest  string `json:"digest"`
	Profile string `json:"profile"`
	// Outcome is allowed, denied or error (the attested facts judged
	// to an error, or the image could not be judged).
	Outcome    string `json:"outcome"`
	DecisionID string `json:"decision_id"`
	Bundle     string `json:"bundle_digest"`
	// Attestation is one of the Att* states; AttestationSource where it
	// was found; AttestationReasons why others were refused.
	Attestation        string   `json:"attestation"`
	AttestationSource  string   `json:"attestation_source,omitempty"`
	AttestationReasons []string `json:"attestation_reasons,omitempty"`
	// FactsDigest is the SHA-256 of the attested facts document.
	FactsDigest string             `json:"facts_digest,omitempty"`
	Findings    []Finding          `json:"findings"`
	Binaries    []AttestedBinary   `json:"binaries"`
	JudgedAt    time.Time          `json:"judged_at"`
	Error       string             `json:"error,omitempty"`
	decision    *decision.Decision `json:"-"`
}

// Finding is a deny, warn or error finding, short.
type Finding struct {
	Policy    string `json:"policy"`
	Level     string `json:"level"`
	Message   string `json:"message"`
	Container string `json:"container,omitempty"`
	Image     string `json:"image,omitempty"`
}

// AttestedBinary is what admission policies need of an attested binary.
type AttestedBinary struct {
	Path           string            `json:"path"`
	GoVersion      string            `json:"go_version"`
	DefaultGODEBUG map[string]string `json:"default_godebug"`
}

func newID() string {
	var b [16]byte
	_, _ = randRead(b[:])
	return hex.EncodeToString(b[:])
}

// judgeImage resolves nothing: d is already a digest. It finds, verifies
// and judges the image's attestations.
func (s *Server) judgeImage(ctx context.Context, st *state, image string, d name.Digest) (*ImageVerdict, error) {
	s.judged.Add(1)
	v := &ImageVerdict{
		Image: image, Digest: d.DigestStr(), Profile: st.pipeline.Profile(), DecisionID: newID(),
		Bundle: st.bundleDigest, Findings: []Finding{}, Binaries: []AttestedBinary{}, JudgedAt: time.Now().UTC(),
	}
	found, err := s.opts.Registry.Attestations(ctx, d)
	if err != nil {
		return nil, err
	}
	if len(found) == 0 {
		v.Attestation = AttMissing
		v.Outcome = string(gopolicy.Allowed) // the admission policy decides
		return v, nil
	}
	trust := st.trust
	trust.PredicateType = evidence.FactsPredicateType
	trust.ArtifactDigest = d.DigestStr()
	v.Attestation = AttInvalid
	// One verification of each bundle serves the image and every binary
	// the attested facts name; only the binding to each digest is redone.
	cache := evidence.NewCache()
	for _, f := range found {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		res, err := cache.Verify(ctx, f.Data, trust)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if err != nil {
			s.metrics.verifyErr.Inc()
			failed := res.Failed()
			if len(failed) == 1 && failed[0].Name == evidence.StepArtifact {
				v.Attestation = AttOtherDigest
			}
			v.AttestationReasons = append(v.AttestationReasons, f.Source+": "+shorten(err.Error(), 300))
			continue
		}
		v.Attestation, v.AttestationSource = AttVerified, f.Source
		if err := s.judgeFacts(ctx, st, v, f, res, trust, cache); err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			v.Attestation = AttUnjudgeable
			v.Outcome = string(gopolicy.Error)
			v.Error = err.Error()
		}
		return v, nil
	}
	v.Outcome = string(gopolicy.Allowed) // the admission policy decides
	return v, nil
}

// judgeFacts judges a verified attestation's facts with the pipeline,
// after recording the attestation as the evidence of the binaries it
// names (it was verified against each of them, offline).
func (s *Server) judgeFacts(ctx context.Context, st *state, v *ImageVerdict, f oci.FoundBundle, res evidence.Result, trust evidence.VerifyOptions, cache *evidence.Cache) error {
	var doc facts.Document
	if err := json.Unmarshal(res.Facts, &doc); err != nil {
		return fmt.Errorf("the attested facts are not a facts document: %w", err)
	}
	sum := sha256.Sum256(res.Facts)
	v.FactsDigest = "sha256:" + hex.EncodeToString(sum[:])
	ev := &facts.Evidence{Trust: trust.TrustFacts(), Inputs: []facts.EvidenceInput{}, Searches: []facts.EvidenceSearch{}}
	for _, b := range doc.Binaries {
		if b.Go != nil && b.Go.IsGo {
			v.Binaries = append(v.Binaries, AttestedBinary{Path: b.Path, GoVersion: b.Go.GoVersionBase, DefaultGODEBUG: nonNil(b.Go.DefaultGODEBUG)})
		}
		if b.SHA256 == "" {
			continue
		}
		opts := trust
		opts.ArtifactDigest = "sha256:" + b.SHA256
		r, err := cache.Verify(ctx, f.Data, opts)
		ev.Inputs = append(ev.Inputs, r.Input(f.Source, f.Data, b.Path, err))
	}
	if len(doc.Binaries) > 0 {
		doc.Evidence = ev
		if doc.Collectors == nil {
			doc.Collectors = map[string]facts.CollectorStatus{}
		}
		doc.Collectors["evidence"] = facts.CollectorStatus{Status: facts.StatusOK}
	}
	data, err := gopolicy.MarshalFacts(&doc)
	if err != nil {
		return err
	}
	r, err := st.pipeline.JudgeFacts(ctx, data)
	if err != nil {
		return fmt.Errorf("judge the attested facts: %w", err)
	}
	v.Outcome = string(r.Outcome)
	v.decision = r.Decision
	for _, fd := range r.Decision.Findings {
		switch fd.Level {
		case decision.LevelDeny, decision.LevelWarn, decision.LevelError:
			msg := fd.Message
			if fd.Subject != "" && !strings.Contains(msg, fd.Subject) {
				msg = fd.Subject + ": " + msg
			}
			v.Findings = append(v.Findings, Finding{Policy: fd.Policy, Level: fd.Level, Message: msg, Image: v.Image})
		}
	}
	for _, ie := range r.Decision.InputErrors {
		v.Findings = append(v.Findings, Finding{Policy: "input", Level: decision.LevelError, Message: ie.Collector + ": " + ie.Message, Image: v.Image})
	}
	return nil
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - 1
	for cut > 0 && (s[cut]&0xC0) == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}

// verdict resolves an image reference and judges its digest, through the
// cache and coalescing identical concurrent work. A hit is only ever for
// the same digest, bundle, trust and profile.
func (s *Server) verdict(ctx context.Context, st *state, image string, dryRun bool) (*ImageVerdict, error) {
	ref, err := s.opts.Registry.ParseReference(image)
	if err != nil {
		return nil, &oci.NotFoundError{Err: fmt.Errorf("image reference %q: %w", image, err)}
	}
	d, err := s.opts.Registry.Resolve(ctx, ref)
	if err != nil {
		var re *oci.RegistryError
		if errors.As(err, &re) {
			s.metrics.registryErr.Inc()
		}
		return nil, err
	}
	key := cacheKey{Digest: d.String(), Bundle: st.bundleDigest, Trust: st.trustDigest, Profile: st.pipeline.Profile()}
	if v, ok := s.cache.get(key); ok {
		s.metrics.cache.WithLabelValues("hit").Inc()
		if v.Error != "" && v.Outcome == string(gopolicy.Error) && v.Attestation == "" {
			return nil, &oci.RegistryError{Err: errors.New(v.Error)}
		}
		return withImage(v, image), nil
	}
	s.metrics.cache.WithLabelValues("miss").Inc()
	flightKey := fmt.Sprintf("%s|%s|%s|%s|%t", key.Digest, key.Bundle, key.Trust, key.Profile, dryRun)
	ch := s.flight.DoChan(flightKey, func() (any, error) {
		// The shared work must not die with the first caller's request:
		// it runs to the server's own deadline.
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opts.Deadline)
		defer cancel()
		v, err := s.judgeImage(wctx, st, image, d)
		if err != nil {
			var re *oci.RegistryError
			if errors.As(err, &re) {
				s.metrics.registryErr.Inc()
				if !dryRun {
					s.cache.put(key, &ImageVerdict{Outcome: string(gopolicy.Error), Error: err.Error()}, s.opts.ErrorTTL)
				}
			}
			return nil, err
		}
		if !dryRun {
			ttl := s.opts.DecisionTTL
			if v.Attestation != AttVerified || v.Outcome == string(gopolicy.Error) {
				// An attestation may be pushed after the image: look again soon.
				ttl = s.opts.ErrorTTL
			}
			s.cache.put(key, v, ttl)
		}
		return v, nil
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		return withImage(r.Val.(*ImageVerdict), image), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// withImage is a shallow copy of v naming the reference as this request
// gave it.
func withImage(v *ImageVerdict, image string) *ImageVerdict {
	c := *v
	c.Image = image
	return &c
}
