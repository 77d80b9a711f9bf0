package serve

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gopolicy/gopolicy/internal/ocitest"
	"github.com/gopolicy/gopolicy/pkg/gopolicy"
)

// TestRegistryScenarios runs the admission scenarios against Debian's
// docker-registry (GOPOLICY_REGISTRY).
func TestRegistryScenarios(t *testing.T) { scenarios(t, realRegistry(t)) }

// TestInProcessRegistryScenarios runs them against go-containerregistry's
// registry (with the referrers API), so they run everywhere.
func TestInProcessRegistryScenarios(t *testing.T) { scenarios(t, ocitest.Registry(t)) }

func scenarios(t *testing.T, host string) {
	k := newKeys(t)
	repo := "gopolicy-test/" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-"))
	// A referrer attestation, and one under the .att tag.
	ref := ocitest.PushImage(t, host, repo+"/referrer", "v1")
	pushReferrer(t, ref, attest(t, k.signer, ref))
	att := ocitest.PushImage(t, host, repo+"/atttag", "v1")
	pushAttTag(t, att, attest(t, k.signer, att))
	// Signed for another digest; by an untrusted key; tampered; unsigned.
	other := ocitest.PushImage(t, host, repo+"/other", "v1")
	pushReferrer(t, other, attest(t, k.signer, ocitest.PushImage(t, host, repo+"/other", "old")))
	intruder := ocitest.PushImage(t, host, repo+"/intruder", "v1")
	pushReferrer(t, intruder, attest(t, k.intruder, intruder))
	tampered := ocitest.PushImage(t, host, repo+"/tampered", "v1")
	pushReferrer(t, tampered, tamper(t, attest(t, k.signer, tampered)))
	unsigned := ocitest.PushImage(t, host, repo+"/unsigned", "v1")
	pushAttTag(t, unsigned, unsign(t, attest(t, k.signer, unsigned)))
	missing := ocitest.PushImage(t, host, repo+"/missing", "v1")

	s := newServer(t, k, "prod", nil)
	tag := func(d interface{ String() string }) string { return strings.SplitN(d.String(), "@", 2)[0] + ":v1" }

	t.Run("verified referrer and .att tag are allowed", func(t *testing.T) {
		for _, img := range []string{tag(ref), att.String(), tag(att)} {
			a := validate(t, s, review("u1", "apps", false, container("web", img, nil, nil)))
			if !a.Response.Allowed || a.Response.UID != "u1" {
				t.Fatalf("%s: %+v", img, a)
			}
			if a.Response.AuditAnnotations["decision-id"] == "" || !strings.HasPrefix(a.Response.AuditAnnotations["bundle-digest"], "sha256:") || !strings.Contains(a.Response.AuditAnnotations["facts-digests"], "=sha256:") {
				t.Fatalf("audit annotations: %v", a.Response.AuditAnnotations)
			}
		}
	})
	t.Run("refused attestations deny with GP-ADM-001", func(t *testing.T) {
		for name, img := range map[string]string{"other digest": tag(other), "intruder": tag(intruder), "tampered": tag(tampered), "unsigned": tag(unsigned), "missing": tag(missing)} {
			a := validate(t, s, review("u2", "apps", false, container("web", img, nil, nil)))
			if a.Response.Allowed || !strings.Contains(a.message(), "GP-ADM-001") {
				t.Errorf("%s: allowed=%v message %q", name, a.Response.Allowed, a.message())
			}
		}
		a := validate(t, s, review("u3", "apps", false, container("web", tag(other), nil, nil)))
		if !strings.Contains(a.message(), "another digest") {
			t.Errorf("other digest: %q", a.message())
		}
	})
	t.Run("GODEBUG re-enabling insecure TLS is denied", func(t *testing.T) {
		a := validate(t, s, review("u4", "apps", false, container("web", tag(ref), map[string]string{"GODEBUG": "http2client=0,tlsrsakex=1"}, nil)))
		if a.Response.Allowed || !strings.Contains(a.message(), "GP-ADM-002") || !strings.Contains(a.message(), "tlsrsakex=1") {
			t.Fatalf("%+v", a)
		}
		// Overridden later in the same variable: the last setting wins.
		a = validate(t, s, review("u5", "apps", false, container("web", tag(ref), map[string]string{"GODEBUG": "tlsrsakex=1,tlsrsakex=0"}, nil)))
		if !a.Response.Allowed {
			t.Fatalf("%+v", a)
		}
	})
	t.Run("removed settings and limits warn", func(t *testing.T) {
		a := validate(t, s, review("u6", "apps", false, container("web", tag(ref), map[string]string{"GODEBUG": "x509sha1=1", "GOMAXPROCS": "8", "GOMEMLIMIT": "1GiB"}, map[string]string{"cpu": "2", "memory": "512Mi"})))
		if !a.Response.Allowed {
			t.Fatalf("%+v", a)
		}
		joined := strings.Join(a.Response.Warnings, "\n")
		for _, want := range []string{"GP-ADM-003", "x509sha1 no longer exists", "GP-ADM-004", "GOMAXPROCS=8"} {
			if !strings.Contains(joined, want) {
				t.Errorf("warnings lack %q:\n%s", want, joined)
			}
		}
		for _, w := range a.Response.Warnings {
			if len(w) > MaxWarningLength {
				t.Errorf("warning of %d characters: %q", len(w), w)
			}
		}
	})
	t.Run("a moved tag is re-resolved", func(t *testing.T) {
		d := ocitest.PushImage(t, host, repo+"/moving", "v1")
		pushReferrer(t, d, attest(t, k.signer, d))
		img := tag(d)
		if a := validate(t, s, review("u7", "apps", false, container("web", img, nil, nil))); !a.Response.Allowed {
			t.Fatalf("before the move: %+v", a)
		}
		ocitest.PushImage(t, host, repo+"/moving", "v1") // the tag now names an unattested image
		if a := validate(t, s, review("u8", "apps", false, container("web", img, nil, nil))); a.Response.Allowed || !strings.Contains(a.message(), "GP-ADM-001") {
			t.Fatalf("after the move: %+v", a)
		}
	})
	t.Run("external data", func(t *testing.T) {
		body, _ := json.Marshal(ProviderRequest{APIVersion: ExternalDataAPIVersion, Kind: "ProviderRequest", Request: ProviderKeys{Keys: []string{tag(ref), tag(missing), "not a reference!"}}})
		rec, out := post(t, s.Handler(), "/externaldata", body)
		if rec.Code != 200 {
			t.Fatalf("%d %s", rec.Code, out)
		}
		var resp struct {
			Response struct {
				Idempotent  bool
				SystemError string
				Items       []struct {
					Key   string
					Value *ExternalValue
					Error string
				}
			}
		}
		if err := json.Unmarshal(out, &resp); err != nil {
			t.Fatal(err)
		}
		r := resp.Response
		if !r.Idempotent || r.SystemError != "" || len(r.Items) != 3 {
			t.Fatalf("%s", out)
		}
		if v := r.Items[0].Value; v == nil || !v.Allowed || v.Verdict.Attestation != AttVerified {
			t.Errorf("verified image: %s", out)
		}
		if v := r.Items[1].Value; v == nil || v.Allowed || v.Findings[0].Policy != "GP-ADM-001" {
			t.Errorf("missing attestation: %s", out)
		}
		if r.Items[2].Error == "" || !strings.Contains(r.Items[2].Error, "deny-on-error") {
			t.Errorf("bad reference: %s", out)
		}
	})
	t.Run("dry run writes no cache", func(t *testing.T) {
		s := newServer(t, k, "prod", nil)
		validate(t, s, review("u9", "apps", true, container("web", tag(ref), nil, nil)))
		if n := s.cache.len(); n != 0 {
			t.Fatalf("dry run cached %d entries", n)
		}
		validate(t, s, review("u10", "apps", false, container("web", tag(ref), nil, nil)))
		if n := s.cache.len(); n != 1 {
			t.Fatalf("cached %d entries", n)
		}
	})
	t.Run("identical concurrent requests are coalesced", func(t *testing.T) {
		s := newServer(t, k, "prod", nil)
		var wg sync.WaitGroup
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				validate(t, s, review("u11", "apps", false, container("web", tag(att), nil, nil)))
			}()
		}
		wg.Wait()
		if n := s.judged.Load(); n != 1 {
			t.Fatalf("the image was judged %d times", n)
		}
	})
}

