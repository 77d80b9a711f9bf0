package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/gopolicy/gopolicy/internal/ocitest"
	"github.com/gopolicy/gopolicy/pkg/evidence"
	"github.com/gopolicy/gopolicy/pkg/gopolicy"
)

// realRegistry is the address of a real registry (Debian's
// docker-registry, see scripts/registry/start.sh), or the test skips.
func realRegistry(t testing.TB) string {
	t.Helper()
	host := os.Getenv("GOPOLICY_REGISTRY")
	if host == "" {
		t.Skip("GOPOLICY_REGISTRY is not set: start a registry with scripts/registry/start.sh DIR and export GOPOLICY_REGISTRY=127.0.0.1:PORT to run the registry tests")
	}
	return host
}

var ropts = []remote.Option{remote.WithAuthFromKeychain(authn.DefaultKeychain)}

// bundleArtifact is an OCI artifact holding one Sigstore bundle.
func bundleArtifact(t testing.TB, bundle []byte) v1.Image {
	t.Helper()
	img, err := mutate.AppendLayers(empty.Image, static.NewLayer(bundle, types.MediaType(evidence.BundleMediaType)))
	if err != nil {
		t.Fatal(err)
	}
	img = mutate.MediaType(img, types.OCIManifestSchema1)
	return mutate.ConfigMediaType(img, types.MediaType(evidence.BundleMediaType))
}

// pushReferrer attaches a bundle to an image as an OCI 1.1 referrer.
func pushReferrer(t testing.TB, d name.Digest, bundle []byte) {
	t.Helper()
	desc, err := remote.Head(d, ropts...)
	if err != nil {
		t.Fatal(err)
	}
	art := mutate.Subject(bundleArtifact(t, bundle), *desc).(v1.Image)
	ad, err := art.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(d.Context().Digest(ad.String()), art, ropts...); err != nil {
		t.Fatal(err)
	}
}

// pushAttTag stores a bundle under cosign's sha256-<hex>.att tag.
func pushAttTag(t testing.TB, d name.Digest, bundle []byte) {
	t.Helper()
	tag := d.Context().Tag(strings.Replace(d.DigestStr(), ":", "-", 1) + ".att")
	if err := remote.Write(tag, bundleArtifact(t, bundle), ropts...); err != nil {
		t.Fatal(err)
	}
}

var _ = partial.Descriptor

type keys struct {
	signer, intruder *evidence.PrivateKey
	pubFile          string
}

func newKeys(t testing.TB) keys {
	t.Helper()
	k := keys{signer: ocitest.SigningKey(t), intruder: ocitest.SigningKey(t)}
	k.pubFile = filepath.Join(t.TempDir(), "signer.pub.pem")
	if err := os.WriteFile(k.pubFile, k.signer.PublicKeyPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	return k
}

var (
	factsOnce sync.Once
	factsDoc  []byte
	factsErr  error
)

// appFacts builds a small Go program (go 1.26, so its DefaultGODEBUG
// keeps today's secure defaults) and collects its facts as the build
// would: the document attestations carry.
func appFacts(t testing.TB) ([]byte, string) {
	t.Helper()
	factsOnce.Do(func() {
		dir, err := os.MkdirTemp("", "gopolicy-serve-app")
		if err != nil {
			factsErr = err
			return
		}
		os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/web\n\ngo 1.26\n"), 0o644)
		os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nimport \"fmt\"\n\nvar version = \"dev\"\n\nfunc main() { fmt.Println(version) }\n"), 0o644)
		env := append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-buildvcs=true", "GOWORK=off", "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
		for _, args := range [][]string{{"git", "init", "-q"}, {"git", "add", "."}, {"git", "commit", "-qm", "app"}, {"go", "build", "-trimpath", "-o", "web", "."}} {
			cmd := exec.Command(args[0], args[1:]...)
			cmd.Dir, cmd.Env = dir, env
			if out, err := cmd.CombinedOutput(); err != nil {
				factsErr = fmt.Errorf("%v: %v\n%s", args, err, out)
				return
			}
		}
		doc, err := gopolicy.Collect(context.Background(), gopolicy.Config{NoGoCommand: true}, gopolicy.Subject{Binaries: []string{filepath.Join(dir, "web")}})
		if err != nil {
			factsErr = err
			return
		}
		factsDoc, factsErr = gopolicy.MarshalFacts(doc)
	})
	if factsErr != nil {
		t.Fatal(factsErr)
	}
	var doc struct {
		Binaries []struct {
			SHA256 string `json:"sha256"`
		} `json:"binaries"`
	}
	json.Unmarshal(factsDoc, &doc)
	return factsDoc, doc.Binaries[0].SHA256
}

