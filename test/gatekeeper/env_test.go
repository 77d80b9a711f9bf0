package gatekeeper

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/open-policy-agent/frameworks/constraint/pkg/apis"
	"github.com/open-policy-agent/frameworks/constraint/pkg/apis/externaldata/unversioned"
	edv1beta1 "github.com/open-policy-agent/frameworks/constraint/pkg/apis/externaldata/v1beta1"
	constraintclient "github.com/open-policy-agent/frameworks/constraint/pkg/client"
	"github.com/open-policy-agent/frameworks/constraint/pkg/client/drivers/rego"
	"github.com/open-policy-agent/frameworks/constraint/pkg/client/reviews"
	"github.com/open-policy-agent/frameworks/constraint/pkg/externaldata"
	"github.com/open-policy-agent/gatekeeper/v3/pkg/gator/reader"
	mutationtypes "github.com/open-policy-agent/gatekeeper/v3/pkg/mutation/types"
	"github.com/open-policy-agent/gatekeeper/v3/pkg/target"
	"github.com/open-policy-agent/gatekeeper/v3/pkg/util"
	admissionv1 "k8s.io/api/admission/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/certwatcher"

	"github.com/gopolicy/gopolicy/internal/ocitest"
	"github.com/gopolicy/gopolicy/pkg/evidence"
	"github.com/gopolicy/gopolicy/pkg/gopolicy"
	"github.com/gopolicy/gopolicy/pkg/serve"
)

// examples is where the manifests under test live; they are read in
// place so that the test follows every change to them.
var examples = filepath.Join("..", "..", "examples", "gatekeeper")

// testTimeout bounds each test: builds, registry, servers and reviews.
const testTimeout = 4 * time.Minute

// serverDeadline is gopolicy's own deadline in these tests: below the
// Provider's 3 s timeout, and short so that the unreachable-registry case
// does not stretch the run.
const serverDeadline = 1500 * time.Millisecond

// env is a registry with three images, the keys that signed their
// attestations and the PKI of the provider's TLS: everything a gopolicy
// server and Gatekeeper need.
type env struct {
	dir     string
	pubFile string
	pki     pki
	// Tag references: verified and allowed by prod, verified and denied
	// by prod, without any attestation, and on a registry that never
	// answers.
	allowed, denied, unattested, unreachable string
	// allowedDigest and unattestedDigest are digest references.
	allowedDigest, unattestedDigest string
	scheme                          *runtime.Scheme
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{dir: t.TempDir(), scheme: runtime.NewScheme()}
	if err := apis.AddToScheme(e.scheme); err != nil {
		t.Fatal(err)
	}
	e.pki = newPKI(t, e.dir)
	key := ocitest.SigningKey(t)
	e.pubFile = filepath.Join(e.dir, "signer.pub.pem")
	if err := os.WriteFile(e.pubFile, key.PublicKeyPEM(), 0o644); err != nil {
		t.Fatal(err)
	}

	reg := httptest.NewServer(registry.New(registry.WithReferrersSupport(true), registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(reg.Close)
	host := strings.TrimPrefix(reg.URL, "http://")
	release, debug := appFacts(t)
	allowed := ocitest.PushImage(t, host, "gatekeeper/allowed", "v1")
	pushReferrer(t, allowed, attest(t, key, allowed, release))
	denied := ocitest.PushImage(t, host, "gatekeeper/denied", "v1")
	pushReferrer(t, denied, attest(t, key, denied, debug))
	unattested := ocitest.PushImage(t, host, "gatekeeper/unattested", "v1")
	tag := func(d name.Digest) string { return d.Context().Name() + ":v1" }
	e.allowed, e.denied, e.unattested = tag(allowed), tag(denied), tag(unattested)
	e.allowedDigest, e.unattestedDigest = allowed.String(), unattested.String()

	// A registry that accepts connections and never answers: gopolicy
	// gives up at its deadline.
	stop := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	}))
	t.Cleanup(func() { close(stop); hang.Close() })
	e.unreachable = strings.TrimPrefix(hang.URL, "http://") + "/gatekeeper/app:v1"
	return e
}

// pki is a CA, the provider's server certificate (for 127.0.0.1) and
// Gatekeeper's client certificate, as PEM files.
type pki struct {
	caPEM                                                []byte
	caFile, serverCert, serverKey, clientCert, clientKey string
}

