package serve

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gopolicy/gopolicy/pkg/decision"
	"github.com/gopolicy/gopolicy/pkg/facts"
	"github.com/gopolicy/gopolicy/pkg/gopolicy"
	"github.com/gopolicy/gopolicy/pkg/oci"
)

// MaxWarningLength is the longest admission warning (the API server
// truncates longer ones anyway).
const MaxWarningLength = 120

// maxWarnings and maxMessageFindings bound what one response lists.
const (
	maxWarnings        = 10
	maxMessageFindings = 3
	imageWorkers       = 8
)

// Verdicts of one workload's images, or the error that kept one from
// being judged.
type judged struct {
	verdicts map[string]*ImageVerdict
	err      error
}

func (s *Server) judgeImages(ctx context.Context, st *state, images []string, dryRun bool) judged {
	out := judged{verdicts: map[string]*ImageVerdict{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, imageWorkers)
	for _, img := range images {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			v, err := s.verdict(ctx, st, img, dryRun)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if out.err == nil {
					out.err = fmt.Errorf("image %s: %w", img, err)
				}
				return
			}
			out.verdicts[img] = v
		}()
	}
	wg.Wait()
	return out
}

// Decision is a workload's judgement: the image verdicts and the
// admission policies' findings.
type Decision struct {
	ID string
	// Admission is the facts document's admission section for the
	// workload judged.
	Admission *facts.Admission
	Outcome   gopolicy.Outcome
	Findings  []Finding
	Verdicts  []*ImageVerdict
}

// decide judges a workload's containers.
func (s *Server) decide(ctx context.Context, st *state, adm *facts.Admission) (*Decision, error) {
	containers, dryRun := adm.Containers, adm.DryRun
	var images []string
	for _, c := range containers {
		if !slices.Contains(images, c.Image) {
			images = append(images, c.Image)
		}
	}
	j := s.judgeImages(ctx, st, images, dryRun)
	if j.err != nil {
		return nil, j.err
	}
	in := PodInput{Profile: st.pipeline.Profile(), Namespace: adm.Namespace, Kind: adm.Kind, Name: adm.Name}
	for _, c := range containers {
		in.Containers = append(in.Containers, ContainerInput{Container: c, Verdict: j.verdicts[c.Image]})
	}
	found, err := st.policies.evaluate(ctx, in)
	if err != nil {
		return nil, err
	}
	d := &Decision{ID: newID(), Admission: adm, Outcome: gopolicy.Allowed}
	for _, img := range images {
		v := j.verdicts[img]
		d.Verdicts = append(d.Verdicts, v)
		d.Findings = append(d.Findings, v.Findings...)
		switch gopolicy.Outcome(v.Outcome) {
		case gopolicy.Denied:
			d.Outcome = gopolicy.Denied
		case gopolicy.Error:
			if d.Outcome == gopolicy.Allowed {
				d.Outcome = gopolicy.Error
			}
		}
	}
	for _, f := range found {
		d.Findings = append(d.Findings, f)
		if f.Level == decision.LevelDeny {
			d.Outcome = gopolicy.Denied
		}
	}
	sort.SliceStable(d.Findings, func(a, b int) bool { return levelRank(d.Findings[a].Level) < levelRank(d.Findings[b].Level) })
	for _, f := range d.Findings {
		s.metrics.decisions.WithLabelValues(f.Policy, f.Level).Inc()
	}
	return d, nil
}

