package output

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/gopolicy/gopolicy/pkg/decision"
)

// Text is the human report: every finding that needs attention with its
// evidence and fix, then a one-line summary.
type Text struct{ Verbose bool }

// FormatAll writes one report after another.
func (t Text) FormatAll(w io.Writer, ds []*decision.Decision) error {
	return sequential(t.Format, w, ds)
}

// Format implements Formatter.
func (t Text) Format(w io.Writer, d *decision.Decision) error {
	var b strings.Builder
	for _, e := range d.InputErrors {
		fmt.Fprintf(&b, "%-6s %-11s %s\n", "ERROR", "input", e)
	}
	for _, f := range d.Findings {
		switch f.Level {
		case decision.LevelPass, decision.LevelOff, decision.LevelSkip:
			// Counted in the summary line; listed one by one with -v.
			if t.Verbose {
				fmt.Fprintf(&b, "%-6s %-11s %s\n", strings.ToUpper(f.Level), f.Policy, f.Message)
			}
			continue
		}
		fmt.Fprintf(&b, "%-6s %-11s %-8s %s (v%s)\n", strings.ToUpper(f.Level), f.Policy, f.Severity, f.Title, f.Version)
		fmt.Fprintf(&b, "       %s\n", f.Message)
		for _, e := range f.Evidence {
			fmt.Fprintf(&b, "       %s = %s", evidenceLabel(e.Fact), valueText(e.Value))
			if e.Source != "" {
				fmt.Fprintf(&b, "   (%s)", e.Source)
			}
			b.WriteByte('\n')
		}
		if f.Waiver != nil {
			fmt.Fprintf(&b, "       %s\n", waiverLine(f.Waiver))
		}
		if f.Level != decision.LevelError {
			fmt.Fprintf(&b, "       fix: %s\n", strings.TrimSpace(f.Remediation))
		}
	}
	for _, o := range d.Overrides {
		fmt.Fprintf(&b, "%-6s %-11s %s (bundle %s)\n", "NOTE", o.Policy, o.Describe(), o.Bundle)
	}
	for _, st := range d.Waivers {
		if st.Status != decision.WaiverApplied {
			fmt.Fprintf(&b, "%-6s %-11s %s waiver %s: %s\n", "WAIVER", st.Policy, st.Source, st.Status, st.Note)
		}
	}
	b.WriteString(summaryLine(d) + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// summaryLine is the verdict with its counts and the exact policies used.
func summaryLine(d *decision.Decision) string {
	s := d.Summary
	verdict := "ALLOWED"
	if !d.Allow {
		verdict = "DENIED"
	}
	waived := ""
	if s.Waived > 0 {
		waived = fmt.Sprintf(", %d waived", s.Waived)
	}
	return fmt.Sprintf("%s: %d denied, %d warnings%s, %d errors, %d passed, %d skipped, %d off  (profile %s; policies %s %s, %s)",
		verdict, s.Deny, s.Warn, waived, s.Error+len(d.InputErrors), s.Pass, s.Skip, s.Off, d.Profile, d.Bundle.Name, d.Bundle.Revision, d.Bundle.Digest)
}

// evidenceLabel shortens the pointers people read most: an environment
// variable's value is shown by its name.
func evidenceLabel(pointer string) string {
	if name, ok := strings.CutPrefix(pointer, "/goenv/vars/"); ok {
		if n, ok := strings.CutSuffix(name, "/value"); ok {
			return n
		}
	}
	return pointer
}

func valueText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	s := string(b)
	if len(s) > 200 {
		s = s[:197] + "..."
	}
	return s
}