func newPKI(t *testing.T, dir string) pki {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "gopolicy gatekeeper test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	p := pki{caPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), caFile: filepath.Join(dir, "ca.pem")}
	write := func(file string, data []byte) string {
		path := filepath.Join(dir, file)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	write("ca.pem", p.caPEM)
	issue := func(serial int64, cn string, usage x509.ExtKeyUsage, ips []net.IP) (certPEM, keyPEM []byte) {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage}, IPAddresses: ips,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kder, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})
	}
	c, k := issue(2, "gopolicy-admission", x509.ExtKeyUsageServerAuth, []net.IP{net.IPv4(127, 0, 0, 1)})
	p.serverCert, p.serverKey = write("server.pem", c), write("server-key.pem", k)
	c, k = issue(3, "gatekeeper", x509.ExtKeyUsageClientAuth, nil)
	p.clientCert, p.clientKey = write("client.pem", c), write("client-key.pem", k)
	return p
}

// built is a binary's facts document and its SHA-256.
type built struct {
	facts  []byte
	sha256 string
}

var (
	factsOnce                sync.Once
	releaseFacts, debugFacts built
	factsErr                 error
)

// appFacts builds one small Go program twice, as a release (-trimpath)
// and as a debug build (without -trimpath, which prod denies as
// GP-BIN-009), and collects the facts of each as a build would: the
// documents the attestations carry. Built once per test binary.
func appFacts(t *testing.T) (release, debug built) {
	t.Helper()
	factsOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		dir, err := os.MkdirTemp("", "gopolicy-gatekeeper-app")
		if err != nil {
			factsErr = err
			return
		}
		defer os.RemoveAll(dir)
		out := filepath.Join(dir, "out")
		dir = filepath.Join(dir, "src")
		if err := os.Mkdir(dir, 0o755); err != nil {
			factsErr = err
			return
		}
		files := map[string]string{
			"go.mod":  "module example.com/web\n\ngo 1.26\n",
			"main.go": "package main\n\nimport \"fmt\"\n\nvar version = \"dev\"\n\nfunc main() { fmt.Println(version) }\n",
		}
		for f, data := range files {
			if err := os.WriteFile(filepath.Join(dir, f), []byte(data), 0o644); err != nil {
				factsErr = err
				return
			}
		}
		// The caller's GOFLAGS (and a user GOENV) must not change the
		// build: VCS stamping is what a release carries.
		env := append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-buildvcs=true", "GOWORK=off", "GOTOOLCHAIN=local",
			"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
		for _, args := range [][]string{
			{"git", "init", "-q"}, {"git", "add", "."}, {"git", "commit", "-qm", "app"},
			// Outside the work tree: a binary inside it would make the
			// next build's tree modified (vcs.modified, GP-BIN-010).
			{"go", "build", "-trimpath", "-o", filepath.Join(out, "release", "web"), "."},
			{"go", "build", "-o", filepath.Join(out, "debug", "web"), "."},
		} {
			cmd := exec.CommandContext(ctx, args[0], args[1:]...)
			cmd.Dir, cmd.Env = dir, env
			if out, err := cmd.CombinedOutput(); err != nil {
				factsErr = fmt.Errorf("%v: %v\n%s", args, err, out)
				return
			}
		}
		collect := func(bin string) (built, error) {
			doc, err := gopolicy.Collect(ctx, gopolicy.Config{NoGoCommand: true}, gopolicy.Subject{Binaries: []string{filepath.Join(out, bin)}})
			if err != nil {
				return built{}, err
			}
			data, err := gopolicy.MarshalFacts(doc)
			if err != nil {
				return built{}, err
			}
			var d struct {
				Binaries []struct {
					SHA256 string `json:"sha256"`
				} `json:"binaries"`
			}
			if err := json.Unmarshal(data, &d); err != nil || len(d.Binaries) != 1 {
				return built{}, fmt.Errorf("facts of %s: %v binaries, %v", bin, len(d.Binaries), err)
			}
			return built{facts: data, sha256: d.Binaries[0].SHA256}, nil
		}
		if releaseFacts, factsErr = collect("release/web"); factsErr != nil {
			return
		}
		debugFacts, factsErr = collect("debug/web")
	})
	if factsErr != nil {
		t.Fatal(factsErr)
	}
	return releaseFacts, debugFacts
}

