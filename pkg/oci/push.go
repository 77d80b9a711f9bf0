package oci

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// Media types and annotations of the layouts gopolicy writes. They are
// the ones cosign writes and reads (cosign's specs/BUNDLE_SPEC.md for
// referrers; its signature layout for the .att tag), so each tool finds
// the other's attestations.
const (
	// DSSEMediaType is a layer holding a DSSE envelope (cosign's .att tag).
	DSSEMediaType = "application/vnd.dsse.envelope.v1+json"
	// AnnotationPredicateType names the in-toto predicate of a .att layer.
	AnnotationPredicateType = "predicateType"
	// AnnotationCosignSignature is cosign's signature annotation; an
	// attestation's signature is inside its envelope, so it is empty, but
	// cosign reads no layer without it.
	AnnotationCosignSignature = "dev.cosignproject.cosign/signature"
	// AnnotationCosignBundle carries a Rekor v1 entry (its signed entry
	// timestamp and body) on a .att layer, for offline verification.
	AnnotationCosignBundle = "dev.sigstore.cosign/bundle"
	// AnnotationBundleContent and AnnotationBundlePredicateType describe a
	// bundle referrer.
	AnnotationBundleContent       = "dev.sigstore.bundle.content"
	AnnotationBundlePredicateType = "dev.sigstore.bundle.predicateType"
	annotationCreated             = "org.opencontainers.image.created"
	// emptyMediaType is the OCI empty descriptor's, an artifact's config.
	emptyMediaType = "application/vnd.oci.empty.v1+json"
)

// AttTag is cosign's tag for the attestations of an image digest:
// sha256-<hex>.att in the image's repository.
func AttTag(d name.Digest) name.Tag {
	return d.Context().Tag(strings.Replace(d.DigestStr(), ":", "-", 1) + ".att")
}

// Pushed says where an attestation was stored.
type Pushed struct {
	// Referrer is the digest reference of the OCI 1.1 referrer manifest.
	Referrer string `json:"referrer"`
	// AttTag is the cosign .att tag the attestation was appended to.
	AttTag string `json:"att_tag"`
	// AttLayers is how many layers the .att tag now holds (each
	// gopolicy attestation is two: its DSSE envelope and its bundle).
	AttLayers int `json:"att_layers"`
}

// PushAttestation stores a Sigstore bundle holding a DSSE-signed
// attestation about image d twice: as an OCI 1.1 referrer (a bundle
// artifact whose subject is d; registries without the referrers API get
// the referrers tag scheme), and appended to cosign's sha256-<hex>.att tag
// as a DSSE envelope layer (what cosign verify-attestation reads) followed
// by the bundle itself (what gopolicy reads: it keeps the log entry and
// its inclusion proof). Attestations already on the tag are kept.
func (r *Registry) PushAttestation(ctx context.Context, d name.Digest, bundleJSON []byte, predicateType string) (Pushed, error) {
	pb := &protobundle.Bundle{}
	if err := protojson.Unmarshal(bundleJSON, pb); err != nil {
		return Pushed{}, fmt.Errorf("push attestation: not a Sigstore bundle: %w", err)
	}
	env := pb.GetDsseEnvelope()
	if env == nil {
		return Pushed{}, errors.New("push attestation: the bundle holds no DSSE envelope (only attestations are pushed)")
	}
	mediaType := pb.GetMediaType()
	if !isBundle(types.MediaType(mediaType)) {
		return Pushed{}, fmt.Errorf("push attestation: bundle media type %q is not a Sigstore bundle's", mediaType)
	}
	opts := r.options(ctx)
	subject, err := remote.Head(d, opts...)
	if err != nil {
		return Pushed{}, classify(fmt.Errorf("push attestation: image %s: %w", d, err))
	}
	created := time.Now().UTC().Format(time.RFC3339)

	art, err := referrerArtifact(bundleJSON, mediaType, predicateType, created, *subject)
	if err != nil {
		return Pushed{}, err
	}
	artDigest, err := art.Digest()
	if err != nil {
		return Pushed{}, fmt.Errorf("push attestation: %w", err)
	}
	ref := d.Context().Digest(artDigest.String())
	if err := remote.Write(ref, art, opts...); err != nil {
		return Pushed{}, &RegistryError{Err: fmt.Errorf("push referrer of %s: %w", d, err)}
	}

	envLayer, err := dsseLayer(pb, predicateType)
	if err != nil {
		return Pushed{}, err
	}
	bundleLayer := mutate.Addendum{Layer: static.NewLayer(bundleJSON, types.MediaType(mediaType)), MediaType: types.MediaType(mediaType)}
	tag := AttTag(d)
	att, n, err := r.appendAtt(ctx, tag, envLayer, bundleLayer)
	if err != nil {
		return Pushed{}, err
	}
	if err := remote.Write(tag, att, opts...); err != nil {
		return Pushed{}, &RegistryError{Err: fmt.Errorf("push %s: %w", tag, err)}
	}
	return Pushed{Referrer: ref.String(), AttTag: tag.String(), AttLayers: n}, nil
}

