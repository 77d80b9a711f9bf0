package gopolicy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/gopolicy/gopolicy/pkg/collect"
	"github.com/gopolicy/gopolicy/pkg/evidence"
	"github.com/gopolicy/gopolicy/pkg/facts"
	"github.com/gopolicy/gopolicy/pkg/oci"
)

// AttestRequest is what to attest and how to sign it.
type AttestRequest struct {
	// Subject is the build: its project directory and the binaries it
	// made. Every binary is hashed and named in the statement.
	Subject Subject
	// Image, when set, is also named: "name@sha256:<hex>", or a tag,
	// which Registry resolves to the digest it names now.
	Image string
	// Push stores the attestation in Image's registry, as an OCI 1.1
	// referrer and on cosign's sha256-<hex>.att tag, where admission
	// (gopolicy serve, cosign, policy-controller) looks for it.
	Push bool
	// Registry reaches Image's registry; nil: the default keychain.
	Registry *oci.Registry
	// Key signs; RekorURL and TSAURL, when set, log and timestamp the
	// signature.
	Key      *evidence.PrivateKey
	RekorURL string
	// RekorVersion is RekorURL's API: evidence.RekorV1 (also when 0) or
	// evidence.RekorV2 (rekor-tiles).
	RekorVersion int
	TSAURL       string
}

// Attestation is a signed facts attestation and what it states.
type Attestation struct {
	// Bundle is the Sigstore bundle (JSON) to ship beside the binaries.
	Bundle []byte
	// Facts is the document attested.
	Facts *facts.Document
	// Subjects are the statement's subjects.
	Subjects []evidence.Subject
	// Image is the image named, by digest; Pushed says where the
	// attestation was stored in its registry (Push).
	Image  string
	Pushed *oci.Pushed
}

// PushError is an attestation that was signed but could not be stored in
// the registry; Attest returns the attestation with it, so that it is not
// lost.
type PushError struct{ Err error }

func (e *PushError) Error() string { return "push attestation: " + e.Err.Error() }
func (e *PushError) Unwrap() error { return e.Err }

// Attest collects the build's facts and signs them as an in-toto
// statement about its binaries, in a Sigstore bundle. Facts that could
// not be collected are refused: a signature would vouch for an error.
func Attest(ctx context.Context, cfg Config, req AttestRequest) (*Attestation, error) {
	if len(req.Subject.Binaries) == 0 {
		return nil, &collect.InputError{Err: errors.New("nothing to attest: give the built binaries with --binary")}
	}
	if req.Subject.Dir == "" {
		return nil, &collect.InputError{Err: errors.New("attest needs the project directory the binaries were built from (--dir)")}
	}
	if req.Key == nil {
		return nil, &collect.InputError{Err: errors.New("attest needs a signing key (--key)")}
	}
	if req.Push && req.Image == "" {
		return nil, &collect.InputError{Err: errors.New("pushing the attestation needs the image it is about (--image)")}
	}
	reg := req.Registry
	if reg == nil {
		reg = &oci.Registry{}
	}
	// The image is resolved before anything is signed: a tag that names
	// nothing fails fast, and the digest signed is the one pushed to.
	var image name.Digest
	if req.Image != "" {
		d, err := resolveImage(ctx, reg, req.Image, req.Push)
		if err != nil {
			return nil, err
		}
		image = d
	}
	cfg.NoHash = false
	doc, err := Collect(ctx, cfg, req.Subject)
	if err != nil {
		return nil, err
	}
	var problems []string
	for _, name := range sortedNames(doc.Collectors) {
		for _, p := range doc.Collectors[name].Problems {
			problems = append(problems, p.String())
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("the facts could not all be collected, so they are not attested: %s", strings.Join(problems, "; "))
	}
	var subjects []evidence.Subject
	for _, b := range doc.Binaries {
		s, err := evidence.BinarySubject(b.Path, b.SHA256)
		if err != nil {
			return nil, fmt.Errorf("attest %s: %w", b.Path, err)
		}
		subjects = append(subjects, s)
	}
	if req.Image != "" {
		s, err := evidence.ImageSubject(image.Context().Name(), image.DigestStr())
		if err != nil {
			return nil, &collect.InputError{Err: fmt.Errorf("--image %q: %w", req.Image, err)}
		}
		subjects = append(subjects, s)
	}
	data, err := MarshalFacts(doc)
	if err != nil {
		return nil, err
	}
	bundle, err := evidence.Attest(ctx, evidence.AttestOptions{Subjects: subjects, Facts: data, Key: req.Key, RekorURL: req.RekorURL, RekorVersion: req.RekorVersion, TSAURL: req.TSAURL})
	if err != nil {
		return nil, fmt.Errorf("attest: %w", err)
	}
	att := &Attestation{Bundle: bundle, Facts: doc, Subjects: subjects}
	if req.Image != "" {
		att.Image = image.String()
	}
	if req.Push {
		p, err := reg.PushAttestation(ctx, image, bundle, evidence.FactsPredicateType)
		if err != nil {
			return att, &PushError{Err: err}
		}
		att.Pushed = &p
	}
	return att, nil
}

// resolveImage parses an image reference; a tag is resolved to the
// digest it names now, which only the registry can say.
func resolveImage(ctx context.Context, reg *oci.Registry, ref string, online bool) (name.Digest, error) {
	r, err := reg.ParseReference(ref)
	if err != nil {
		return name.Digest{}, &collect.InputError{Err: fmt.Errorf("--image %q: %w", ref, err)}
	}
	if d, ok := r.(name.Digest); ok {
		return d, nil
	}
	if !online {
		return name.Digest{}, &collect.InputError{Err: fmt.Errorf("--image %q is a tag: give NAME@sha256:DIGEST, or push the attestation so the registry resolves the tag", ref)}
	}
	d, err := reg.Resolve(ctx, r)
	if err != nil {
		return name.Digest{}, fmt.Errorf("--image %q: %w", ref, err)
	}
	return d, nil
}

func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
