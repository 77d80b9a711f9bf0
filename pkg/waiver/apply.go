package waiver

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/gopolicy/gopolicy/pkg/decision"
)

// Options are the rules waivers are held to.
type Options struct {
	// Now decides which waivers have expired.
	Now time.Time
	// MaxHorizon, when positive, refuses waivers that expire further than
	// this from Now: the profile demands they be renewed and re-reviewed.
	MaxHorizon time.Duration
}

// Apply turns the deny and warn findings that valid waivers match into
// waived findings, records every waiver's fate in the decision, and
// recomputes the verdict. Expired and refused waivers are attached to the
// findings they would have covered, which keep their level.
func Apply(d *decision.Decision, waivers []Waiver, opts Options) error {
	known := map[string]bool{}
	for _, f := range d.Findings {
		known[f.Policy] = true
	}
	statuses := make([]*decision.WaiverStatus, len(waivers))
	for i, w := range waivers {
		matchers, err := compileMatch(w)
		if err != nil {
			return err
		}
		st := &decision.WaiverStatus{Policy: w.Policy, Match: w.Match, Reason: w.Reason, Owner: w.Owner, Expires: w.ExpiresText, Ticket: w.Ticket, Source: w.Source(), Status: decision.WaiverApplied}
		switch {
		case !opts.Now.Before(w.Expires):
			st.Status, st.Note = decision.WaiverExpired, "it no longer applies: renew it after review, or fix the finding"
		case opts.MaxHorizon > 0 && w.Expires.Sub(opts.Now) > opts.MaxHorizon:
			st.Status, st.Note = decision.WaiverRefused, fmt.Sprintf("beyond the %d days profile %s allows; shorten it", int(opts.MaxHorizon.Hours()/24), d.Profile)
		}
		statuses[i] = st
		for fi := range d.Findings {
			f := &d.Findings[fi]
			if f.Policy != w.Policy || !waivable(f) || !matches(matchers, f) {
				continue
			}
			st.Findings++
			if f.Waiver != nil && f.Waiver.Status == decision.WaiverApplied {
				continue // an earlier waiver already covers it
			}
			f.Waiver = st
			if st.Status == decision.WaiverApplied {
				f.Level = decision.LevelWaived
			}
		}
		if st.Findings == 0 && st.Status == decision.WaiverApplied {
			st.Status = decision.WaiverUnmatched
			if known[w.Policy] {
				st.Note = "matches no deny or warn finding of " + w.Policy + "; remove it if the finding is fixed"
			} else {
				st.Note = "no loaded policy has id " + w.Policy
			}
		}
	}
	d.Waivers = make([]decision.WaiverStatus, 0, len(statuses))
	for _, st := range statuses {
		d.Waivers = append(d.Waivers, *st)
	}
	d.Recount()
	return nil
}

// waivable: only violations can be waived. An error means the policy
// could not judge at all, which no waiver should hide.
func waivable(f *decision.Finding) bool {
	return f.Level == decision.LevelDeny || f.Level == decision.LevelWarn ||
		(f.Level == decision.LevelWaived && f.Waiver != nil)
}

type matcher struct {
	subject, fact, value, source *regexp.Regexp
}

func compileMatch(w Waiver) (matcher, error) {
	var m matcher
	for key, pattern := range w.Match {
		re, err := Glob(pattern)
		if err != nil {
			return m, &Error{File: w.File, Line: w.Line, Msg: fmt.Sprintf("match %s: %v", key, err)}
		}
		switch key {
		case "subject":
			m.subject = re
		case "fact":
			m.fact = re
		case "value":
			m.value = re
		case "source":
			m.source = re
		}
	}
	return m, nil
}

// matches: the subject pattern tests the finding's subject; the fact,
// value and source patterns must all hold for one piece of evidence.
func matches(m matcher, f *decision.Finding) bool {
	if m.subject != nil && !m.subject.MatchString(f.Subject) {
		return false
	}
	if m.fact == nil && m.value == nil && m.source == nil {
		return true
	}
	for _, e := range f.Evidence {
		if (m.fact == nil || m.fact.MatchString(e.Fact)) &&
			(m.value == nil || m.value.MatchString(valueString(e.Value))) &&
			(m.source == nil || m.source.MatchString(e.Source)) {
			return true
		}
	}
	return false
}

func valueString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// Glob compiles a pattern where * matches any run of characters and ?
// one character; everything else is literal and the whole text must match.
func Glob(pattern string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString("^")
	for _, r := range pattern {
		switch r {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	return regexp.Compile(b.String())
}
