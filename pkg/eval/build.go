package eval

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

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
	var opa bytes.Buffer
	if err := bundle.NewWriter(&opa).Write(b); err != nil {
		return decision.BundleInfo{}, fmt.Errorf("write bundle: %w", err)
	}
	buf, err := relativeNames(opa.Bytes())
	if err != nil {
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

// relativeNames rewrites the tarball OPA's writer makes so its entries are
// relative ("data.json", not "/data.json"): tar and other tools warn about
// absolute member names, and extracting one must never write outside the
// directory it is unpacked in. The loader reads both forms, and the
// signature names files the same way either way.
func relativeNames(tgz []byte) (*bytes.Buffer, error) {
	zr, err := gzip.NewReader(bytes.NewReader(tgz))
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(zr)
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	tw := tar.NewWriter(zw)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		hdr.Name = strings.TrimLeft(hdr.Name, "/")
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := io.Copy(tw, tr); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return &out, nil
}
