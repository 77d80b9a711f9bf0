package eval

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gopolicy/gopolicy/pkg/decision"
	"github.com/gopolicy/gopolicy/pkg/facts"
	"github.com/gopolicy/gopolicy/pkg/facts/check"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// InputFormatError is a facts document the engine cannot read.
type InputFormatError struct{ Err error }

func (e *InputFormatError) Error() string { return "facts document: " + e.Err.Error() }
func (e *InputFormatError) Unwrap() error { return e.Err }

// UnknownProfileError names a profile no policy knows.
type UnknownProfileError struct {
	Profile string
	Known   []string
}

func (e *UnknownProfileError) Error() string {
	return fmt.Sprintf("unknown profile %q (known: %s)", e.Profile, strings.Join(e.Known, ", "))
}

// Evaluate judges a facts document (its JSON encoding) under a profile.
// It checks only what it must to judge safely (a JSON object of the
// facts schema's version); front doors that take documents from outside
// validate them against the whole schema first (package facts/check).
func (e *Engine) Evaluate(ctx context.Context, factsJSON []byte, profile string) (*decision.Decision, error) {
	dec := json.NewDecoder(bytes.NewReader(factsJSON))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, &InputFormatError{errors.New(check.DescribeJSONError(factsJSON, err))}
	}
	return e.EvaluateDocument(ctx, doc, profile)
}

// EvaluateDocument judges a facts document decoded with json.Number
// numbers. The document is read, never changed, so one document may be
// judged concurrently under several profiles.
func (e *Engine) EvaluateDocument(ctx context.Context, doc map[string]any, profile string) (*decision.Decision, error) {
	if !slices.Contains(e.profiles, profile) {
		return nil, &UnknownProfileError{profile, e.profiles}
	}
	if s, _ := doc["schema"].(string); s != facts.SchemaVersion {
		return nil, &InputFormatError{fmt.Errorf("schema %s is not %q", describeValue(doc["schema"]), facts.SchemaVersion)}
	}
	// The input is converted to Rego values only where a policy reads it,
	// so a large section no policy iterates (every go.sum line) costs
	// nothing to judge.
	var input ast.Value = ast.LazyObject(doc)
	collectors, _ := doc["collectors"].(map[string]any)

	d := &decision.Decision{Profile: profile, Bundle: e.BundleSummary(), Bundles: e.Bundles(), Findings: []decision.Finding{}, InputErrors: inputErrors(collectors), Overrides: e.Overrides(), Waivers: []decision.WaiverStatus{}}
	d.Dir, _ = doc["dir"].(string)
	if mod, ok := doc["gomod"].(map[string]any); ok {
		d.GoMod, _ = mod["file"].(string)
	}

	for _, t := range e.takenOver {
		f := decision.Finding{Policy: t.policy.ID, Title: t.policy.Title, Version: t.policy.Version, Severity: t.policy.Severity, Remediation: t.policy.Remediation, Bundle: t.policy.Bundle, Evidence: []decision.Evidence{}, Level: decision.LevelOff}
		f.Message = t.override.Describe()
		d.Findings = append(d.Findings, f)
	}
	// One deadline for the whole judgement, from start: the aggregate
	// query gets its first half, the per-policy fall-back the rest.
	start := time.Now()
	results, evalErr := e.evalAll(ctx, start, input)

	// When the one query fails, the policies it would have judged are
	// evaluated one by one (all at once, under the same deadline).
	var single []oneResult
	if evalErr != nil {
		var pending []int
		for i, p := range e.policies {
			if p.Enforcement(profile) == decision.LevelOff {
				continue
			}
			if _, gated := gate(decision.Finding{}, p, doc, collectors); gated {
				continue
			}
			pending = append(pending, i)
		}
		jctx := ctx
		if e.timeout > 0 {
			var cancel context.CancelFunc
			jctx, cancel = context.WithDeadlineCause(ctx, start.Add(e.timeout), errDeadline)
			defer cancel()
		}
		single = e.evalEach(jctx, pending, input)
	}
	for i, p := range e.policies {
		base := decision.Finding{Policy: p.ID, Title: p.Title, Version: p.Version, Severity: p.Severity, Remediation: p.Remediation, Bundle: p.Bundle, Evidence: []decision.Evidence{}}
		level := p.Enforcement(profile)
		if level == decision.LevelOff {
			f := base
			f.Level, f.Message = decision.LevelOff, "switched off in profile "+profile
			d.Findings = append(d.Findings, f)
			continue
		}
		if f, gated := gate(base, p, doc, collectors); gated {
			d.Findings = append(d.Findings, f)
			continue
		}
		var violations []any
		if evalErr != nil {
			r := single[i]
			if r.message != "" {
				f := base
				f.Level, f.Message = decision.LevelError, r.message
				d.Findings = append(d.Findings, f)
				continue
			}
			violations = r.violations
		} else {
			violations, _ = results[fmt.Sprintf("p%d", i)].([]any)
		}
		if len(violations) == 0 {
			f := base
			f.Level, f.Message = decision.LevelPass, p.Title
			d.Findings = append(d.Findings, f)
			continue
		}
		for _, v := range violations {
			f := base
			if err := decodeViolation(v, &f); err != nil {
				f.Level, f.Message = decision.LevelError, fmt.Sprintf("policy returned a malformed violation: %v", err)
			} else {
				f.Level = level
			}
			d.Findings = append(d.Findings, f)
		}
	}
	d.Recount()
	return d, nil
}

