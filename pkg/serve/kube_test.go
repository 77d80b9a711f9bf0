package serve

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gopolicy/gopolicy/internal/ocitest"
	"github.com/gopolicy/gopolicy/pkg/evidence"
)

// TestKubeAdmissionWebhook registers gopolicy's admission server with a real
// kube-apiserver (scripts/kube/start.sh) as a ValidatingWebhookConfiguration
// and checks what the API server makes of its answers: refusals carry
// gopolicy's message, allowed objects are stored, dry runs reach the server
// as dry runs and store nothing, and the webhook's failurePolicy decides when
// gopolicy does not answer at all. Images live in the real registry
// (GOPOLICY_REGISTRY).
func TestKubeAdmissionWebhook(t *testing.T) {
	kube := realKube(t)
	host := kubeRegistry(t)
	// Everything below, polling included, ends by this deadline.
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	if err := kube.ready(ctx); err != nil {
		t.Fatalf("kube-apiserver at %s is not ready: %v", kube.base, err)
	}

	run := randomSuffix(t)
	k := newKeys(t)
	repo := "gopolicy-kube/" + run
	push := func(image string, bundle func(name.Digest) []byte) (name.Digest, string) {
		d := ocitest.PushImage(t, host, repo+"/"+image, "v1")
		if bundle != nil {
			pushReferrer(t, d, bundle(d))
		}
		return d, d.Context().Tag("v1").String()
	}
	_, verified := push("verified", func(d name.Digest) []byte { return attest(t, k.signer, d) })
	dryDigest, dry := push("dry-run", func(d name.Digest) []byte { return attest(t, k.signer, d) })
	_, untrusted := push("untrusted", func(d name.Digest) []byte { return attest(t, k.intruder, d) })
	_, drifted := push("drifted", func(d name.Digest) []byte { return attestFacts(t, k.signer, d, driftedFacts(t)) })

	s := newServer(t, k, "prod", nil)
	rec := &reviewRecorder{}
	gp := startTLSWebhook(t, rec.wrap(s.Handler()))

	// Two namespaces, each selected by one webhook of the configuration:
	// the same server behind failurePolicy Fail and failurePolicy Ignore.
	// The selectors match nothing else, so the rest of the cluster is never
	// sent to this test's server.
	nsFail, nsIgnore := "gopolicy-kube-"+run, "gopolicy-kube-"+run+"-ignore"
	hookFail, hookIgnore := "fail.kube-test.gopolicy.dev", "ignore.kube-test.gopolicy.dev"
	for _, ns := range []string{nsFail, nsIgnore} {
		kube.createNamespace(ctx, t, ns)
	}
	kube.createWebhooks(ctx, t, "gopolicy-kube-test-"+run, gp.caPEM, gp.url+"/validate", map[string]webhookSpec{
		hookFail:   {namespace: nsFail, policy: admissionregistrationv1.Fail},
		hookIgnore: {namespace: nsIgnore, policy: admissionregistrationv1.Ignore},
	})
	// The API server applies a new configuration after its informer sees
	// it: wait until an image gopolicy refuses is refused in both
	// namespaces (dry runs, so nothing is stored if it is not yet).
	for ns, hook := range map[string]string{nsFail: hookFail, nsIgnore: hookIgnore} {
		kube.waitForWebhook(ctx, t, ns, hook, untrusted)
	}

	// deniedBy checks a refusal by the webhook and returns gopolicy's part
	// of the message.
	deniedBy := func(t *testing.T, err error, hook string) string {
		t.Helper()
		se := asStatus(t, err)
		prefix := fmt.Sprintf("admission webhook %q denied the request: ", hook)
		if se.Code != http.StatusForbidden || se.Status.Reason != metav1.StatusReasonForbidden || !strings.HasPrefix(se.Status.Message, prefix) {
			t.Fatalf("want a 403 Forbidden %q...; got %d %s %q", prefix, se.Code, se.Status.Reason, se.Status.Message)
		}
		t.Logf("apiserver: %d %s", se.Code, se.Status.Message)
		return strings.TrimPrefix(se.Status.Message, prefix)
	}
	// gopolicyMessage is the findings part of what the server itself says
	// of image (the decision id differs per request).
	gopolicyMessage := func(t *testing.T, image string) string {
		t.Helper()
		a := validate(t, s, review("direct", nsFail, true, container("web", image, nil, nil)))
		_, findings, ok := strings.Cut(a.message(), "): ")
		if a.Response.Allowed || !ok {
			t.Fatalf("the server itself does not deny %s: %+v", image, a)
		}
		return findings
	}

	t.Run("untrusted attestation is refused with GP-ADM-001", func(t *testing.T) {
		_, err := kube.createDeployment(ctx, deployment(nsFail, "untrusted", untrusted), false)
		msg := deniedBy(t, err, hookFail)
		want := gopolicyMessage(t, untrusted)
		if !strings.HasPrefix(msg, "gopolicy denied (profile prod, decision ") || !strings.HasSuffix(msg, want) || !strings.HasPrefix(want, "GP-ADM-001 — ") {
			t.Fatalf("message %q, want gopolicy's %q", msg, want)
		}
		kube.wantNoDeployment(ctx, t, nsFail, "untrusted")
	})
	t.Run("attested facts that fail prod are refused with their policy ids", func(t *testing.T) {
		_, err := kube.createDeployment(ctx, deployment(nsFail, "drifted", drifted), false)
		msg := deniedBy(t, err, hookFail)
		want := gopolicyMessage(t, drifted)
		ids, _, _ := strings.Cut(want, " — ")
		if !strings.HasSuffix(msg, want) || !strings.Contains(ids, "GP-MOD-") || strings.Contains(ids, "GP-ADM-001") {
			t.Fatalf("message %q, want gopolicy's %q naming GP-MOD policies", msg, want)
		}
		kube.wantNoDeployment(ctx, t, nsFail, "drifted")
	})
	t.Run("verified image is admitted and stored", func(t *testing.T) {
		kube.createAndGet(ctx, t, deployment(nsFail, "verified", verified))
		if r := rec.last(nsFail, "verified"); r == nil || r.DryRun {
			t.Fatalf("the server saw %+v, want one request without dryRun", r)
		}
	})
	t.Run("dry run reaches the server as a dry run and stores nothing", func(t *testing.T) {
		st := s.cur.Load()
		key := cacheKey{Digest: dryDigest.String(), Bundle: st.bundleDigest, Trust: st.trustDigest, Profile: st.pipeline.Profile()}
		judged := s.judged.Load()
		out, err := kube.createDeployment(ctx, deployment(nsFail, "dry-run", dry), true)
		if err != nil {
			t.Fatalf("dry-run create: %v", err)
		}
		if out.Name != "dry-run" || out.Spec.Template.Spec.Containers[0].Image != dry {
			t.Fatalf("dry-run create returned %s with %+v", out.Name, out.Spec.Template.Spec.Containers)
		}
		kube.wantNoDeployment(ctx, t, nsFail, "dry-run")
		if r := rec.last(nsFail, "dry-run"); r == nil || !r.DryRun || r.Operation != "CREATE" || r.Kind.Kind != "Deployment" {
			t.Fatalf("the server saw %+v, want a CREATE of the Deployment with dryRun", r)
		}
		if n := s.judged.Load() - judged; n != 1 {
			t.Fatalf("the image was judged %d times, want once", n)
		}
		if _, ok := s.cache.get(key); ok {
			t.Fatal("a dry run wrote its verdict to the cache")
		}
		// The same create for real is judged again and cached.
		kube.createAndGet(ctx, t, deployment(nsFail, "dry-run", dry))
		if r := rec.last(nsFail, "dry-run"); r == nil || r.DryRun {
			t.Fatalf("the server saw %+v, want a request without dryRun", r)
		}
		if _, ok := s.cache.get(key); !ok {
			t.Fatal("the real create's verdict is not cached")
		}
	})

	// gopolicy down: nothing answers on its port any more.
	gp.stop(t)
	t.Run("gopolicy down: failurePolicy Fail refuses", func(t *testing.T) {
		seen := rec.count()
		_, err := kube.createDeployment(ctx, deployment(nsFail, "while-down", verified), false)
		se := asStatus(t, err)
		want := fmt.Sprintf("failed calling webhook %q", hookFail)
		if se.Code != http.StatusInternalServerError || !strings.Contains(se.Status.Message, want) || !strings.Contains(se.Status.Message, gp.url+"/validate") {
			t.Fatalf("want a 500 saying %s (%s); got %d %q", want, gp.url, se.Code, se.Status.Message)
		}
		t.Logf("apiserver: %d %s", se.Code, se.Status.Message)
		kube.wantNoDeployment(ctx, t, nsFail, "while-down")
		if rec.count() != seen {
			t.Fatal("a stopped server answered")
		}
	})
	t.Run("gopolicy down: failurePolicy Ignore admits", func(t *testing.T) {
		// An image gopolicy refuses while it runs (see the wait above).
		kube.createAndGet(ctx, t, deployment(nsIgnore, "while-down", untrusted))
	})
}