// TestFailureModes: a registry that does not answer gives no decision;
// prod denies, saying so, and dev allows with a warning.
func TestFailureModes(t *testing.T) {
	k := newKeys(t)
	// A listener that accepts and never answers: the deadline fires.
	ln := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer ln.Close()
	img := strings.TrimPrefix(ln.URL, "http://") + "/app:v1"
	for _, tc := range []struct {
		profile, mode string
		allowed       bool
	}{{"prod", DenyOnError, false}, {"dev", AllowWithWarning, true}} {
		s := newServer(t, k, tc.profile, func(o *Options) { o.Deadline = 300 * time.Millisecond })
		start := time.Now()
		a := validate(t, s, review("u", "apps", false, container("web", img, nil, nil)))
		if time.Since(start) > 2*time.Second {
			t.Errorf("%s: took %v", tc.profile, time.Since(start))
		}
		if a.Response.Allowed != tc.allowed || !strings.Contains(a.message(), "failure mode "+tc.mode) || len(a.Response.Warnings) == 0 {
			t.Errorf("%s: %+v", tc.profile, a)
		}
		if a.Response.AuditAnnotations["failure-mode"] != tc.mode {
			t.Errorf("%s: %v", tc.profile, a.Response.AuditAnnotations)
		}
	}
}