// referrerArtifact is the bundle as an OCI 1.1 artifact manifest: the
// empty config, one bundle layer, the bundle media type as artifact type,
// and the image as subject.
func referrerArtifact(bundleJSON []byte, mediaType, predicateType, created string, subject v1.Descriptor) (v1.Image, error) {
	img, err := mutate.Append(empty.Image, mutate.Addendum{
		Layer:     static.NewLayer(bundleJSON, types.MediaType(mediaType)),
		MediaType: types.MediaType(mediaType),
	})
	if err != nil {
		return nil, fmt.Errorf("push attestation: %w", err)
	}
	img = mutate.MediaType(img, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img = mutate.Annotations(img, map[string]string{
		annotationCreated:             created,
		AnnotationBundleContent:       "dsse-envelope",
		AnnotationBundlePredicateType: predicateType,
	}).(v1.Image)
	img = mutate.Subject(img, subject).(v1.Image)
	return withArtifactType{Image: img, artifactType: mediaType}, nil
}

// withArtifactType adds the OCI 1.1 artifactType field to a manifest and
// uses the empty descriptor as config, which go-containerregistry's
// mutate does not write.
type withArtifactType struct {
	v1.Image
	artifactType string
}

var emptyJSON = []byte("{}")

func (w withArtifactType) RawManifest() ([]byte, error) {
	m, err := w.Image.Manifest()
	if err != nil {
		return nil, err
	}
	m = m.DeepCopy()
	m.Config = v1.Descriptor{
		MediaType: emptyMediaType,
		Size:      int64(len(emptyJSON)),
		Digest:    mustSHA256(emptyJSON),
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, err
	}
	at, _ := json.Marshal(w.artifactType)
	fields["artifactType"] = at
	return json.Marshal(fields)
}

func (w withArtifactType) Manifest() (*v1.Manifest, error) {
	raw, err := w.RawManifest()
	if err != nil {
		return nil, err
	}
	return v1.ParseManifest(bytes.NewReader(raw))
}

func (w withArtifactType) Digest() (v1.Hash, error) {
	raw, err := w.RawManifest()
	if err != nil {
		return v1.Hash{}, err
	}
	h, _, err := v1.SHA256(bytes.NewReader(raw))
	return h, err
}

func (w withArtifactType) Size() (int64, error) {
	raw, err := w.RawManifest()
	return int64(len(raw)), err
}

// RawConfigFile is the empty descriptor's content: the config blob the
// manifest names must be the one uploaded.
func (w withArtifactType) RawConfigFile() ([]byte, error) { return emptyJSON, nil }

func (w withArtifactType) ConfigName() (v1.Hash, error) { return mustSHA256(emptyJSON), nil }

func (w withArtifactType) ArtifactType() (string, error) { return w.artifactType, nil }

func mustSHA256(b []byte) v1.Hash {
	h, _, err := v1.SHA256(bytes.NewReader(b))
	if err != nil {
		panic(err) // reading from memory cannot fail
	}
	return h
}

// dsseLayer is the envelope as cosign stores an attestation: the DSSE
// JSON, the predicate type, and, when the bundle holds a Rekor v1 entry
// with a signed entry timestamp, that entry in cosign's bundle annotation.
// The JSON is the envelope's encoding/json form, the bytes sigstore-go
// sends to a Rekor v1 log: a dsse entry records their SHA-256 as its
// envelope hash, which cosign matches against the layer.
func dsseLayer(pb *protobundle.Bundle, predicateType string) (mutate.Addendum, error) {
	data, err := json.Marshal(pb.GetDsseEnvelope())
	if err != nil {
		return mutate.Addendum{}, fmt.Errorf("push attestation: %w", err)
	}
	ann := map[string]string{AnnotationPredicateType: predicateType, AnnotationCosignSignature: ""}
	if b, ok := cosignRekorBundle(pb); ok {
		ann[AnnotationCosignBundle] = b
	}
	return mutate.Addendum{Layer: static.NewLayer(data, DSSEMediaType), MediaType: DSSEMediaType, Annotations: ann}, nil
}

// cosignRekorBundle renders a Rekor v1 entry of the bundle in cosign's
// annotation form: the signed entry timestamp over body, integrated time,
// log index and log id.
func cosignRekorBundle(pb *protobundle.Bundle) (string, bool) {
	for _, e := range pb.GetVerificationMaterial().GetTlogEntries() {
		set := e.GetInclusionPromise().GetSignedEntryTimestamp()
		if len(set) == 0 || len(e.GetCanonicalizedBody()) == 0 {
			continue
		}
		type payload struct {
			Body           string `json:"body"`
			IntegratedTime int64  `json:"integratedTime"`
			LogIndex       int64  `json:"logIndex"`
			LogID          string `json:"logID"`
		}
		b, err := json.Marshal(struct {
			SignedEntryTimestamp []byte  `json:"SignedEntryTimestamp"`
			Payload              payload `json:"Payload"`
		}{set, payload{
			Body:           base64.StdEncoding.EncodeToString(e.GetCanonicalizedBody()),
			IntegratedTime: e.GetIntegratedTime(),
			LogIndex:       e.GetLogIndex(),
			LogID:          hex.EncodeToString(e.GetLogId().GetKeyId()),
		}})
		if err != nil {
			return "", false
		}
		return string(b), true
	}
	return "", false
}

// appendAtt adds the layers to the image already under tag (or to an
// empty one), unless a layer with the same digest is there: pushing the
// same attestation twice changes nothing.
func (r *Registry) appendAtt(ctx context.Context, tag name.Tag, layers ...mutate.Addendum) (v1.Image, int, error) {
	base := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	existing, err := remote.Image(tag, r.options(ctx)...)
	have := map[v1.Hash]bool{}
	switch {
	case err == nil:
		base = existing
		m, err := existing.Manifest()
		if err != nil {
			return nil, 0, &RegistryError{Err: fmt.Errorf("read %s: %w", tag, err)}
		}
		for _, l := range m.Layers {
			have[l.Digest] = true
		}
	case !notFound(err):
		return nil, 0, classify(fmt.Errorf("read %s: %w", tag, err))
	}
	img := base
	for _, add := range layers {
		dg, err := add.Layer.Digest()
		if err != nil {
			return nil, 0, fmt.Errorf("push attestation: %w", err)
		}
		if have[dg] {
			continue
		}
		if img, err = mutate.Append(img, add); err != nil {
			return nil, 0, fmt.Errorf("push attestation: %w", err)
		}
	}
	m, err := img.Manifest()
	if err != nil {
		return nil, 0, fmt.Errorf("push attestation: %w", err)
	}
	return img, len(m.Layers), nil
}
