package oci

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/secure-systems-lab/go-securesystemslib/dsse"

	"github.com/gopolicy/gopolicy/internal/ocitest"
	"github.com/gopolicy/gopolicy/pkg/evidence"
)

// registries are the registries the push tests run against: the
// in-process one (referrers API) always, and a real one (Debian's
// docker-registry: no referrers API, so the tag scheme) when
// GOPOLICY_REGISTRY names it.
func registries(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{"in-process": ocitest.Registry(t)}
	if host := os.Getenv("GOPOLICY_REGISTRY"); host != "" {
		out["docker-registry"] = host
	} else {
		t.Log("GOPOLICY_REGISTRY is not set: the push tests run against the in-process registry only (scripts/registry/start.sh starts a real one)")
	}
	return out
}

func attestImage(t *testing.T, key *evidence.PrivateKey, d name.Digest) []byte {
	t.Helper()
	is, err := evidence.ImageSubject(d.Context().Name(), d.DigestStr())
	if err != nil {
		t.Fatal(err)
	}
	b, err := evidence.Attest(context.Background(), evidence.AttestOptions{
		Subjects: []evidence.Subject{is},
		Facts:    []byte(`{"schema_version":"1","note":"` + d.DigestStr() + `"}`),
		Key:      key,
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPushAttestationIsFoundInBothPlaces(t *testing.T) {
	key := ocitest.SigningKey(t)
	for kind, host := range registries(t) {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			r := &Registry{}
			d := ocitest.PushImage(t, host, "push/app", "v1")
			bundle := attestImage(t, key, d)

			p, err := r.PushAttestation(ctx, d, bundle, evidence.FactsPredicateType)
			if err != nil {
				t.Fatal(err)
			}
			if p.AttTag != AttTag(d).String() || p.AttLayers != 2 {
				t.Fatalf("pushed %+v, want tag %s with 2 layers", p, AttTag(d))
			}
			found, err := r.Attestations(ctx, d)
			if err != nil {
				t.Fatal(err)
			}
			var sources []string
			for _, f := range found {
				if !bytes.Equal(f.Data, bundle) {
					t.Errorf("%s: bundle changed on the way", f.Source)
				}
				sources = append(sources, strings.Fields(f.Source)[0])
			}
			if strings.Join(sources, ",") != "referrer,tag" {
				t.Fatalf("found in %v, want [referrer tag]", sources)
			}

			// Pushing the same attestation again adds nothing.
			again, err := r.PushAttestation(ctx, d, bundle, evidence.FactsPredicateType)
			if err != nil {
				t.Fatal(err)
			}
			if again.AttLayers != 2 || again.Referrer != p.Referrer {
				t.Errorf("second push: %+v, want the same referrer and 2 layers", again)
			}

			// A second attestation is appended; the first is kept.
			other := attestImage(t, ocitest.SigningKey(t), d)
			third, err := r.PushAttestation(ctx, d, other, evidence.FactsPredicateType)
			if err != nil {
				t.Fatal(err)
			}
			if third.AttLayers != 4 {
				t.Errorf("after another attestation the tag holds %d layers, want 4", third.AttLayers)
			}
			found, err = r.Attestations(ctx, d)
			if err != nil {
				t.Fatal(err)
			}
			if len(found) != 4 {
				t.Errorf("found %d attestations, want 4 (2 referrers, 2 on the tag)", len(found))
			}
		})
	}
}

func TestPushedLayoutsAreCosigns(t *testing.T) {
	key := ocitest.SigningKey(t)
	for kind, host := range registries(t) {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			r := &Registry{}
			d := ocitest.PushImage(t, host, "layout/app", "v1")
			bundle := attestImage(t, key, d)
			p, err := r.PushAttestation(ctx, d, bundle, evidence.FactsPredicateType)
			if err != nil {
				t.Fatal(err)
			}

			// The referrer: an OCI 1.1 artifact as cosign's bundle spec
			// describes it.
			ref, err := name.NewDigest(p.Referrer)
			if err != nil {
				t.Fatal(err)
			}
			desc, err := remote.Get(ref)
			if err != nil {
				t.Fatal(err)
			}
			var m struct {
				MediaType    string            `json:"mediaType"`
				ArtifactType string            `json:"artifactType"`
				Config       v1.Descriptor     `json:"config"`
				Layers       []v1.Descriptor   `json:"layers"`
				Subject      *v1.Descriptor    `json:"subject"`
				Annotations  map[string]string `json:"annotations"`
			}
			if err := json.Unmarshal(desc.Manifest, &m); err != nil {
				t.Fatal(err)
			}
			want := fmt.Sprintf("mt=%s at=%s config=%s layers=1:%s subject=%s content=dsse-envelope predicate=%s",
				types.OCIManifestSchema1, evidence.BundleMediaType, "application/vnd.oci.empty.v1+json", evidence.BundleMediaType, d.DigestStr(), evidence.FactsPredicateType)
			subject := ""
			if m.Subject != nil {
				subject = m.Subject.Digest.String()
			}
			layerType := ""
			if len(m.Layers) > 0 {
				layerType = string(m.Layers[0].MediaType)
			}
			got := fmt.Sprintf("mt=%s at=%s config=%s layers=%d:%s subject=%s content=%s predicate=%s",
				m.MediaType, m.ArtifactType, m.Config.MediaType, len(m.Layers), layerType, subject, m.Annotations[AnnotationBundleContent], m.Annotations[AnnotationBundlePredicateType])
			if got != want {
				t.Errorf("referrer manifest:\n got %s\nwant %s", got, want)
			}
			if m.Config.Digest.String() != "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a" {
				t.Errorf("config %s is not the empty descriptor", m.Config.Digest)
			}

			// The .att tag: a DSSE envelope layer cosign verifies with the
			// key, then the bundle.
			img, err := remote.Image(AttTag(d))
			if err != nil {
				t.Fatal(err)
			}
			am, err := img.Manifest()
			if err != nil {
				t.Fatal(err)
			}
			if len(am.Layers) != 2 || am.Layers[0].MediaType != DSSEMediaType || string(am.Layers[1].MediaType) != evidence.BundleMediaType {
				t.Fatalf(".att layers %+v, want a DSSE envelope then the bundle", am.Layers)
			}
			if got := am.Layers[0].Annotations[AnnotationPredicateType]; got != evidence.FactsPredicateType {
				t.Errorf("DSSE layer predicateType %q", got)
			}
			if _, ok := am.Layers[0].Annotations[AnnotationCosignBundle]; ok {
				t.Errorf("an attestation that was never logged carries a Rekor bundle annotation")
			}
			l, err := img.LayerByDigest(am.Layers[0].Digest)
			if err != nil {
				t.Fatal(err)
			}
			rc, err := l.Uncompressed()
			if err != nil {
				t.Fatal(err)
			}
			data, _ := io.ReadAll(rc)
			rc.Close()
			var env dsse.Envelope
			if err := json.Unmarshal(data, &env); err != nil {
				t.Fatal(err)
			}
			verifyEnvelope(t, key, env)
			payload, _ := base64.StdEncoding.DecodeString(env.Payload)
			if !bytes.Contains(payload, []byte(d.DigestStr()[len("sha256:"):])) {
				t.Error("the envelope's statement does not name the image digest")
			}
		})
	}
}

