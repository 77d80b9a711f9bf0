// Package serve is gopolicy's admission front door: a Kubernetes
// validating webhook (POST /validate, AdmissionReview v1) and a
// Gatekeeper external-data provider (POST /externaldata). Both resolve
// each image to its digest, find its gopolicy facts attestation in the
// registry (an OCI 1.1 referrer or cosign's .att tag), verify it offline
// against the pinned trust, judge the attested facts with the shared
// pipeline (gopolicy.Pipeline.JudgeFacts), and judge the Pod's own
// settings (GODEBUG, GOMAXPROCS, GOMEMLIMIT, limits) with the admission
// policies. See docs/admission.md.
package serve

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/singleflight"

	"github.com/gopolicy/gopolicy/pkg/collect/attested"
	"github.com/gopolicy/gopolicy/pkg/evidence"
	"github.com/gopolicy/gopolicy/pkg/gopolicy"
	"github.com/gopolicy/gopolicy/pkg/oci"
)

var randRead = rand.Read

// Failure modes: what a response made without a decision says.
const (
	// DenyOnError refuses what could not be judged (fail closed).
	DenyOnError = "deny-on-error"
	// AllowWithWarning admits it, with a warning saying so (fail open).
	AllowWithWarning = "allow-with-warning"
)

// DefaultFailureModes are the modes per profile when none is configured:
// prod fails closed, the others open.
var DefaultFailureModes = map[string]string{"prod": DenyOnError, "ci": AllowWithWarning, "dev": AllowWithWarning}

// Defaults.
const (
	// DefaultDeadline is below Gatekeeper's 3 s external-data timeout.
	DefaultDeadline    = 2500 * time.Millisecond
	DefaultDecisionTTL = 10 * time.Minute
	DefaultErrorTTL    = 5 * time.Second
	DefaultCacheSize   = 10000
)

// Builder builds a pipeline from the current configuration; it is called
// at start and on every reload.
type Builder func(ctx context.Context) (*gopolicy.Pipeline, gopolicy.Config, error)

// Options configure a Server.
type Options struct {
	Build    Builder
	Registry *oci.Registry
	// Deadline is the internal deadline of one request, below the
	// caller's timeout.
	Deadline time.Duration
	// FailureMode overrides the profile's mode (DefaultFailureModes) when
	// set.
	FailureMode string
	// DecisionTTL and ErrorTTL are how long image verdicts and registry
	// errors are cached; CacheSize bounds the entries (0: no cache).
	DecisionTTL, ErrorTTL time.Duration
	CacheSize             int
	// MaxBodyBytes and MaxJSONDepth bound requests.
	MaxBodyBytes int64
	MaxJSONDepth int
	// PolicyFS holds the admission policies (default: the built-in bundle).
	PolicyFS fs.FS
	// Watch are files (configuration, bundles, trust) whose change
	// reloads the pipeline, checked every WatchInterval.
	Watch         []string
	WatchInterval time.Duration
	Logger        *slog.Logger
}

// state is everything a request uses, swapped atomically on reload: a
// request keeps the state it started with.
type state struct {
	pipeline     *gopolicy.Pipeline
	trust        evidence.VerifyOptions
	trustDigest  string
	bundleDigest string
	policies     *admissionPolicies
	failureMode  string
}

// Server answers admission requests. Its Handler is safe for concurrent
// use.
type Server struct {
	opts    Options
	cur     atomic.Pointer[state]
	cache   *cache
	flight  singleflight.Group
	metrics *metrics
	log     *slog.Logger
	reload  sync.Mutex
	// judged counts image judgements run (cache misses that did work).
	judged atomic.Int64
}

