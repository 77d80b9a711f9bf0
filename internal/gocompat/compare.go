package gocompat

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/gopolicy/gopolicy/pkg/decision"
)

// Rejudging are the built-in policies that re-judge what the go command
// judges: each denies only where the go command refuses to build. The
// other policies are the organisation's choices (GOSUMDB=off in prod, a
// local replace) that the go command has no opinion on.
var Rejudging = []string{"GP-MOD-001", "GP-MOD-002", "GP-MOD-004", "GP-MOD-005", "GP-MOD-009", "GP-ENV-009"}

// PolicyResult is gopolicy's judgement of a scenario, reduced to what the
// comparison needs.
type PolicyResult struct {
	Outcome string
	// Refusals are the deny findings of the re-judging policies
	// ("GP-MOD-001 go.sum has no …").
	Refusals []string
	// Errors are input errors and error findings of re-judging policies.
	Errors []string
	// Mode is the build mode gopolicy computed, for the table.
	Mode string
}

// Reduce extracts a PolicyResult from a decision.
func Reduce(outcome string, d *decision.Decision) PolicyResult {
	r := PolicyResult{Outcome: outcome}
	for _, f := range d.Findings {
		if !slices.Contains(Rejudging, f.Policy) {
			continue
		}
		switch f.Level {
		case decision.LevelDeny:
			r.Refusals = append(r.Refusals, f.Policy+" "+f.Message)
		case decision.LevelError:
			r.Errors = append(r.Errors, f.Policy+" "+f.Message)
		}
	}
	for _, e := range d.InputErrors {
		switch e.Collector {
		case "goenv", "gomod", "gosum", "vendor", "gowork":
			pos := e.Path
			if e.Line > 0 {
				pos = fmt.Sprintf("%s:%d", e.Path, e.Line)
			}
			r.Errors = append(r.Errors, fmt.Sprintf("%s collector: %s: %s", e.Collector, pos, e.Message))
		}
	}
	sort.Strings(r.Refusals)
	return r
}

// Verdicts.
const (
	Agree      = "agree"
	Disagree   = "disagree"
	CannotTell = "cannot-tell"
	// NotJudged is a scenario the go command refuses for a reason
	// gopolicy does not judge (a compile error, a module the proxy does
	// not have, no go.mod): nothing to compare.
	NotJudged = "not-judged"
)

// Known is an entry on the documented list of scenarios where gopolicy
// cannot tell, or knowingly differs from, the go command.
type Known struct {
	Verdict string
	Reason  string
}

// Compare decides whether gopolicy agrees with the go command.
func Compare(g GoResult, p PolicyResult) (string, string) {
	refuses := len(p.Refusals) > 0 || len(p.Errors) > 0
	switch {
	case g.OK && !refuses:
		return Agree, ""
	case g.OK:
		return Disagree, "the go command builds, gopolicy refuses: " + first(p.Refusals, p.Errors)
	case g.Integrity() && refuses:
		return Agree, ""
	case g.Integrity():
		return Disagree, "the go command refuses (" + g.Class + ": " + g.Message + "), gopolicy allows"
	}
	return NotJudged, g.Class + ": " + g.Message
}

func first(lists ...[]string) string {
	for _, l := range lists {
		if len(l) > 0 {
			return l[0]
		}
	}
	return ""
}

// Row is one line of the comparison table.
type Row struct {
	ID, Go, Gopolicy, Verdict, Note string
}

// GoSummary renders a go result for the table.
func GoSummary(g GoResult) string {
	if g.OK {
		return "ok"
	}
	return "fail " + g.Class
}

// PolicySummary renders a gopolicy result for the table.
func PolicySummary(p PolicyResult) string {
	var ids []string
	for _, r := range p.Refusals {
		id, _, _ := strings.Cut(r, " ")
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	s := p.Outcome
	if len(ids) > 0 {
		s += " " + strings.Join(ids, ",")
	}
	if len(p.Errors) > 0 {
		s += " +errors"
	}
	if p.Mode != "" {
		s += " [" + p.Mode + "]"
	}
	return s
}

// Table renders rows as aligned text.
func Table(rows []Row) string {
	w := [4]int{len("scenario"), len("go command"), len("gopolicy"), len("verdict")}
	for _, r := range rows {
		for i, c := range []string{r.ID, r.Go, r.Gopolicy, r.Verdict} {
			w[i] = max(w[i], len(c))
		}
	}
	var b strings.Builder
	line := func(c ...string) {
		fmt.Fprintf(&b, "%-*s  %-*s  %-*s  %-*s  %s\n", w[0], c[0], w[1], c[1], w[2], c[2], w[3], c[3], c[4])
	}
	line("scenario", "go command", "gopolicy", "verdict", "note")
	for _, r := range rows {
		line(r.ID, r.Go, r.Gopolicy, r.Verdict, r.Note)
	}
	return b.String()
}

// Relevant reports whether a scenario has something gopolicy judges:
// GOFLAGS set; or, in module mode, GOTOOLCHAIN set or a module (go.mod,
// vendor.mod or go.work at or above its directory).
func Relevant(sc Scenario) bool {
	if sc.Env["GOFLAGS"] != "" {
		return true // the go command checks GOFLAGS in GOPATH mode too
	}
	if sc.Env["GO111MODULE"] == "off" {
		return false
	}
	return sc.Env["GOTOOLCHAIN"] != "" || sc.inModule() || sc.has("go.work")
}