// verifyEnvelope checks the envelope's signature over DSSE's
// pre-authentication encoding, as any DSSE verifier does.
func verifyEnvelope(t *testing.T, key *evidence.PrivateKey, env dsse.Envelope) {
	t.Helper()
	payload, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil || len(env.Signatures) != 1 {
		t.Fatalf("envelope: %d signatures, payload error %v", len(env.Signatures), err)
	}
	sig, err := base64.StdEncoding.DecodeString(env.Signatures[0].Sig)
	if err != nil {
		t.Fatal(err)
	}
	pub := key.Public().(*ecdsa.PublicKey)
	h := sha256.Sum256(dsse.PAE(env.PayloadType, payload))
	if !ecdsa.VerifyASN1(pub, h[:], sig) {
		t.Fatal("the DSSE envelope's signature does not verify with the signing key")
	}
	h = sha256.Sum256(dsse.PAE(env.PayloadType, append(payload, ' ')))
	if ecdsa.VerifyASN1(pub, h[:], sig) {
		t.Fatal("the signature verifies over another payload")
	}
}

func TestPushKeepsForeignLayersOnTheAttTag(t *testing.T) {
	host := registries(t)["in-process"]
	d := ocitest.PushImage(t, host, "foreign/app", "v1")
	// Something else (cosign) attested first.
	foreign, err := mutate.Append(mutate.MediaType(empty.Image, types.OCIManifestSchema1), mutate.Addendum{
		Layer: static.NewLayer([]byte(`{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[]}`), DSSEMediaType), MediaType: DSSEMediaType,
		Annotations: map[string]string{AnnotationPredicateType: "https://slsa.dev/provenance/v1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(AttTag(d), foreign); err != nil {
		t.Fatal(err)
	}
	p, err := (&Registry{}).PushAttestation(context.Background(), d, attestImage(t, ocitest.SigningKey(t), d), evidence.FactsPredicateType)
	if err != nil {
		t.Fatal(err)
	}
	if p.AttLayers != 3 {
		t.Fatalf(".att holds %d layers, want the foreign one and ours (3)", p.AttLayers)
	}
	img, err := remote.Image(AttTag(d))
	if err != nil {
		t.Fatal(err)
	}
	m, _ := img.Manifest()
	if m.Layers[0].Annotations[AnnotationPredicateType] != "https://slsa.dev/provenance/v1" {
		t.Errorf("the foreign attestation was not kept first: %+v", m.Layers[0])
	}
}

func TestPushRefusesWhatIsNotAnAttestation(t *testing.T) {
	host := registries(t)["in-process"]
	d := ocitest.PushImage(t, host, "refuse/app", "v1")
	r := &Registry{}
	for name, data := range map[string][]byte{
		"not json":       []byte("nope"),
		"message bundle": []byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{"hint":"x"}},"messageSignature":{"messageDigest":{"algorithm":"SHA2_256","digest":"AAAA"},"signature":"AAAA"}}`),
	} {
		if _, err := r.PushAttestation(context.Background(), d, data, evidence.FactsPredicateType); err == nil {
			t.Errorf("%s: pushed", name)
		}
	}
	missing := d.Context().Digest("sha256:" + strings.Repeat("0", 64))
	_, err := r.PushAttestation(context.Background(), missing, attestImage(t, ocitest.SigningKey(t), d), evidence.FactsPredicateType)
	var nf *NotFoundError
	if !errors.As(err, &nf) {
		t.Errorf("push for an image the registry does not have: %v, want a not-found error", err)
	}
}