// New makes a server; it is not ready until Reload succeeds.
func New(opts Options) *Server {
	if opts.Registry == nil {
		opts.Registry = &oci.Registry{}
	}
	if opts.Deadline <= 0 {
		opts.Deadline = DefaultDeadline
	}
	if opts.DecisionTTL == 0 {
		opts.DecisionTTL = DefaultDecisionTTL
	}
	if opts.ErrorTTL == 0 {
		opts.ErrorTTL = DefaultErrorTTL
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.MaxJSONDepth <= 0 {
		opts.MaxJSONDepth = DefaultMaxJSONDepth
	}
	if opts.WatchInterval <= 0 {
		opts.WatchInterval = 2 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Server{opts: opts, cache: newCache(opts.CacheSize), metrics: newMetrics(), log: opts.Logger}
}

// Ready reports whether a pipeline and the trust root are loaded.
func (s *Server) Ready() bool { return s.cur.Load() != nil }

// Reload builds a new pipeline, reads the trust material and compiles
// the admission policies, then swaps them in atomically: requests in
// flight finish with the state they started with, and a failed reload
// keeps the old state serving.
func (s *Server) Reload(ctx context.Context) error {
	s.reload.Lock()
	defer s.reload.Unlock()
	err := s.reloadLocked(ctx)
	result := "ok"
	if err != nil {
		result = "error"
		s.log.Error("reload failed; the previous configuration keeps serving", "err", err)
	}
	s.metrics.reloads.WithLabelValues(result).Inc()
	return err
}

func (s *Server) reloadLocked(ctx context.Context) error {
	p, cfg, err := s.opts.Build(ctx)
	if err != nil {
		return err
	}
	trust, err := attested.ReadTrust(cfg.Evidence.TrustedRoot, cfg.Evidence.Keys, cfg.Evidence.LogKeys)
	if err != nil {
		return err
	}
	trust.Identities, trust.KeyFingerprints, trust.TlogEntries = cfg.Evidence.Identities, cfg.Evidence.KeyFingerprints, cfg.Evidence.TlogEntries
	if len(trust.TrustedRoot) == 0 && len(trust.PublicKeys) == 0 {
		return errors.New("no trust root: give --trusted-root or --evidence-key; without one no attestation can verify")
	}
	pol, err := loadAdmissionPolicies(ctx, s.opts.PolicyFS)
	if err != nil {
		return err
	}
	mode := s.opts.FailureMode
	if mode == "" {
		mode = DefaultFailureModes[p.Profile()]
	}
	if mode == "" {
		mode = DenyOnError
	}
	if mode != DenyOnError && mode != AllowWithWarning {
		return fmt.Errorf("failure mode %q: want %s or %s", mode, DenyOnError, AllowWithWarning)
	}
	st := &state{pipeline: p, trust: trust, trustDigest: trustDigest(trust), bundleDigest: p.Engine().BundleSummary().Digest, policies: pol, failureMode: mode}
	s.cur.Store(st)
	s.log.Info("pipeline loaded", "profile", p.Profile(), "bundle", st.bundleDigest, "trust", st.trustDigest, "failure_mode", mode)
	return nil
}

// trustDigest identifies the trust material and the requirements a
// verification used.
func trustDigest(t evidence.VerifyOptions) string {
	h := sha256.New()
	write := func(b []byte) { fmt.Fprintf(h, "%d:", len(b)); h.Write(b) }
	write(t.TrustedRoot)
	for _, k := range t.PublicKeys {
		write(k)
	}
	h.Write([]byte{0})
	for _, k := range t.LogPublicKeys {
		write(k)
	}
	h.Write([]byte{0})
	for _, id := range t.Identities {
		write([]byte(id.String()))
	}
	h.Write([]byte{0})
	for _, f := range t.KeyFingerprints {
		write([]byte(f))
	}
	fmt.Fprintf(h, "tlog=%d", t.TlogEntries)
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// Watch reloads when a watched file changes, until ctx ends.
func (s *Server) Watch(ctx context.Context) {
	if len(s.opts.Watch) == 0 {
		return
	}
	stamp := func() string {
		var b strings.Builder
		for _, f := range s.opts.Watch {
			if fi, err := os.Stat(f); err == nil {
				fmt.Fprintf(&b, "%s %d %d;", f, fi.Size(), fi.ModTime().UnixNano())
			} else {
				fmt.Fprintf(&b, "%s missing;", f)
			}
		}
		return b.String()
	}
	last := stamp()
	t := time.NewTicker(s.opts.WatchInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if now := stamp(); now != last {
				last = now
				s.log.Info("a watched file changed; reloading")
				_ = s.Reload(ctx)
			}
		}
	}
}

// Handler serves /validate, /externaldata, /healthz, /readyz and
// /metrics.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/validate", s.instrument("validate", s.serveValidate))
	mux.HandleFunc("/externaldata", s.instrument("externaldata", s.serveExternalData))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !s.Ready() {
			http.Error(w, "not ready: the pipeline or the trust root is not loaded", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	mux.Handle("/metrics", promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{}))
	return mux
}

func (s *Server) instrument(endpoint string, h func(http.ResponseWriter, *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		s.metrics.inflight.Inc()
		defer func() {
			s.metrics.inflight.Dec()
			s.metrics.latency.WithLabelValues(endpoint).Observe(time.Since(start).Seconds())
			if p := recover(); p != nil {
				s.log.Error("panic answering a request", "endpoint", endpoint, "panic", p)
				http.Error(w, "internal error", http.StatusInternalServerError)
			}
		}()
		if err := h(w, r); err != nil {
			var re *RequestError
			if errors.As(err, &re) {
				s.metrics.badRequests.WithLabelValues(endpoint).Inc()
				http.Error(w, re.Reason, http.StatusBadRequest)
				return
			}
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
		}
	}
}

// deadline is the request's internal deadline: the server's, or less
// when the caller says it waits less (the API server's ?timeout=).
func (s *Server) deadline(r *http.Request) time.Duration {
	d := s.opts.Deadline
	if t, err := time.ParseDuration(r.URL.Query().Get("timeout")); err == nil && t > 0 {
		if limit := t - t/6; limit < d {
			d = limit
		}
	}
	return d
}

func writeJSON(w http.ResponseWriter, v any) error {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// undecided is the sentence every response made without a decision
// carries.
func undecided(st *state, profile, cause string) string {
	verb := "denied"
	if st.failureMode == AllowWithWarning {
		verb = "allowed"
	}
	return fmt.Sprintf("gopolicy could not decide (%s); %s by failure mode %s of profile %s", cause, verb, st.failureMode, profile)
}

func errorCause(err error) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "deadline exceeded: " + shorten(err.Error(), 200)
	}
	return shorten(err.Error(), 300)
}

// levelRank orders findings for messages: deny, error, warn.
func levelRank(l string) int {
	return slices.Index([]string{"deny", "error", "warn"}, l)
}