// requireKube: CI sets GOPOLICY_REQUIRE_KUBE=1, where a missing apiserver or
// registry is a failure rather than a skip.
func requireKube() bool { return os.Getenv("GOPOLICY_REQUIRE_KUBE") == "1" }

// kubeClient talks to the apiserver's REST API with a bearer token.
type kubeClient struct {
	base, token string
	client      *http.Client
}

// realKube is the apiserver of scripts/kube/start.sh, from the variables of
// its STATE_DIR/env, or the test skips.
func realKube(t *testing.T) *kubeClient {
	t.Helper()
	base := os.Getenv("GOPOLICY_KUBE_URL")
	if base == "" {
		msg := "GOPOLICY_KUBE_URL is not set: start a control plane with scripts/kube/start.sh DIR and `set -a; . DIR/env; set +a` to run the kube-apiserver tests"
		if requireKube() {
			t.Fatal("GOPOLICY_REQUIRE_KUBE=1: " + msg)
		}
		t.Skip(msg)
	}
	token, caFile := os.Getenv("GOPOLICY_KUBE_TOKEN"), os.Getenv("GOPOLICY_KUBE_CA")
	if token == "" || caFile == "" {
		t.Fatal("GOPOLICY_KUBE_URL is set but GOPOLICY_KUBE_TOKEN or GOPOLICY_KUBE_CA is not (see STATE_DIR/env of scripts/kube/start.sh)")
	}
	ca, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatalf("GOPOLICY_KUBE_CA: %v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		t.Fatalf("GOPOLICY_KUBE_CA %s: no PEM certificate in it", caFile)
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, ForceAttemptHTTP2: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &kubeClient{base: strings.TrimSuffix(base, "/"), token: token, client: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

// kubeRegistry is realRegistry, a failure instead of a skip where the
// kube-apiserver test is required.
func kubeRegistry(t *testing.T) string {
	t.Helper()
	if os.Getenv("GOPOLICY_REGISTRY") == "" && requireKube() {
		t.Fatal("GOPOLICY_REQUIRE_KUBE=1 but GOPOLICY_REGISTRY is not set: start a registry with scripts/registry/start.sh DIR")
	}
	return realRegistry(t)
}

// statusError is an apiserver answer other than 2xx, with its Status.
type statusError struct {
	Code   int
	Status metav1.Status
}

func (e *statusError) Error() string {
	return fmt.Sprintf("%d %s: %s", e.Code, e.Status.Reason, e.Status.Message)
}

func asStatus(t *testing.T, err error) *statusError {
	t.Helper()
	var se *statusError
	if !errors.As(err, &se) {
		t.Fatalf("want the apiserver to refuse, got err=%v", err)
	}
	return se
}

// do sends in (JSON, when not nil) and decodes a 2xx answer into out.
func (k *kubeClient) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, k.base+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+k.token)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := k.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		se := &statusError{Code: resp.StatusCode}
		if json.Unmarshal(data, &se.Status) != nil || se.Status.Message == "" {
			se.Status.Message = strings.TrimSpace(string(data))
		}
		return se
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

func (k *kubeClient) ready(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.base+"/readyz", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+k.token)
	resp, err := k.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/readyz: %s %s", resp.Status, b)
	}
	return nil
}

