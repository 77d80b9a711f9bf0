// Package oci reads and writes gopolicy's attestations in OCI registries:
// it resolves image references to digests, finds the Sigstore bundles
// stored for a digest (OCI 1.1 referrers and cosign's sha256-<hex>.att
// tag), and pushes new ones in both places, so that gopolicy, cosign and
// policy-controller find them where each looks.
package oci

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/gopolicy/gopolicy/pkg/evidence"
)

// maxReferrers bounds the referrers examined for one image.
const maxReferrers = 16

// Registry finds images and their attestations, and stores new ones. The
// zero value uses the default keychain (docker config, credential
// helpers).
type Registry struct {
	Keychain  authn.Keychain
	Transport http.RoundTripper
	// Insecure allows plain HTTP to any registry (registries on
	// localhost and private addresses always may).
	Insecure bool
}

// RegistryError is a failure to reach or read the registry: an outage,
// not a finding.
type RegistryError struct{ Err error }

func (e *RegistryError) Error() string { return "registry: " + e.Err.Error() }
func (e *RegistryError) Unwrap() error { return e.Err }

// FoundBundle is an attestation found for an image.
type FoundBundle struct {
	// Source says where: "referrer sha256:…" or "tag sha256-….att".
	Source string
	Data   []byte
}

func (r *Registry) options(ctx context.Context) []remote.Option {
	kc := r.Keychain
	if kc == nil {
		kc = authn.DefaultKeychain
	}
	next := r.Transport
	if next == nil {
		next = remote.DefaultTransport
	}
	return []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(kc), remote.WithTransport(limitManifests{next: next})}
}

// ParseReference parses an image reference.
func (r *Registry) ParseReference(ref string) (name.Reference, error) {
	var opts []name.Option
	if r.Insecure {
		opts = append(opts, name.Insecure)
	}
	return name.ParseReference(ref, opts...)
}

// Resolve turns a reference into its manifest digest. A digest reference
// is taken as is; a tag is asked of the registry every time (never
// cached: a tag moves).
func (r *Registry) Resolve(ctx context.Context, ref name.Reference) (name.Digest, error) {
	if d, ok := ref.(name.Digest); ok {
		return d, nil
	}
	desc, err := remote.Head(ref, r.options(ctx)...)
	if err != nil {
		return name.Digest{}, classify(err)
	}
	return ref.Context().Digest(desc.Digest.String()), nil
}

// classify tells an image that does not exist (a finding the caller
// reports) from an outage.
func classify(err error) error {
	var te *transport.Error
	if errors.As(err, &te) && (te.StatusCode == http.StatusNotFound || te.StatusCode == http.StatusUnauthorized || te.StatusCode == http.StatusForbidden) {
		return &NotFoundError{Err: err}
	}
	return &RegistryError{Err: err}
}

// NotFoundError is an image or tag the registry does not have (or will
// not show).
type NotFoundError struct{ Err error }

func (e *NotFoundError) Error() string { return e.Err.Error() }
func (e *NotFoundError) Unwrap() error { return e.Err }

func notFound(err error) bool {
	var te *transport.Error
	return errors.As(err, &te) && te.StatusCode == http.StatusNotFound
}