func TestMalformedRequests(t *testing.T) {
	s := newServer(t, newKeys(t), "prod", func(o *Options) { o.MaxBodyBytes = 1 << 16 })
	deep := strings.Repeat("[", 500) + strings.Repeat("]", 500)
	for name, body := range map[string]string{
		"empty": "", "not json": "{", "deep": deep, "trailing": `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"} x`,
		"no request":    `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}`,
		"wrong version": `{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"x"}}`,
		"bad object":    `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"x","kind":{"kind":"Pod"},"operation":"CREATE","object":{"spec":{"containers":"no"}}}}`,
		"too big":       `{"a":"` + strings.Repeat("x", 1<<17) + `"}`,
	} {
		for _, path := range []string{"/validate", "/externaldata"} {
			rec, out := post(t, s.Handler(), path, []byte(body))
			if rec.Code != http.StatusBadRequest || len(out) == 0 {
				t.Errorf("%s %s: %d %s", path, name, rec.Code, out)
			}
		}
	}
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/validate", nil))
	if rec.Code != http.StatusBadRequest {
		t.Errorf("GET: %d", rec.Code)
	}
}

func TestReadinessAndMetrics(t *testing.T) {
	k := newKeys(t)
	s := New(Options{Build: func(ctx context.Context) (*gopolicy.Pipeline, gopolicy.Config, error) {
		cfg := gopolicy.Config{Profile: "prod", Evidence: gopolicy.EvidenceTrust{Keys: []string{k.pubFile}}}
		p, err := gopolicy.New(ctx, cfg)
		return p, cfg, err
	}})
	get := func(path string) (int, string) {
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec.Code, rec.Body.String()
	}
	if c, _ := get("/readyz"); c != http.StatusServiceUnavailable {
		t.Fatalf("ready before loading: %d", c)
	}
	if c, _ := get("/healthz"); c != 200 {
		t.Fatalf("healthz %d", c)
	}
	if err := s.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c, _ := get("/readyz"); c != 200 {
		t.Fatalf("readyz %d", c)
	}
	post(t, s.Handler(), "/validate", []byte("{"))
	_, m := get("/metrics")
	for _, want := range []string{"gopolicy_admission_request_duration_seconds_bucket{endpoint=\"validate\",le=\"10\"}", "gopolicy_admission_bad_requests_total{endpoint=\"validate\"} 1", "gopolicy_admission_reloads_total{result=\"ok\"} 1"} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestReloadKeepsServing: requests during reloads all get answers, and a
// failed reload keeps the old pipeline.
func TestReloadKeepsServing(t *testing.T) {
	k := newKeys(t)
	fail := false
	var mu sync.Mutex
	s := New(Options{Build: func(ctx context.Context) (*gopolicy.Pipeline, gopolicy.Config, error) {
		mu.Lock()
		defer mu.Unlock()
		cfg := gopolicy.Config{Profile: "prod", Evidence: gopolicy.EvidenceTrust{Keys: []string{k.pubFile}}}
		if fail {
			cfg.Profile = "no-such-profile"
		}
		p, err := gopolicy.New(ctx, cfg)
		return p, cfg, err
	}})
	if err := s.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	body := review("r", "apps", false)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				rec, out := post(t, s.Handler(), "/validate", body)
				if rec.Code != 200 {
					t.Errorf("during reload: %d %s", rec.Code, out)
					return
				}
			}
		}()
	}
	for range 3 {
		if err := s.Reload(context.Background()); err != nil {
			t.Error(err)
		}
	}
	mu.Lock()
	fail = true
	mu.Unlock()
	if err := s.Reload(context.Background()); err == nil {
		t.Error("a bad configuration reloaded")
	}
	close(stop)
	wg.Wait()
	if !s.Ready() || s.cur.Load().pipeline.Profile() != "prod" {
		t.Fatal("the failed reload replaced the serving pipeline")
	}
}