// attest signs the app's facts for an image digest (and the binary).
func attest(t testing.TB, key *evidence.PrivateKey, image name.Digest) []byte {
	t.Helper()
	data, binSHA := appFacts(t)
	bs, err := evidence.BinarySubject("web", binSHA)
	if err != nil {
		t.Fatal(err)
	}
	is, err := evidence.ImageSubject(image.Context().Name(), image.DigestStr())
	if err != nil {
		t.Fatal(err)
	}
	b, err := evidence.Attest(context.Background(), evidence.AttestOptions{Subjects: []evidence.Subject{bs, is}, Facts: data, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// newServer builds a ready server judging with profile, trusting keys.
func newServer(t testing.TB, k keys, profile string, mod func(*Options)) *Server {
	t.Helper()
	opts := Options{
		Build: func(ctx context.Context) (*gopolicy.Pipeline, gopolicy.Config, error) {
			cfg := gopolicy.Config{Profile: profile, Evidence: gopolicy.EvidenceTrust{Keys: []string{k.pubFile}}}
			p, err := gopolicy.New(ctx, cfg)
			return p, cfg, err
		},
		CacheSize: 1000,
	}
	if mod != nil {
		mod(&opts)
	}
	s := New(opts)
	if err := s.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// review is an AdmissionReview for a Pod.
func review(uid, namespace string, dryRun bool, containers ...map[string]any) []byte {
	obj := map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": "p", "namespace": namespace}, "spec": map[string]any{"containers": containers}}
	raw, _ := json.Marshal(obj)
	r := map[string]any{
		"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
		"request": map[string]any{
			"uid": uid, "kind": map[string]any{"group": "", "version": "v1", "kind": "Pod"},
			"resource":  map[string]any{"group": "", "version": "v1", "resource": "pods"},
			"namespace": namespace, "operation": "CREATE", "dryRun": dryRun,
			"userInfo": map[string]any{"username": "test"}, "object": json.RawMessage(raw),
		},
	}
	b, _ := json.Marshal(r)
	return b
}

func container(name, image string, env map[string]string, limits map[string]string) map[string]any {
	c := map[string]any{"name": name, "image": image}
	var envs []map[string]string
	for k, v := range env {
		envs = append(envs, map[string]string{"name": k, "value": v})
	}
	if envs != nil {
		c["env"] = envs
	}
	if limits != nil {
		c["resources"] = map[string]any{"limits": limits}
	}
	return c
}

type admissionOut struct {
	Response struct {
		UID              string                    `json:"uid"`
		Allowed          bool                      `json:"allowed"`
		Status           *struct{ Message string } `json:"status"`
		Warnings         []string                  `json:"warnings"`
		AuditAnnotations map[string]string         `json:"auditAnnotations"`
	} `json:"response"`
}

func (a admissionOut) message() string {
	if a.Response.Status == nil {
		return ""
	}
	return a.Response.Status.Message
}

func post(t testing.TB, h http.Handler, path string, body []byte) (*httptest.ResponseRecorder, []byte) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body)))
	return rec, rec.Body.Bytes()
}

func validate(t testing.TB, s *Server, body []byte) admissionOut {
	t.Helper()
	rec, out := post(t, s.Handler(), "/validate", body)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, out)
	}
	var a admissionOut
	if err := json.Unmarshal(out, &a); err != nil {
		t.Fatal(err)
	}
	return a
}

// tamper changes the signed payload of a bundle's DSSE envelope.
func tamper(t testing.TB, bundle []byte) []byte {
	t.Helper()
	var b map[string]any
	if err := json.Unmarshal(bundle, &b); err != nil {
		t.Fatal(err)
	}
	env := b["dsseEnvelope"].(map[string]any)
	p := env["payload"].(string)
	env["payload"] = "e30" + p[3:] // different bytes, still base64
	out, _ := json.Marshal(b)
	return out
}

// unsign removes a bundle's signatures.
func unsign(t testing.TB, bundle []byte) []byte {
	t.Helper()
	var b map[string]any
	if err := json.Unmarshal(bundle, &b); err != nil {
		t.Fatal(err)
	}
	b["dsseEnvelope"].(map[string]any)["signatures"] = []any{}
	out, _ := json.Marshal(b)
	return out
}
