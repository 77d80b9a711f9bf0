package oci

import (
	"bytes"
	"encoding/json"
	"testing"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// A Rekor v1 entry survives the trip through cosign's annotation: what
// PushAttestation writes on the .att tag, legacyBundle reads back.
func TestCosignRekorAnnotationRoundTrip(t *testing.T) {
	entry := &protorekor.TransparencyLogEntry{
		LogIndex:          42,
		LogId:             &protocommon.LogId{KeyId: []byte{0xde, 0xad, 0xbe, 0xef}},
		KindVersion:       &protorekor.KindVersion{Kind: "dsse", Version: "0.0.1"},
		IntegratedTime:    1763700000,
		InclusionPromise:  &protorekor.InclusionPromise{SignedEntryTimestamp: []byte("set-bytes")},
		CanonicalizedBody: []byte(`{"apiVersion":"0.0.1","kind":"dsse","spec":{}}`),
	}
	pb := &protobundle.Bundle{
		MediaType:            bundleV03MediaType,
		VerificationMaterial: &protobundle.VerificationMaterial{TlogEntries: []*protorekor.TransparencyLogEntry{entry}},
		Content: &protobundle.Bundle_DsseEnvelope{DsseEnvelope: &protodsse.Envelope{
			Payload: []byte(`{"_type":"https://in-toto.io/Statement/v1"}`), PayloadType: "application/vnd.in-toto+json",
			Signatures: []*protodsse.Signature{{Sig: []byte("sig")}},
		}},
	}
	ann, ok := cosignRekorBundle(pb)
	if !ok {
		t.Fatal("no annotation for a bundle with a signed entry timestamp")
	}
	layer, err := dsseLayer(pb, "https://example/p")
	if err != nil {
		t.Fatal(err)
	}
	rc, _ := layer.Layer.Uncompressed()
	var buf bytes.Buffer
	buf.ReadFrom(rc)
	data, sig, err := legacyBundle(buf.Bytes(), map[string]string{AnnotationCosignBundle: ann})
	if err != nil {
		t.Fatal(err)
	}
	if sig != "c2ln" {
		t.Errorf("signature %q, want base64 of the envelope's", sig)
	}
	back := &protobundle.Bundle{}
	if err := protojson.Unmarshal(data, back); err != nil {
		t.Fatal(err)
	}
	if back.GetMediaType() != bundleV01MediaType {
		t.Errorf("media type %s: a signed entry timestamp without an inclusion proof needs a v0.1 bundle", back.GetMediaType())
	}
	if got := back.GetVerificationMaterial().GetTlogEntries()[0]; !proto.Equal(got, entry) {
		t.Errorf("entry changed on the way:\n got %v\nwant %v", got, entry)
	}
	if !proto.Equal(back.GetDsseEnvelope(), pb.GetDsseEnvelope()) {
		t.Errorf("envelope changed on the way")
	}
}

func TestLegacyBundleRefusesWhatCosignDoesNotWrite(t *testing.T) {
	env := `{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[{"sig":"c2ln"}]}`
	for name, c := range map[string]struct {
		env string
		ann map[string]string
	}{
		"not json":          {"{", nil},
		"no signature":      {`{"payloadType":"x","payload":"e30=","signatures":[]}`, nil},
		"bad payload":       {`{"payloadType":"x","payload":"!!","signatures":[{"sig":"c2ln"}]}`, nil},
		"bad annotation":    {env, map[string]string{AnnotationCosignBundle: "{"}},
		"body not an entry": {env, map[string]string{AnnotationCosignBundle: `{"SignedEntryTimestamp":"c2V0","Payload":{"body":"e30=","logID":"00"}}`}},
		"bad log id":        {env, map[string]string{AnnotationCosignBundle: `{"SignedEntryTimestamp":"c2V0","Payload":{"body":"e30=","logID":"zz"}}`}},
	} {
		if _, _, err := legacyBundle([]byte(c.env), c.ann); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// FuzzLegacyBundle: a registry's layer and annotation are anyone's; the
// conversion never panics, and what it returns is a bundle.
func FuzzLegacyBundle(f *testing.F) {
	f.Add([]byte(`{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[{"sig":"c2ln"}]}`), `{"SignedEntryTimestamp":"c2V0","Payload":{"body":"eyJraW5kIjoiZHNzZSIsImFwaVZlcnNpb24iOiIwLjAuMSJ9","integratedTime":1,"logIndex":2,"logID":"00ff"}}`)
	f.Add([]byte(`{}`), ``)
	f.Fuzz(func(t *testing.T, env []byte, ann string) {
		anns := map[string]string{}
		if ann != "" {
			anns[AnnotationCosignBundle] = ann
		}
		data, _, err := legacyBundle(env, anns)
		if err != nil {
			return
		}
		if !json.Valid(data) {
			t.Fatalf("not JSON: %s", data)
		}
		if err := protojson.Unmarshal(data, &protobundle.Bundle{}); err != nil {
			t.Fatalf("not a bundle: %v", err)
		}
	})
}