// evalOptions pin what a policy could otherwise observe of the host: the
// clock and randomness (see evalTime).
func evalOptions(input ast.Value) []rego.EvalOption {
	return []rego.EvalOption{rego.EvalParsedInput(input), pinTime, pinSeed}
}

var (
	pinTime = rego.EvalTime(evalTime)
	pinSeed = rego.EvalSeed(zeroSeed{})
)

// evalAll evaluates every policy in one query. It gets half the
// judgement's time, so that when it fails the per-policy fall-back still
// has the other half to find which policy failed.
func (e *Engine) evalAll(ctx context.Context, start time.Time, input ast.Value) (map[string]any, error) {
	if e.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadlineCause(ctx, start.Add(e.timeout/2), errDeadline)
		defer cancel()
	}
	gctx, stop := guardMemory(ctx, e.maxMemory)
	rs, err := e.aggregate.Eval(gctx, evalOptions(input)...)
	wasStopped := err != nil && stopped(gctx)
	stop()
	if wasStopped {
		// What the stopped query built is garbage now; collect it so the
		// fall-back's memory guard starts from what is live.
		runtime.GC()
	}
	if err != nil {
		return nil, err
	}
	if len(rs) != 1 {
		return nil, fmt.Errorf("aggregate query returned %d results", len(rs))
	}
	return rs[0].Bindings, nil
}

// oneResult is one policy's outcome in the fall-back: its violations,
// or the message of the error finding it becomes.
type oneResult struct {
	violations []any
	message    string
}

// evalEach evaluates the policies at the given indexes one query each,
// so an error lands on the policy that caused it. They run concurrently
// under the judgement's one deadline and memory guard: a policy that
// never finishes is stopped with the others' verdicts in, and the total
// time does not grow with the number of policies.
func (e *Engine) evalEach(ctx context.Context, indexes []int, input ast.Value) []oneResult {
	gctx, stop := guardMemory(ctx, e.maxMemory)
	defer stop()
	out := make([]oneResult, len(e.policies))
	var wg sync.WaitGroup
	for _, i := range indexes {
		wg.Go(func() {
			v, err := e.evalOne(gctx, i, input)
			if err != nil {
				msg := "evaluation failed: " + err.Error()
				if isCancel(err) && stopped(gctx) {
					msg = e.describeEvalError(gctx, err)
				}
				out[i] = oneResult{message: msg}
				return
			}
			out[i] = oneResult{violations: v}
		})
	}
	wg.Wait()
	return out
}

// isCancel reports an evaluation that was cancelled rather than failed.
func isCancel(err error) bool {
	var te *topdown.Error
	if errors.As(err, &te) && te.Code == topdown.CancelErr {
		return true
	}
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}

func (e *Engine) evalOne(ctx context.Context, i int, input ast.Value) ([]any, error) {
	rs, err := e.single[i].Eval(ctx, evalOptions(input)...)
	if err != nil {
		return nil, err
	}
	if len(rs) != 1 {
		return nil, fmt.Errorf("query returned %d results", len(rs))
	}
	v, _ := rs[0].Bindings["p0"].([]any)
	return v, nil
}

