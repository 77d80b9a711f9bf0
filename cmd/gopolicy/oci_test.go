package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"math/big"
	"net/http/httptest"
	"os"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/gopolicy/gopolicy/pkg/oci"
)

func init() {
	scriptCommands["registry"] = cmdRegistry
	scriptCommands["push-image"] = cmdPushImage
	scriptCommands["attestations"] = cmdAttestations
	scriptCommands["genca"] = cmdGenCA
}

// registry starts an in-process OCI registry (with the referrers API) on
// 127.0.0.1 for the rest of the script and sets $REGISTRY to its address.
func cmdRegistry(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: registry")
	}
	srv := httptest.NewServer(registry.New(registry.WithReferrersSupport(true), registry.Logger(log.New(io.Discard, "", 0))))
	ts.Defer(srv.Close)
	ts.Setenv("REGISTRY", strings.TrimPrefix(srv.URL, "http://"))
}

// push-image REF pushes a random image to REF (a tag) and sets $DIGEST to
// its manifest digest.
func cmdPushImage(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: push-image REF")
	}
	tag, err := name.NewTag(args[0])
	ts.Check(err)
	img, err := random.Image(256, 1)
	ts.Check(err)
	ts.Check(remote.Write(tag, img))
	d, err := img.Digest()
	ts.Check(err)
	ts.Setenv("DIGEST", d.String())
}

// attestations REF@DIGEST BUNDLE prints where the registry holds
// attestations for the image, one line each ("referrer sha256:…",
// "tag sha256-….att"), and fails unless each is BUNDLE byte for byte.
func cmdAttestations(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: attestations NAME@DIGEST BUNDLE")
	}
	d, err := name.NewDigest(args[0])
	ts.Check(err)
	found, err := (&oci.Registry{}).Attestations(context.Background(), d)
	ts.Check(err)
	want := []byte(ts.ReadFile(args[1]))
	for _, f := range found {
		if !bytes.Equal(f.Data, want) {
			ts.Fatalf("%s holds another bundle than %s", f.Source, args[1])
		}
		fmt.Fprintln(ts.Stdout(), f.Source)
	}
}

// genca FILE writes a fresh self-signed CA certificate (PEM).
func cmdGenCA(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: genca FILE")
	}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ts.Check(err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "gopolicy test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644))
}
