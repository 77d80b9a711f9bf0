package report

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"

	"github.com/gopolicy/gopolicy/internal/safeio"
	"github.com/gopolicy/gopolicy/pkg/decision"
	"github.com/gopolicy/gopolicy/pkg/gopolicy"
)

// Change is one artefact whose verdict could not be reproduced.
type Change struct {
	Index   int    `json:"index"`
	Subject string `json:"subject"`
	// Why says what changed: the facts file's digest, the outcome, or
	// individual policies' levels.
	Why     []string `json:"why"`
	Outcome string   `json:"outcome,omitempty"`
	Was     string   `json:"was"`
}

// Verification is what verify found.
type Verification struct {
	Artefacts int `json:"artefacts"`
	Same      int `json:"same"`
	// NoFacts counts artefacts whose facts could not be collected in the
	// original run: there is nothing to re-judge, only the error recorded.
	NoFacts int `json:"no_facts"`
	// Bundles lists policy bundles that differ from the report's.
	Bundles []string `json:"bundles,omitempty"`
	Changes []Change `json:"changes"`
}

// OK is true when every verdict was reproduced with the same policies.
func (v *Verification) OK() bool { return len(v.Bundles) == 0 && len(v.Changes) == 0 }

// CheckBundles compares the report's bundles with a pipeline's: a
// verdict is only reproducible with the same policies.
func CheckBundles(meta Metadata, p *gopolicy.Pipeline) []string {
	have := map[string]decision.BundleInfo{}
	for _, b := range p.Engine().Bundles() {
		have[b.Name] = b
	}
	var out []string
	for _, b := range meta.Bundles {
		h, ok := have[b.Name]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("bundle %s (%s, from %s) is not loaded: give it with --policy", b.Name, b.Digest, b.Source))
		case h.Digest != b.Digest:
			out = append(out, fmt.Sprintf("bundle %s: the report was judged with revision %s %s, this run has revision %s %s", b.Name, b.Revision, b.Digest, h.Revision, h.Digest))
		}
		delete(have, b.Name)
	}
	for name, b := range have {
		out = append(out, fmt.Sprintf("bundle %s (%s) is loaded but the report was judged without it", name, b.Digest))
	}
	sort.Strings(out)
	return out
}

// Verify re-judges every stored facts document of the report in dir with
// p and compares each verdict with the stored one. A facts file whose
// digest is not the one report.json records is a change (the facts were
// altered) and is not re-judged.
func Verify(ctx context.Context, dir string, p *gopolicy.Pipeline, failOn string) (*Verification, error) {
	r, err := Read(dir)
	if err != nil {
		return nil, err
	}
	v := &Verification{Artefacts: len(r.Artefacts), Bundles: CheckBundles(r.Metadata, p), Changes: []Change{}}
	for _, a := range r.Artefacts {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		ch := Change{Index: a.Index, Subject: a.Subject, Was: a.Outcome}
		if a.Facts == "" {
			v.NoFacts++
			v.Same++
			continue
		}
		data, err := safeio.ReadFile(filepath.Join(dir, filepath.FromSlash(a.Facts)), safeio.DefaultLimits().Facts)
		if err != nil {
			ch.Why = append(ch.Why, fmt.Sprintf("%s: %v", a.Facts, err))
			v.Changes = append(v.Changes, ch)
			continue
		}
		if got := Digest(data); got != a.FactsSHA256 {
			ch.Why = append(ch.Why, fmt.Sprintf("%s was altered: its digest is %s, report.json records %s", a.Facts, got, a.FactsSHA256))
			v.Changes = append(v.Changes, ch)
			continue
		}
		old, err := ReadDecision(dir, a)
		if err != nil {
			ch.Why = append(ch.Why, fmt.Sprintf("stored decision: %v", err))
			v.Changes = append(v.Changes, ch)
			continue
		}
		var now *decision.Decision
		res, err := p.JudgeFacts(ctx, data)
		if err != nil {
			now = &decision.Decision{InputErrors: []decision.InputError{{Collector: "input", Path: a.Subject, Message: err.Error()}}}
		} else {
			now = res.Decision
		}
		ch.Outcome = OutcomeOf(now, failOn)
		ch.Why = compareDecisions(old, now)
		if ch.Outcome != a.Outcome {
			ch.Why = append([]string{fmt.Sprintf("outcome %s, was %s", ch.Outcome, a.Outcome)}, ch.Why...)
		}
		if len(ch.Why) == 0 {
			v.Same++
			continue
		}
		v.Changes = append(v.Changes, ch)
	}
	return v, nil
}

// compareDecisions lists the findings whose level differs, keyed by
// policy and finding subject, and input errors that appeared or went.
func compareDecisions(old, now *decision.Decision) []string {
	levels := func(d *decision.Decision) map[string]string {
		m := map[string]string{}
		for _, f := range d.Findings {
			k := f.Policy
			if f.Subject != "" {
				k += " (" + f.Subject + ")"
			}
			m[k] = f.Level
		}
		return m
	}
	o, n := levels(old), levels(now)
	var out []string
	for k, lv := range n {
		if o[k] != lv {
			was := o[k]
			if was == "" {
				was = "absent"
			}
			out = append(out, fmt.Sprintf("%s: %s, was %s", k, lv, was))
		}
	}
	for k, lv := range o {
		if _, ok := n[k]; !ok {
			out = append(out, fmt.Sprintf("%s: absent, was %s", k, lv))
		}
	}
	sort.Strings(out)
	if len(old.InputErrors) != len(now.InputErrors) {
		out = append(out, fmt.Sprintf("input errors: %d, was %d", len(now.InputErrors), len(old.InputErrors)))
	}
	return out
}