func (s *Server) serveValidate(w http.ResponseWriter, r *http.Request) error {
	st := s.cur.Load()
	if st == nil {
		return errors.New("not ready: the pipeline is not loaded yet")
	}
	body, err := readBody(r, s.opts.MaxBodyBytes)
	if err != nil {
		return err
	}
	review, wl, err := DecodeAdmissionReview(body, s.opts.MaxJSONDepth)
	if err != nil {
		return err
	}
	req := review.Request
	resp := &admissionv1.AdmissionResponse{UID: req.UID, Allowed: true, AuditAnnotations: map[string]string{}}
	out := admissionv1.AdmissionReview{TypeMeta: review.TypeMeta, Response: resp}
	profile := st.pipeline.Profile()
	resp.AuditAnnotations["profile"] = profile
	resp.AuditAnnotations["bundle-digest"] = st.bundleDigest
	if wl.Spec == nil {
		resp.Result = &metav1.Status{Message: fmt.Sprintf("gopolicy: %s %s carries no pod spec to judge", req.Operation, wl.Kind)}
		s.metrics.outcomes.WithLabelValues("validate", "skipped").Inc()
		return writeJSON(w, out)
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.deadline(r))
	defer cancel()
	dryRun := req.DryRun != nil && *req.DryRun
	adm := &facts.Admission{
		Operation: string(req.Operation), Namespace: wl.Namespace, Kind: wl.Kind, Name: wl.Name,
		DryRun: dryRun, Containers: Containers(wl.Spec),
	}
	d, err := s.decide(ctx, st, adm)
	if err == nil && d.Outcome == gopolicy.Error {
		err = errors.New(firstError(d.Findings))
	}
	if d != nil {
		resp.AuditAnnotations["decision-id"] = d.ID
		var facts []string
		for _, v := range d.Verdicts {
			if v.FactsDigest != "" {
				facts = append(facts, v.Digest+"="+v.FactsDigest)
			}
		}
		resp.AuditAnnotations["facts-digests"] = strings.Join(facts, ",")
		resp.Warnings = warnings(d.Findings)
	}
	if err != nil {
		msg := undecided(st, profile, errorCause(err))
		resp.Allowed = st.failureMode == AllowWithWarning
		resp.Result = &metav1.Status{Message: msg, Reason: metav1.StatusReasonServiceUnavailable}
		if !resp.Allowed {
			resp.Result.Code = http.StatusForbidden
		}
		resp.Warnings = append([]string{shorten("gopolicy: no decision ("+st.failureMode+"): "+errorCause(err), MaxWarningLength)}, resp.Warnings...)
		resp.AuditAnnotations["outcome"] = "error"
		resp.AuditAnnotations["failure-mode"] = st.failureMode
		s.metrics.outcomes.WithLabelValues("validate", "error").Inc()
		s.metrics.noDecision.WithLabelValues(st.failureMode).Inc()
		return writeJSON(w, out)
	}
	resp.AuditAnnotations["outcome"] = string(d.Outcome)
	s.metrics.outcomes.WithLabelValues("validate", string(d.Outcome)).Inc()
	if d.Outcome == gopolicy.Denied {
		// A refusal is logged with the facts it was made on, so that it
		// can be explained without the request.
		s.log.Info("denied", "decision_id", d.ID, "uid", string(req.UID), "admission", adm, "findings", d.Findings)
		resp.Allowed = false
		resp.Result = &metav1.Status{Code: http.StatusForbidden, Reason: metav1.StatusReasonForbidden, Message: denyMessage(profile, d)}
	}
	return writeJSON(w, out)
}

// denyMessage names the top findings by id.
func denyMessage(profile string, d *Decision) string {
	var ids []string
	var first []string
	for _, f := range d.Findings {
		if f.Level != decision.LevelDeny {
			continue
		}
		if !slices.Contains(ids, f.Policy) {
			ids = append(ids, f.Policy)
		}
		if len(first) < maxMessageFindings {
			first = append(first, f.Policy+": "+shorten(f.Message, 400))
		}
	}
	if len(ids) == 0 {
		return fmt.Sprintf("gopolicy denied (profile %s, decision %s): warnings fail this profile", profile, d.ID)
	}
	return fmt.Sprintf("gopolicy denied (profile %s, decision %s): %s — %s", profile, d.ID, strings.Join(ids, ", "), strings.Join(first, "; "))
}

func firstError(fs []Finding) string {
	for _, f := range fs {
		if f.Level == decision.LevelError {
			return f.Policy + ": " + f.Message
		}
	}
	return "the policies could not judge the attested facts"
}

