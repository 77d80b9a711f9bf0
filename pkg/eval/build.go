package eval

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/bundle"

	"github.com/gopolicy/gopolicy/pkg/decision"
)

// BuildOptions configure BuildBundle.
type BuildOptions struct {
	// Revision goes into the manifest; empty keeps the manifest's own.
	Revision string
	// SigningKey is a PEM private key; when set the bundle carries an OPA
	// .signatures.json over every file.
	SigningKey []byte
}

// BuildBundle packs a policy directory into an OPA bundle (.tar.gz) with a
// revision, signed when a key is given. It does not compile the policies:
// callers check them with New first, against the bundles they run beside.
func BuildBundle(dir string, w io.Writer, opts BuildOptions) (decision.BundleInfo, error) {
	// Read with the same checks and path layout as loading, so the files
	// signed are the files a directory or tarball of them verifies with.
	limits := DefaultLimits()
	tree, err := readDir(dir, limits)
	if err != nil {
		return decision.BundleInfo{}, &BundleError{dir, err}
	}
	b, err := bundle.NewCustomReader(tree.loader(nil)).
		WithSizeLimitBytes(limits.MaxFileBytes).
		WithRegoVersion(ast.RegoV1).
		WithSkipBundleVerification(true).
		Read()
	if err != nil {
		return decision.BundleInfo{}, &BundleError{dir, err}
	}
	if opts.Revision != "" {
		b.Manifest.Revision = opts.Revision
	}
	if b.Manifest.Revision == "" {
		return decision.BundleInfo{}, &BundleError{dir, errors.New("no revision: pass --revision or set revision in .manifest")}
	}
	if len(b.Modules) == 0 {
		return decision.BundleInfo{}, &BundleError{dir, errors.New("no .rego files")}
	}
	info := decision.BundleInfo{Revision: b.Manifest.Revision, Source: dir}
	if opts.SigningKey != nil {
		alg, err := privateKey(opts.SigningKey)
		if err != nil {
			return decision.BundleInfo{}, fmt.Errorf("signing key: %w", err)
		}
		sc := bundle.NewSigningConfig(string(opts.SigningKey), alg, "")
		if err := b.GenerateSignature(sc, signatureKeyID, false); err != nil {
			return decision.BundleInfo{}, fmt.Errorf("sign bundle: %w", err)
		}
	}
	var buf bytes.Buffer
	if err := bundle.NewWriter(&buf).Write(b); err != nil {
		return decision.BundleInfo{}, fmt.Errorf("write bundle: %w", err)
	}
	sum := sha256.Sum256(buf.Bytes())
	info.Digest = "sha256:" + hex.EncodeToString(sum[:])
	if b.Manifest.Roots != nil {
		info.Roots = *b.Manifest.Roots
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return decision.BundleInfo{}, fmt.Errorf("write bundle: %w", err)
	}
	return info, nil
}
