package oci

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// Bundle media types for what cosign's classic layout can prove: with a
// Rekor entry it carries a signed entry timestamp but no inclusion proof,
// which only a v0.1 bundle may hold.
const (
	bundleV01MediaType = "application/vnd.dev.sigstore.bundle+json;version=0.1"
	bundleV03MediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"
)

// legacyBundle turns a DSSE envelope layer of cosign's classic .att layout
// into a Sigstore bundle, so that it is verified like any other: the
// envelope, a key hint left empty (the verifier's pinned keys decide), and
// the Rekor entry of cosign's bundle annotation, when there is one, with
// its signed entry timestamp. It returns the bundle and the envelope's
// first signature (base64), by which a copy already stored as a bundle is
// recognised.
func legacyBundle(envelopeJSON []byte, annotations map[string]string) ([]byte, string, error) {
	var env dsse.Envelope
	if err := json.Unmarshal(envelopeJSON, &env); err != nil {
		return nil, "", fmt.Errorf("cosign DSSE layer: %w", err)
	}
	if len(env.Signatures) == 0 || env.PayloadType == "" {
		return nil, "", errors.New("cosign DSSE layer: no signature")
	}
	payload, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		return nil, "", fmt.Errorf("cosign DSSE layer: payload: %w", err)
	}
	pe := &protodsse.Envelope{Payload: payload, PayloadType: env.PayloadType}
	for _, s := range env.Signatures {
		sig, err := base64.StdEncoding.DecodeString(s.Sig)
		if err != nil {
			return nil, "", fmt.Errorf("cosign DSSE layer: signature: %w", err)
		}
		pe.Signatures = append(pe.Signatures, &protodsse.Signature{Sig: sig, Keyid: s.KeyID})
	}
	b := &protobundle.Bundle{
		MediaType: bundleV03MediaType,
		VerificationMaterial: &protobundle.VerificationMaterial{
			Content: &protobundle.VerificationMaterial_PublicKey{PublicKey: &protocommon.PublicKeyIdentifier{}},
		},
		Content: &protobundle.Bundle_DsseEnvelope{DsseEnvelope: pe},
	}
	if raw, ok := annotations[AnnotationCosignBundle]; ok {
		entry, err := rekorEntry(raw)
		if err != nil {
			return nil, "", err
		}
		b.MediaType = bundleV01MediaType
		b.VerificationMaterial.TlogEntries = []*protorekor.TransparencyLogEntry{entry}
	}
	out, err := protojson.Marshal(b)
	if err != nil {
		return nil, "", err
	}
	return out, env.Signatures[0].Sig, nil
}

// rekorEntry reads cosign's bundle annotation: a Rekor v1 entry's body,
// integrated time, index and log id, and its signed entry timestamp.
func rekorEntry(raw string) (*protorekor.TransparencyLogEntry, error) {
	var rb struct {
		SignedEntryTimestamp []byte
		Payload              struct {
			Body           string `json:"body"`
			IntegratedTime int64  `json:"integratedTime"`
			LogIndex       int64  `json:"logIndex"`
			LogID          string `json:"logID"`
		}
	}
	if err := json.Unmarshal([]byte(raw), &rb); err != nil {
		return nil, fmt.Errorf("cosign bundle annotation: %w", err)
	}
	body, err := base64.StdEncoding.DecodeString(rb.Payload.Body)
	if err != nil {
		return nil, fmt.Errorf("cosign bundle annotation: body: %w", err)
	}
	logID, err := hex.DecodeString(rb.Payload.LogID)
	if err != nil {
		return nil, fmt.Errorf("cosign bundle annotation: log id: %w", err)
	}
	var kind struct {
		Kind       string `json:"kind"`
		APIVersion string `json:"apiVersion"`
	}
	if err := json.Unmarshal(body, &kind); err != nil || kind.Kind == "" {
		return nil, fmt.Errorf("cosign bundle annotation: body is not a Rekor entry")
	}
	return &protorekor.TransparencyLogEntry{
		LogIndex:          rb.Payload.LogIndex,
		LogId:             &protocommon.LogId{KeyId: logID},
		KindVersion:       &protorekor.KindVersion{Kind: kind.Kind, Version: kind.APIVersion},
		IntegratedTime:    rb.Payload.IntegratedTime,
		InclusionPromise:  &protorekor.InclusionPromise{SignedEntryTimestamp: rb.SignedEntryTimestamp},
		CanonicalizedBody: body,
	}, nil
}