// pushReferrer attaches a Sigstore bundle to an image as an OCI 1.1
// referrer: an artifact whose one layer is the bundle.
func pushReferrer(t *testing.T, d name.Digest, bundle []byte) {
	t.Helper()
	desc, err := remote.Head(d)
	if err != nil {
		t.Fatal(err)
	}
	art, err := mutate.AppendLayers(empty.Image, static.NewLayer(bundle, types.MediaType(evidence.BundleMediaType)))
	if err != nil {
		t.Fatal(err)
	}
	art = mutate.ConfigMediaType(mutate.MediaType(art, types.OCIManifestSchema1), types.MediaType(evidence.BundleMediaType))
	art = mutate.Subject(art, *desc).(v1.Image)
	ad, err := art.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(d.Context().Digest(ad.String()), art); err != nil {
		t.Fatal(err)
	}
}

// attest signs a binary's facts for an image digest (and the binary).
func attest(t *testing.T, key *evidence.PrivateKey, image name.Digest, b built) []byte {
	t.Helper()
	bs, err := evidence.BinarySubject("web", b.sha256)
	if err != nil {
		t.Fatal(err)
	}
	is, err := evidence.ImageSubject(image.Context().Name(), image.DigestStr())
	if err != nil {
		t.Fatal(err)
	}
	bundle, err := evidence.Attest(context.Background(), evidence.AttestOptions{Subjects: []evidence.Subject{bs, is}, Facts: b.facts, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	return bundle
}

// gopolicyServer is a running `gopolicy serve`: the pkg/serve server
// over TLS 1.3 with client certificates required.
type gopolicyServer struct {
	url  string
	stop func() error
}

// startServer starts a gopolicy admission server judging with profile,
// trusting the signer's key, on 127.0.0.1. It stops at the end of the
// test, or earlier with stop.
func (e *env) startServer(t *testing.T, profile string) *gopolicyServer {
	t.Helper()
	s := serve.New(serve.Options{
		Build: func(ctx context.Context) (*gopolicy.Pipeline, gopolicy.Config, error) {
			cfg := gopolicy.Config{Profile: profile, Evidence: gopolicy.EvidenceTrust{Keys: []string{e.pubFile}}}
			p, err := gopolicy.New(ctx, cfg)
			return p, cfg, err
		},
		Deadline:  serverDeadline,
		CacheSize: 100,
	})
	if err := s.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	cfg, err := serve.TLSConfig(e.pki.serverCert, e.pki.serverKey, e.pki.caFile)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve.Serve(ctx, ln, s.Handler(), cfg, 5*time.Second) }()
	stop := sync.OnceValue(func() error {
		cancel()
		select {
		case err := <-done:
			if errors.Is(err, http.ErrServerClosed) {
				err = nil
			}
			return err
		case <-time.After(10 * time.Second):
			return errors.New("gopolicy server did not stop within 10s")
		}
	})
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
	})
	return &gopolicyServer{url: "https://" + ln.Addr().String() + "/externaldata", stop: stop}
}