// warnings are the warn findings, each at most MaxWarningLength.
func warnings(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		if f.Level != decision.LevelWarn {
			continue
		}
		if len(out) == maxWarnings {
			out = append(out, fmt.Sprintf("gopolicy: and more warnings (see the decision)"))
			break
		}
		out = append(out, shorten(f.Policy+": "+f.Message, MaxWarningLength))
	}
	return out
}

// ExternalValue is the structured decision of one image for Gatekeeper.
type ExternalValue struct {
	// Allowed is what the ConstraintTemplate enforces.
	Allowed bool   `json:"allowed"`
	Outcome string `json:"outcome"`
	// FailureMode and Message are set when no decision was made.
	FailureMode string        `json:"failure_mode,omitempty"`
	Message     string        `json:"message,omitempty"`
	DecisionID  string        `json:"decision_id,omitempty"`
	Findings    []Finding     `json:"findings"`
	Verdict     *ImageVerdict `json:"verdict,omitempty"`
}

func (s *Server) serveExternalData(w http.ResponseWriter, r *http.Request) error {
	resp := ProviderResponse{APIVersion: ExternalDataAPIVersion, Kind: "ProviderResponse", Response: ProviderResult{Idempotent: true, Items: []Item{}}}
	body, err := readBody(r, s.opts.MaxBodyBytes)
	if err != nil {
		return err
	}
	req, err := DecodeProviderRequest(body, s.opts.MaxJSONDepth)
	if err != nil {
		return err
	}
	st := s.cur.Load()
	if st == nil {
		resp.Response.SystemError = "gopolicy is not ready: the pipeline is not loaded yet"
		return writeJSON(w, resp)
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.deadline(r))
	defer cancel()
	profile := st.pipeline.Profile()
	items := make([]Item, len(req.Request.Keys))
	outages := 0
	var wg sync.WaitGroup
	sem := make(chan struct{}, imageWorkers)
	var mu sync.Mutex
	for i, key := range req.Request.Keys {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			var err error
			items[i], err = s.externalItem(ctx, st, profile, key)
			var re *oci.RegistryError
			if errors.As(err, &re) || errors.Is(err, context.DeadlineExceeded) {
				mu.Lock()
				outages++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	resp.Response.Items = items
	if len(items) > 0 && outages == len(items) && st.failureMode == DenyOnError {
		resp.Response.SystemError = undecided(st, profile, "the registry could not be reached in time for any image")
	}
	return writeJSON(w, resp)
}

func (s *Server) externalItem(ctx context.Context, st *state, profile, key string) (Item, error) {
	d, err := s.decide(ctx, st, &facts.Admission{Kind: "Image", Name: key, Containers: []Container{{Name: "image", Kind: "container", Image: key, Env: map[string]string{}, EnvFrom: []string{}, GOMAXPROCS: -1, GOMEMLIMITBytes: -1}}})
	if err == nil && d.Outcome == gopolicy.Error {
		err = errors.New(firstError(d.Findings))
	}
	if err != nil {
		msg := undecided(st, profile, errorCause(err))
		s.metrics.outcomes.WithLabelValues("externaldata", "error").Inc()
		s.metrics.noDecision.WithLabelValues(st.failureMode).Inc()
		if st.failureMode == DenyOnError {
			return Item{Key: key, Error: msg}, err
		}
		return Item{Key: key, Value: ExternalValue{Allowed: true, Outcome: string(gopolicy.Error), FailureMode: st.failureMode, Message: msg, Findings: []Finding{}}}, err
	}
	s.metrics.outcomes.WithLabelValues("externaldata", string(d.Outcome)).Inc()
	v := ExternalValue{Allowed: d.Outcome == gopolicy.Allowed, Outcome: string(d.Outcome), DecisionID: d.ID, Findings: d.Findings, Verdict: d.Verdicts[0]}
	if v.Findings == nil {
		v.Findings = []Finding{}
	}
	return Item{Key: key, Value: v}, nil
}