// cleanup runs f after the test with a context of its own: the test's
// context is done by then.
func (k *kubeClient) cleanup(t *testing.T, what string, f func(ctx context.Context) error) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := f(ctx); err != nil {
			var se *statusError
			if errors.As(err, &se) && se.Code == http.StatusNotFound {
				return
			}
			t.Errorf("cleanup: %s: %v", what, err)
		}
	})
}

func (k *kubeClient) createNamespace(ctx context.Context, t *testing.T, ns string) {
	t.Helper()
	obj := corev1.Namespace{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"}, ObjectMeta: metav1.ObjectMeta{Name: ns}}
	if err := k.do(ctx, http.MethodPost, "/api/v1/namespaces", obj, nil); err != nil {
		t.Fatalf("create namespace %s: %v", ns, err)
	}
	k.cleanup(t, "namespace "+ns, func(ctx context.Context) error {
		var got corev1.Namespace
		if err := k.do(ctx, http.MethodDelete, "/api/v1/namespaces/"+ns, nil, &got); err != nil {
			return err
		}
		// Deletion waits for the namespace controller, which a bare
		// apiserver does not run; the test already deleted what it put
		// in the namespace, so it finalizes the namespace itself.
		got.Spec.Finalizers = nil
		return k.do(ctx, http.MethodPut, "/api/v1/namespaces/"+ns+"/finalize", got, nil)
	})
}

type webhookSpec struct {
	namespace string
	policy    admissionregistrationv1.FailurePolicyType
}

// createWebhooks registers one webhook per name, each calling url for
// Deployments of its namespace only.
func (k *kubeClient) createWebhooks(ctx context.Context, t *testing.T, config string, caPEM []byte, url string, hooks map[string]webhookSpec) {
	t.Helper()
	sideEffects := admissionregistrationv1.SideEffectClassNoneOnDryRun
	timeout := int32(5)
	equivalent := admissionregistrationv1.Equivalent
	namespaced := admissionregistrationv1.NamespacedScope
	obj := admissionregistrationv1.ValidatingWebhookConfiguration{
		TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "ValidatingWebhookConfiguration"},
		ObjectMeta: metav1.ObjectMeta{Name: config},
	}
	for hook, spec := range hooks {
		policy := spec.policy
		obj.Webhooks = append(obj.Webhooks, admissionregistrationv1.ValidatingWebhook{
			Name:                    hook,
			ClientConfig:            admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: caPEM},
			AdmissionReviewVersions: []string{"v1"},
			SideEffects:             &sideEffects,
			FailurePolicy:           &policy,
			TimeoutSeconds:          &timeout,
			MatchPolicy:             &equivalent,
			NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{
				corev1.LabelMetadataName: spec.namespace,
			}},
			Rules: []admissionregistrationv1.RuleWithOperations{{
				Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
				Rule:       admissionregistrationv1.Rule{APIGroups: []string{"apps"}, APIVersions: []string{"v1"}, Resources: []string{"deployments"}, Scope: &namespaced},
			}},
		})
	}
	const path = "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations"
	if err := k.do(ctx, http.MethodPost, path, obj, nil); err != nil {
		t.Fatalf("create ValidatingWebhookConfiguration: %v", err)
	}
	k.cleanup(t, "webhook configuration "+config, func(ctx context.Context) error {
		return k.do(ctx, http.MethodDelete, path+"/"+config, nil, nil)
	})
}