// provider is examples/gatekeeper/provider.yaml as Gatekeeper's provider
// controller would cache it, with its url and caBundle pointing at the
// test server.
func (e *env) provider(t *testing.T, url string) *unversioned.Provider {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(examples, "provider.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	u, err := reader.ReadUnstructured(data)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := reader.ToStructured(e.scheme, u)
	if err != nil {
		t.Fatal(err)
	}
	p, ok := obj.(*edv1beta1.Provider)
	if !ok {
		t.Fatalf("provider.yaml holds a %T, not a v1beta1 Provider", obj)
	}
	if p.Name != "gopolicy" || !strings.HasSuffix(p.Spec.URL, "/externaldata") || p.Spec.Timeout != 3 {
		t.Fatalf("provider.yaml: name %q url %q timeout %d", p.Name, p.Spec.URL, p.Spec.Timeout)
	}
	p.Spec.URL = url
	p.Spec.CABundle = base64.StdEncoding.EncodeToString(e.pki.caPEM)
	var up unversioned.Provider
	if err := e.scheme.Convert(p, &up, nil); err != nil {
		t.Fatal(err)
	}
	return &up
}

// gatekeeper is Gatekeeper's validation stack set up as its main.go
// does with external data on: a provider cache holding the provider,
// the Rego driver with client authentication (the certificate read by
// controller-runtime's certwatcher), the Kubernetes target, and
// examples/gatekeeper's ConstraintTemplate and Constraint. The provider
// cache is returned for changing the Provider as its controller would.
//
// One per process: the driver registers external_data with OPA
// globally (rego.RegisterBuiltin1), so the last driver made answers
// every client's calls.
func (e *env) gatekeeper(t *testing.T, ctx context.Context, p *unversioned.Provider) (*constraintclient.Client, *externaldata.ProviderCache) {
	t.Helper()
	providers := externaldata.NewCache()
	certs, err := certwatcher.New(e.pki.clientCert, e.pki.clientKey)
	if err != nil {
		t.Fatal(err)
	}
	driver, err := rego.New(
		rego.Tracing(false),
		rego.AddExternalDataProviderCache(providers),
		rego.EnableExternalDataClientAuth(),
		rego.AddExternalDataClientCertWatcher(certs),
		rego.Externs(),
	)
	if err != nil {
		t.Fatal(err)
	}
	if err := providers.Upsert(p); err != nil {
		t.Fatal(err)
	}
	c, err := constraintclient.NewClient(
		constraintclient.Targets(&target.K8sValidationTarget{}),
		constraintclient.Driver(driver),
		constraintclient.EnforcementPoints(util.AuditEnforcementPoint, util.WebhookEnforcementPoint),
	)
	if err != nil {
		t.Fatal(err)
	}
	u := e.template(t)
	tmpl, err := reader.ToTemplate(e.scheme, u)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddTemplate(ctx, tmpl); err != nil {
		src := templateRego(t, u)
		if !strings.Contains(src, regoV1Import) {
			t.Fatalf("adding examples/gatekeeper/constrainttemplate.yaml: %v", err)
		}
		// Report the example, then go on with the smallest change that
		// makes Gatekeeper take it, so that the rest still gets checked.
		t.Errorf("Gatekeeper refuses examples/gatekeeper/constrainttemplate.yaml: %v\n"+
			"Its rewriter allows only imports of data.lib and future.keywords in a template: replace %q by %q "+
			"(or move the rego to code: [{engine: Rego, source: {version: \"v1\", rego: ...}}] without the import). "+
			"Going on with the first change made in memory.", err, regoV1Import, futureImports)
		setTemplateRego(t, u, strings.Replace(src, regoV1Import, futureImports, 1))
		if tmpl, err = reader.ToTemplate(e.scheme, u); err != nil {
			t.Fatal(err)
		}
		if _, err := c.AddTemplate(ctx, tmpl); err != nil {
			t.Fatalf("adding the template with future.keywords imports: %v", err)
		}
	}
	con, err := reader.ReadConstraint(os.DirFS(examples), "constraint.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddConstraint(ctx, con); err != nil {
		t.Fatalf("adding examples/gatekeeper/constraint.yaml: %v", err)
	}
	return c, providers
}

// regoV1Import is what Gatekeeper's rego rewriter refuses in a
// template's rego field (parsed as Rego v0): only imports of data.lib
// and future.keywords pass. futureImports give v0 the same keywords.
const (
	regoV1Import  = "import rego.v1\n"
	futureImports = "import future.keywords.contains\nimport future.keywords.if\nimport future.keywords.in\n"
)

// template is examples/gatekeeper/constrainttemplate.yaml.
func (e *env) template(t *testing.T) *unstructured.Unstructured {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(examples, "constrainttemplate.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	u, err := reader.ReadUnstructured(data)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// templateRego is the rego of a template's one target.
func templateRego(t *testing.T, u *unstructured.Unstructured) string {
	t.Helper()
	targets, _, _ := unstructured.NestedSlice(u.Object, "spec", "targets")
	if len(targets) != 1 {
		t.Fatalf("template %s: %d targets, want 1", u.GetName(), len(targets))
	}
	src, _, _ := unstructured.NestedString(targets[0].(map[string]any), "rego")
	if src == "" {
		t.Fatalf("template %s: no rego in its target", u.GetName())
	}
	return src
}

func setTemplateRego(t *testing.T, u *unstructured.Unstructured, src string) {
	t.Helper()
	targets, _, _ := unstructured.NestedSlice(u.Object, "spec", "targets")
	targets[0].(map[string]any)["rego"] = src
	if err := unstructured.SetNestedSlice(u.Object, targets, "spec", "targets"); err != nil {
		t.Fatal(err)
	}
}

// pod is a Pod running images, one container each.
func pod(namespace string, images ...string) *unstructured.Unstructured {
	var containers []any
	for i, img := range images {
		containers = append(containers, map[string]any{"name": fmt.Sprintf("c%d", i), "image": img})
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Pod",
		"metadata": map[string]any{"name": "app", "namespace": namespace},
		"spec":     map[string]any{"containers": containers},
	}}
}

// violation is one result of a review, as Gatekeeper reports it.
type violation struct {
	Action string
	Msg    string
}

// reviewPod reviews a Pod as Gatekeeper's audit does (the object from
// its cache) and as its webhook does (an admission request), and
// returns what each reports, sorted by message.
func reviewPod(t *testing.T, ctx context.Context, c *constraintclient.Client, p *unstructured.Unstructured) (audit, webhook []violation) {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: p.GetNamespace()}}
	collect := func(review any, point string) []violation {
		resp, err := c.Review(ctx, review, reviews.EnforcementPoint(point))
		if err != nil {
			t.Fatalf("%s review: %v", point, err)
		}
		var out []violation
		for _, r := range resp.Results() {
			out = append(out, violation{Action: r.EnforcementAction, Msg: r.Msg})
		}
		slices.SortFunc(out, func(a, b violation) int { return strings.Compare(a.Msg, b.Msg) })
		return out
	}
	audit = collect(target.AugmentedUnstructured{Object: *p, Namespace: ns, Source: mutationtypes.SourceTypeOriginal}, util.AuditEnforcementPoint)
	raw, err := p.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	req := &admissionv1.AdmissionRequest{
		UID:       "00000000-0000-0000-0000-000000000001",
		Kind:      metav1.GroupVersionKind{Version: "v1", Kind: "Pod"},
		Resource:  metav1.GroupVersionResource{Version: "v1", Resource: "pods"},
		Name:      p.GetName(),
		Namespace: p.GetNamespace(),
		Operation: admissionv1.Create,
		UserInfo:  authenticationv1.UserInfo{Username: "system:serviceaccount:apps:deployer"},
		Object:    runtime.RawExtension{Raw: raw},
	}
	webhook = collect(&target.AugmentedReview{AdmissionRequest: req, Namespace: ns, Source: mutationtypes.SourceTypeOriginal, IsAdmission: true}, util.WebhookEnforcementPoint)
	return audit, webhook
}