// gate fails closed: a policy whose required facts are missing is an
// error, unless the collector said the facts do not apply (skipped).
func gate(base decision.Finding, p decision.Policy, doc map[string]any, collectors map[string]any) (decision.Finding, bool) {
	for _, section := range p.Requires {
		st, _ := collectors[section].(map[string]any)
		status, _ := st["status"].(string)
		_, present := doc[section]
		switch {
		case status == "skipped":
			f := base
			reason, _ := st["reason"].(string)
			f.Level, f.Message = decision.LevelSkip, fmt.Sprintf("not applicable: %s facts were not collected (%s)", section, reason)
			return f, true
		case status == "" && !present && facts.Predates(docToolVersion(doc), section):
			// The document was written before gopolicy collected this
			// section: nothing failed, nothing was judged, and the old
			// document keeps the verdicts it had.
			f := base
			f.Level, f.Message = decision.LevelSkip, fmt.Sprintf("not judged: the document was written by gopolicy %s, before %s facts were collected (since %s)", docToolVersion(doc), section, facts.SectionSince[section])
			return f, true
		case !present || doc[section] == nil:
			f := base
			f.Level = decision.LevelError
			if status == "" {
				f.Message = fmt.Sprintf("required facts %q are missing from the document", section)
			} else {
				f.Message = fmt.Sprintf("required facts %q could not be collected: %s", section, problemText(st))
			}
			f.Evidence = []decision.Evidence{{Fact: "/collectors/" + section, Value: st}}
			return f, true
		}
	}
	return decision.Finding{}, false
}

func docToolVersion(doc map[string]any) string {
	tool, _ := doc["tool"].(map[string]any)
	v, _ := tool["version"].(string)
	return v
}

func problemText(st map[string]any) string {
	probs, _ := st["problems"].([]any)
	var parts []string
	for _, p := range probs {
		m, _ := p.(map[string]any)
		parts = append(parts, formatProblem(m))
	}
	if len(parts) == 0 {
		return "no reason recorded"
	}
	return strings.Join(parts, "; ")
}

func formatProblem(m map[string]any) string {
	msg, _ := m["message"].(string)
	path, _ := m["path"].(string)
	if path == "" {
		return msg
	}
	if line, ok := m["line"].(json.Number); ok && line.String() != "0" {
		return fmt.Sprintf("%s:%s: %s", path, line, msg)
	}
	return path + ": " + msg
}

func inputErrors(collectors map[string]any) []decision.InputError {
	out := []decision.InputError{}
	names := make([]string, 0, len(collectors))
	for n := range collectors {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		st, _ := collectors[name].(map[string]any)
		probs, _ := st["problems"].([]any)
		for _, p := range probs {
			m, _ := p.(map[string]any)
			ie := decision.InputError{Collector: name}
			ie.Message, _ = m["message"].(string)
			ie.Path, _ = m["path"].(string)
			if n, ok := m["line"].(json.Number); ok {
				l, _ := n.Int64()
				ie.Line = int(l)
			}
			out = append(out, ie)
		}
	}
	return out
}

func decodeViolation(v any, f *decision.Finding) error {
	m, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("want an object, got %T", v)
	}
	msg, _ := m["msg"].(string)
	if msg == "" {
		return fmt.Errorf("no msg")
	}
	f.Message = msg
	f.Subject, _ = m["subject"].(string)
	evs, _ := m["evidence"].([]any)
	for _, ev := range evs {
		em, ok := ev.(map[string]any)
		if !ok {
			return fmt.Errorf("evidence must be objects")
		}
		e := decision.Evidence{Value: normalise(em["value"])}
		e.Fact, _ = em["fact"].(string)
		e.Source, _ = em["source"].(string)
		e.File, _ = em["file"].(string)
		if n, ok := em["line"].(json.Number); ok {
			if l, err := n.Int64(); err == nil && l > 0 {
				e.Line = int(l)
			}
		}
		if e.Fact == "" {
			return fmt.Errorf("evidence without fact")
		}
		f.Evidence = append(f.Evidence, e)
	}
	return nil
}

// normalise turns json.Number back into plain numbers for output.
func normalise(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case []any:
		for i := range x {
			x[i] = normalise(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = normalise(x[k])
		}
	}
	return v
}

// describeValue names a JSON value for a message: a string quoted, the
// absence of one said.
func describeValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "missing"
	case string:
		return fmt.Sprintf("%q", x)
	}
	return fmt.Sprintf("%v (a %T)", v, v)
}