// waitForWebhook polls until hook refuses a dry-run Deployment of image in
// ns, which gopolicy denies.
func (k *kubeClient) waitForWebhook(ctx context.Context, t *testing.T, ns, hook, image string) {
	t.Helper()
	start := time.Now()
	want := fmt.Sprintf("admission webhook %q denied the request", hook)
	for {
		_, err := k.createDeployment(ctx, deployment(ns, "probe", image), true)
		var se *statusError
		if errors.As(err, &se) && strings.Contains(se.Status.Message, want) {
			t.Logf("webhook %s in effect after %v", hook, time.Since(start).Round(time.Millisecond))
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("webhook %s not in effect after %v; last answer: %v", hook, time.Since(start).Round(time.Millisecond), err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func deploymentsPath(ns string) string { return "/apis/apps/v1/namespaces/" + ns + "/deployments" }

func (k *kubeClient) createDeployment(ctx context.Context, d *appsv1.Deployment, dryRun bool) (*appsv1.Deployment, error) {
	path := deploymentsPath(d.Namespace)
	if dryRun {
		path += "?dryRun=All"
	}
	var out appsv1.Deployment
	if err := k.do(ctx, http.MethodPost, path, d, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// createAndGet creates d, expecting it admitted, and reads it back.
func (k *kubeClient) createAndGet(ctx context.Context, t *testing.T, d *appsv1.Deployment) {
	t.Helper()
	if _, err := k.createDeployment(ctx, d, false); err != nil {
		t.Fatalf("create %s/%s: %v", d.Namespace, d.Name, err)
	}
	k.cleanup(t, "deployment "+d.Namespace+"/"+d.Name, func(ctx context.Context) error {
		return k.do(ctx, http.MethodDelete, deploymentsPath(d.Namespace)+"/"+d.Name, nil, nil)
	})
	var got appsv1.Deployment
	if err := k.do(ctx, http.MethodGet, deploymentsPath(d.Namespace)+"/"+d.Name, nil, &got); err != nil {
		t.Fatalf("get %s/%s after create: %v", d.Namespace, d.Name, err)
	}
	if got.UID == "" || got.Spec.Template.Spec.Containers[0].Image != d.Spec.Template.Spec.Containers[0].Image {
		t.Fatalf("stored %s/%s: uid %q containers %+v", d.Namespace, d.Name, got.UID, got.Spec.Template.Spec.Containers)
	}
}

func (k *kubeClient) wantNoDeployment(ctx context.Context, t *testing.T, ns, name string) {
	t.Helper()
	err := k.do(ctx, http.MethodGet, deploymentsPath(ns)+"/"+name, nil, nil)
	var se *statusError
	if !errors.As(err, &se) || se.Code != http.StatusNotFound {
		t.Fatalf("deployment %s/%s: want 404, got %v", ns, name, err)
	}
}

func deployment(ns, name, image string) *appsv1.Deployment {
	replicas := int32(1)
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: image}}},
			},
		},
	}
}