// Attestations finds the Sigstore bundles stored for an image digest: OCI
// 1.1 referrers (the referrers API, or its tag fallback) whose layers are
// bundles, and cosign's sha256-<hex>.att tag.
func (r *Registry) Attestations(ctx context.Context, d name.Digest) ([]FoundBundle, error) {
	var out []FoundBundle
	idx, err := remote.Referrers(d, r.options(ctx)...)
	if err != nil && !notFound(err) {
		return nil, &RegistryError{Err: fmt.Errorf("referrers of %s: %w", d, err)}
	}
	if idx != nil {
		m, err := idx.IndexManifest()
		if err != nil {
			return nil, &RegistryError{Err: fmt.Errorf("referrers of %s: %w", d, err)}
		}
		n := 0
		for _, desc := range m.Manifests {
			if !mayHoldBundle(desc.ArtifactType) {
				continue
			}
			if n++; n > maxReferrers {
				break
			}
			bundles, err := r.bundlesIn(ctx, d.Context().Digest(desc.Digest.String()))
			if err != nil {
				return nil, err
			}
			for _, b := range bundles {
				out = append(out, FoundBundle{Source: source("referrer "+desc.Digest.String(), b), Data: b.data})
			}
		}
	}
	tag := AttTag(d)
	bundles, err := r.bundlesIn(ctx, tag)
	if err != nil && !notFound(errors.Unwrap(err)) {
		var nf *NotFoundError
		if !errors.As(err, &nf) {
			return nil, err
		}
	}
	for _, b := range bundles {
		out = append(out, FoundBundle{Source: source("tag "+tag.TagStr(), b), Data: b.data})
	}
	return out, nil
}

func source(where string, b layerBundle) string {
	if b.legacy {
		return where + " (cosign DSSE layer)"
	}
	return where
}

// maxLayers bounds the layers read from one artifact or .att tag.
const maxLayers = 32

// bundlesIn reads the Sigstore-bundle layers of an artifact manifest, and
// cosign's classic DSSE-envelope layers, each turned into a bundle (see
// legacyBundle) unless a bundle layer of the same manifest already holds
// the same signature.
func (r *Registry) bundlesIn(ctx context.Context, ref name.Reference) ([]layerBundle, error) {
	img, err := remote.Image(ref, r.options(ctx)...)
	if err != nil {
		return nil, classify(err)
	}
	m, err := img.Manifest()
	if err != nil {
		return nil, &RegistryError{Err: err}
	}
	var out, envelopes []layerBundle
	for i, l := range m.Layers {
		if i >= maxLayers {
			break
		}
		bundle, dsse := isBundle(l.MediaType), l.MediaType == DSSEMediaType
		if !bundle && !dsse || l.Size > evidence.MaxBundleSize {
			continue
		}
		layer, err := img.LayerByDigest(l.Digest)
		if err != nil {
			return nil, &RegistryError{Err: err}
		}
		data, err := readLayer(layer)
		if err != nil {
			return nil, &RegistryError{Err: err}
		}
		if bundle {
			out = append(out, layerBundle{data: data})
		} else {
			envelopes = append(envelopes, layerBundle{data: data, annotations: l.Annotations})
		}
	}
	for _, e := range envelopes {
		b, sig, err := legacyBundle(e.data, e.annotations)
		if err != nil {
			// Not something cosign wrote; an attestation that cannot be
			// read is reported by verification, so pass it on as is.
			out = append(out, layerBundle{data: e.data, legacy: true})
			continue
		}
		if !slices.ContainsFunc(out, func(x layerBundle) bool { return !x.legacy && bytes.Contains(x.data, []byte(sig)) }) {
			out = append(out, layerBundle{data: b, legacy: true})
		}
	}
	return out, nil
}

// layerBundle is a bundle read from a layer; legacy when it was made from
// a cosign DSSE-envelope layer.
type layerBundle struct {
	data        []byte
	annotations map[string]string
	legacy      bool
}

// mayHoldBundle says whether a referrer of this artifact type is worth
// reading. Some registries report the config's media type instead of the
// manifest's artifactType, which for an artifact is the empty
// descriptor's: those are read too, and their layers decide.
func mayHoldBundle(artifactType string) bool {
	switch artifactType {
	case "", emptyMediaType:
		return true
	}
	return isBundle(types.MediaType(artifactType))
}

func isBundle(mt types.MediaType) bool {
	return strings.HasPrefix(string(mt), "application/vnd.dev.sigstore.bundle")
}

func readLayer(l v1.Layer) ([]byte, error) {
	rc, err := l.Compressed()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, evidence.MaxBundleSize))
}
