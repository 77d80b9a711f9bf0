package gopolicy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/gopolicy/gopolicy/pkg/collect"
	"github.com/gopolicy/gopolicy/pkg/evidence"
	"github.com/gopolicy/gopolicy/pkg/facts"
)

// AttestRequest is what to attest and how to sign it.
type AttestRequest struct {
	// Subject is the build: its project directory and the binaries it
	// made. Every binary is hashed and named in the statement.
	Subject Subject
	// Image, when set, is also named: "name@sha256:<hex>".
	Image string
	// Key signs; RekorURL and TSAURL, when set, log and timestamp the
	// signature.
	Key      *evidence.PrivateKey
	RekorURL string
	TSAURL   string
}

// Attestation is a signed facts attestation and what it states.
type Attestation struct {
	// Bundle is the Sigstore bundle (JSON) to ship beside the binaries.
	Bundle []byte
	// Facts is the document attested.
	Facts *facts.Document
	// Subjects are the statement's subjects.
	Subjects []evidence.Subject
}

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
		name, digest, ok := strings.Cut(req.Image, "@")
		if !ok {
			return nil, &collect.InputError{Err: fmt.Errorf("--image %q: want NAME@sha256:DIGEST", req.Image)}
		}
		s, err := evidence.ImageSubject(name, digest)
		if err != nil {
			return nil, &collect.InputError{Err: fmt.Errorf("--image %q: %w", req.Image, err)}
		}
		subjects = append(subjects, s)
	}
	data, err := MarshalFacts(doc)
	if err != nil {
		return nil, err
	}
	bundle, err := evidence.Attest(ctx, evidence.AttestOptions{Subjects: subjects, Facts: data, Key: req.Key, RekorURL: req.RekorURL, TSAURL: req.TSAURL})
	if err != nil {
		return nil, fmt.Errorf("attest: %w", err)
	}
	return &Attestation{Bundle: bundle, Facts: doc, Subjects: subjects}, nil
}

func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