// seenReview is what the webhook server was asked.
type seenReview struct {
	Namespace string                  `json:"namespace"`
	Name      string                  `json:"name"`
	Operation string                  `json:"operation"`
	Kind      metav1.GroupVersionKind `json:"kind"`
	DryRun    bool                    `json:"dryRun"`
}

// reviewRecorder notes every AdmissionReview before the server answers it.
type reviewRecorder struct {
	mu   sync.Mutex
	seen []seenReview
}

func (r *reviewRecorder) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(io.LimitReader(req.Body, DefaultMaxBodyBytes+1))
		if err == nil {
			var review struct {
				Request seenReview `json:"request"`
			}
			if json.Unmarshal(body, &review) == nil {
				r.mu.Lock()
				r.seen = append(r.seen, review.Request)
				r.mu.Unlock()
			}
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		h.ServeHTTP(w, req)
	})
}

func (r *reviewRecorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.seen)
}

// last is the latest review of the Deployment ns/name, or nil.
func (r *reviewRecorder) last(ns, name string) *seenReview {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.seen) - 1; i >= 0; i-- {
		if s := r.seen[i]; s.Namespace == ns && s.Name == name {
			return &s
		}
	}
	return nil
}

// tlsWebhook is gopolicy's server on 127.0.0.1 with TLS (Serve and
// TLSConfig, as `gopolicy serve` runs it).
type tlsWebhook struct {
	url   string
	caPEM []byte
	stop  func(t *testing.T)
}

func startTLSWebhook(t *testing.T, h http.Handler) *tlsWebhook {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	// Self-signed and its own CA: the caBundle of the webhook is this
	// certificate.
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "gopolicy-admission-test"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := os.WriteFile(certFile, certPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := TLSConfig(certFile, keyFile, "")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, ln, h, cfg, 5*time.Second) }()
	var once sync.Once
	stop := func(t *testing.T) {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil && !errors.Is(err, http.ErrServerClosed) {
					t.Errorf("serve: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Error("the webhook server did not stop within 10s")
			}
		})
	}
	t.Cleanup(func() { stop(t) })
	u := url.URL{Scheme: "https", Host: ln.Addr().String()}
	return &tlsWebhook{url: u.String(), caPEM: certPEM, stop: stop}
}

// driftedFacts is a stored facts document of a module that fails prod
// (examples/drifted-module as gopolicy 0.3.0 collected it).
func driftedFacts(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "gopolicy", "testdata", "facts-0.3.0", "drifted.facts.json"))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// attestFacts signs a facts document for an image digest.
func attestFacts(t *testing.T, key *evidence.PrivateKey, image name.Digest, facts []byte) []byte {
	t.Helper()
	is, err := evidence.ImageSubject(image.Context().Name(), image.DigestStr())
	if err != nil {
		t.Fatal(err)
	}
	b, err := evidence.Attest(context.Background(), evidence.AttestOptions{Subjects: []evidence.Subject{is}, Facts: facts, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func randomSuffix(t *testing.T) string {
	t.Helper()
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
