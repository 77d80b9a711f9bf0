package evidence

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"strings"

	intoto "github.com/in-toto/attestation/go/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"
)

// FactsPredicateType is the in-toto predicate type of a gopolicy facts
// attestation: the predicate is a gopolicy facts document.
const FactsPredicateType = "https://gopolicy.dev/attestations/facts/v1"

// InTotoPayloadType is the DSSE payload type of an in-toto statement.
const InTotoPayloadType = "application/vnd.in-toto+json"

// BundleMediaType is the media type of the bundles Attest writes.
const BundleMediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"

// Subject is one thing a statement is about: a binary or an image.
type Subject struct {
	Name string
	// Digest maps algorithm names (sha256…) to lower-case hex digests.
	Digest map[string]string
}

// BinarySubject names a binary by its file base name and SHA-256 (hex).
func BinarySubject(path, sha256Hex string) (Subject, error) {
	name := filepath.Base(path)
	if path == "" || name == "." || name == string(filepath.Separator) {
		return Subject{}, fmt.Errorf("evidence: binary subject %q has no file name", path)
	}
	d, err := parseDigest("sha256:" + sha256Hex)
	if err != nil {
		return Subject{}, fmt.Errorf("evidence: binary %s: %w", name, err)
	}
	return Subject{Name: name, Digest: map[string]string{d.alg: d.hex()}}, nil
}

// FileSubject hashes the file at path and names it by its base name.
func FileSubject(path string) (Subject, error) {
	f, err := os.Open(path)
	if err != nil {
		return Subject{}, fmt.Errorf("evidence: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return Subject{}, fmt.Errorf("evidence: hashing %s: %w", path, err)
	}
	return BinarySubject(path, hex.EncodeToString(h.Sum(nil)))
}

// ImageSubject names a container image by its reference without tag or
// digest (e.g. "ghcr.io/org/app") and its manifest digest
// ("sha256:<hex>").
func ImageSubject(name, digest string) (Subject, error) {
	if name == "" {
		return Subject{}, errors.New("evidence: image subject needs a name")
	}
	d, err := parseDigest(digest)
	if err != nil {
		return Subject{}, fmt.Errorf("evidence: image %s: %w", name, err)
	}
	if !strings.Contains(digest, ":") {
		return Subject{}, fmt.Errorf("evidence: image %s: digest %q needs an algorithm prefix (sha256:…)", name, digest)
	}
	return Subject{Name: name, Digest: map[string]string{d.alg: d.hex()}}, nil
}

// Statement builds the in-toto Statement v1 that Attest signs: the given
// subjects, predicate type FactsPredicateType, and the facts document
// (JSON; it must be an object) as predicate.
//
// The predicate travels as a protobuf Struct, in which every number is a
// float64. Statement refuses a facts document with a number that would
// not survive that exactly (an integer beyond 2^53), rather than sign
// something other than what it was given.
func Statement(subjects []Subject, factsJSON []byte) (*intoto.Statement, error) {
	if len(subjects) == 0 {
		return nil, errors.New("evidence: a statement needs at least one subject")
	}
	st := &intoto.Statement{
		Type:          intoto.StatementTypeUri,
		PredicateType: FactsPredicateType,
	}
	for _, s := range subjects {
		st.Subject = append(st.Subject, &intoto.ResourceDescriptor{Name: s.Name, Digest: s.Digest})
	}
	trimmed := bytes.TrimSpace(factsJSON)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, errors.New("evidence: the facts document must be a JSON object")
	}
	pred := &structpb.Struct{}
	if err := protojson.Unmarshal(trimmed, pred); err != nil {
		return nil, fmt.Errorf("evidence: facts document: %w", err)
	}
	st.Predicate = pred
	if err := st.Validate(); err != nil {
		return nil, fmt.Errorf("evidence: statement: %w", err)
	}
	back, err := protojson.Marshal(pred)
	if err != nil {
		return nil, fmt.Errorf("evidence: facts document: %w", err)
	}
	if err := sameJSON(trimmed, back); err != nil {
		return nil, fmt.Errorf("evidence: facts document cannot be carried exactly in an in-toto predicate: %w", err)
	}
	return st, nil
}

// sameJSON reports whether two JSON documents have the same values,
// comparing numbers exactly.
func sameJSON(a, b []byte) error {
	va, err := decodeNumbers(a)
	if err != nil {
		return err
	}
	vb, err := decodeNumbers(b)
	if err != nil {
		return err
	}
	return sameValue("", va, vb)
}

func decodeNumbers(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

func sameValue(path string, a, b any) error {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return fmt.Errorf("%s: object changed", pathOrRoot(path))
		}
		for k, v := range x {
			if err := sameValue(path+"/"+k, v, y[k]); err != nil {
				return err
			}
		}
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return fmt.Errorf("%s: array changed", pathOrRoot(path))
		}
		for i := range x {
			if err := sameValue(fmt.Sprintf("%s/%d", path, i), x[i], y[i]); err != nil {
				return err
			}
		}
	case json.Number:
		y, ok := b.(json.Number)
		if !ok {
			return fmt.Errorf("%s: number changed", pathOrRoot(path))
		}
		rx, okx := new(big.Rat).SetString(string(x))
		ry, oky := new(big.Rat).SetString(string(y))
		if !okx || !oky || rx.Cmp(ry) != 0 {
			return fmt.Errorf("%s: number %s would become %s", pathOrRoot(path), x, y)
		}
	default:
		if a != b {
			return fmt.Errorf("%s: value changed", pathOrRoot(path))
		}
	}
	return nil
}

func pathOrRoot(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

// digest is an algorithm and the raw digest bytes.
type digest struct {
	alg string // sha256, sha384, sha512
	raw []byte
}

func (d digest) hex() string    { return hex.EncodeToString(d.raw) }
func (d digest) String() string { return d.alg + ":" + d.hex() }

var digestLengths = map[string]int{"sha256": 32, "sha384": 48, "sha512": 64}

// parseDigest reads "alg:hex" or bare hex (SHA-256).
func parseDigest(s string) (digest, error) {
	alg, h, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok {
		alg, h = "sha256", alg
	}
	alg = strings.ToLower(alg)
	n, known := digestLengths[alg]
	if !known {
		return digest{}, fmt.Errorf("unsupported digest algorithm %q (want sha256, sha384 or sha512)", alg)
	}
	raw, err := hex.DecodeString(h)
	if err != nil || len(raw) != n {
		return digest{}, fmt.Errorf("%s digest %q is not %d hex characters", alg, h, 2*n)
	}
	return digest{alg: alg, raw: raw}, nil
}