// decisionID matches the per-request decision id in gopolicy's
// messages, which no two calls share.
var decisionID = regexp.MustCompile(`\(decision [0-9a-f]{32}\)`)

func anyDecision(msg string) string { return decisionID.ReplaceAllString(msg, "(decision *)") }

// ask sends a ProviderRequest for keys to the provider the way
// Gatekeeper's Rego driver does (its default send function, with the
// client certificate), for the expectations and the recordings.
func (e *env) ask(t *testing.T, ctx context.Context, p *unversioned.Provider, keys ...string) (*externaldata.ProviderResponse, int, error) {
	t.Helper()
	cw, err := certwatcher.New(e.pki.clientCert, e.pki.clientKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := cw.GetCertificate(nil)
	if err != nil {
		t.Fatal(err)
	}
	return externaldata.DefaultSendRequestToProvider(ctx, p, keys, cert)
}

// denyFindings is what the template's message lists for a denied value:
// "policy: message" of each deny finding, joined by "; ".
func denyFindings(t *testing.T, value any) (ids []string, listed string) {
	t.Helper()
	raw, err := json.Marshal(value)
	if err != nil {
		t.Fatal(err)
	}
	var v serve.ExternalValue
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	var parts []string
	for _, f := range v.Findings {
		if f.Level == "deny" {
			ids = append(ids, f.Policy)
			parts = append(parts, f.Policy+": "+f.Message)
		}
	}
	return ids, strings.Join(parts, "; ")
}
