package output

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/gopolicy/gopolicy/pkg/decision"
)

// Text is the human report: every finding that needs attention with its
// evidence and fix, what was judged, then a one-line verdict.
type Text struct {
	Verbose bool
	// Color emphasises levels and the verdict with ANSI colours, for a
	// terminal; the CLI sets it only on a TTY without NO_COLOR.
	Color bool
}

// FormatAll writes one report after another, each under a line naming
// what it judged.
func (t Text) FormatAll(w io.Writer, ds []*decision.Decision) error {
	for i, d := range ds {
		if i > 0 {
			if _, err := io.WriteString(w, "\n"); err != nil {
				return err
			}
		}
		if _, err := fmt.Fprintf(w, "== %s\n", subjectName(d)); err != nil {
			return err
		}
		if err := t.Format(w, d); err != nil {
			return err
		}
	}
	return nil
}

// subjectName names what a decision judged, for a heading.
func subjectName(d *decision.Decision) string {
	switch {
	case d.Dir != "":
		return d.Dir
	case d.Scope != nil && d.Scope.Binaries > 0:
		return fmt.Sprintf("%d %s", d.Scope.Binaries, plural(d.Scope.Binaries, "binary", "binaries"))
	case len(d.InputErrors) > 0 && d.InputErrors[0].Path != "":
		return d.InputErrors[0].Path
	}
	return "facts"
}

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiYellow = "\x1b[33m"
	ansiGreen  = "\x1b[32m"
	ansiCyan   = "\x1b[36m"
	ansiDim    = "\x1b[2m"
)

var levelColor = map[string]string{
	"DENY": ansiBold + ansiRed, "ERROR": ansiBold + ansiRed, "WARN": ansiYellow, "WAIVED": ansiCyan,
	"PASS": ansiGreen, "SKIP": ansiDim, "OFF": ansiDim, "NOTE": ansiCyan, "WAIVER": ansiYellow,
	"DENIED": ansiBold + ansiRed, "ALLOWED": ansiBold + ansiGreen,
}

// level pads a level word to its column, coloured when asked.
func (t Text) level(word string) string {
	padded := fmt.Sprintf("%-6s", word)
	if c, ok := levelColor[word]; ok && t.Color {
		return c + padded + ansiReset
	}
	return padded
}

// Format implements Formatter.
func (t Text) Format(w io.Writer, d *decision.Decision) error {
	var b strings.Builder
	for _, e := range d.InputErrors {
		fmt.Fprintf(&b, "%s %-11s %s\n", t.level("ERROR"), "input", e)
	}
	// Policies that could not be judged because their facts could not be
	// read are one line, after the input error that says why: the cause
	// is said once.
	unread, order := map[string][]string{}, []string(nil)
	for _, f := range d.Findings {
		if section, ok := unreadSection(f); ok {
			if _, seen := unread[section]; !seen {
				order = append(order, section)
			}
			unread[section] = append(unread[section], f.Policy)
		}
	}
	for _, section := range order {
		ids := unread[section]
		fmt.Fprintf(&b, "%s %-11s %d %s not judged: the %s facts could not be read (%s)\n", t.level("ERROR"), "input", len(ids), plural(len(ids), "policy", "policies"), section, strings.Join(ids, ", "))
	}
	for _, f := range d.Findings {
		if _, ok := unreadSection(f); ok {
			continue
		}
		word := strings.ToUpper(f.Level)
		switch f.Level {
		case decision.LevelPass, decision.LevelOff, decision.LevelSkip:
			// Counted in the summary line; listed one by one with -v.
			if t.Verbose {
				fmt.Fprintf(&b, "%s %-11s %s\n", t.level(word), f.Policy, f.Message)
			}
			continue
		}
		fmt.Fprintf(&b, "%s %-11s %-8s %s (v%s)\n", t.level(word), f.Policy, f.Severity, f.Title, f.Version)
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
			fmt.Fprintf(&b, "       fix: %s\n", indent(strings.TrimSpace(f.Remediation), "       "))
		}
	}
	for _, o := range d.Overrides {
		fmt.Fprintf(&b, "%s %-11s %s (bundle %s)\n", t.level("NOTE"), o.Policy, o.Describe(), o.Bundle)
	}
	for _, st := range d.Waivers {
		if st.Status != decision.WaiverApplied {
			fmt.Fprintf(&b, "%s %-11s %s waiver %s: %s\n", t.level("WAIVER"), st.Policy, st.Source, st.Status, st.Note)
		}
	}
	if sc := d.Scope; sc != nil {
		if line := judgedLine(sc); line != "" {
			fmt.Fprintf(&b, "judged: %s\n", line)
		}
		for _, nj := range sc.NotJudged {
			fmt.Fprintf(&b, "not judged: %s\n", nj)
		}
	}
	verdict, rest := summaryParts(d)
	if c, ok := levelColor[verdict]; ok && t.Color {
		verdict = c + verdict + ansiReset
	} else if t.Color && verdict == "ERROR" {
		verdict = ansiBold + ansiRed + verdict + ansiReset
	}
	b.WriteString(verdict + rest + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// unreadSection reports an error finding whose only cause is that a facts
// section could not be collected (its evidence is the collector status).
func unreadSection(f decision.Finding) (string, bool) {
	if f.Level != decision.LevelError || len(f.Evidence) != 1 {
		return "", false
	}
	section, ok := strings.CutPrefix(f.Evidence[0].Fact, "/collectors/")
	if !ok || strings.Contains(section, "/") {
		return "", false
	}
	return section, true
}

func judgedLine(sc *decision.Scope) string {
	var parts []string
	if sc.Module != "" {
		parts = append(parts, "module "+sc.Module)
	}
	if sc.Binaries > 0 {
		parts = append(parts, fmt.Sprintf("%d %s", sc.Binaries, plural(sc.Binaries, "binary", "binaries")))
	}
	if sc.Rootfs != "" {
		parts = append(parts, "rootfs "+sc.Rootfs)
	}
	return strings.Join(parts, ", ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// indent continues a multi-line text under its first line.
func indent(s, prefix string) string {
	return strings.ReplaceAll(s, "\n", "\n"+prefix)
}

// summaryLine is the verdict with its counts and the exact policies used.
func summaryLine(d *decision.Decision) string {
	verdict, rest := summaryParts(d)
	return verdict + rest
}

// summaryParts splits the summary into the verdict word and the rest.
// ERROR is a run that could not decide and denied nothing: neither a
// pass nor a policy violation.
func summaryParts(d *decision.Decision) (string, string) {
	s := d.Summary
	errors := s.Error + len(d.InputErrors)
	verdict := "ALLOWED"
	switch {
	case s.Deny > 0 || (!d.Allow && errors == 0):
		verdict = "DENIED"
	case errors > 0:
		verdict = "ERROR"
	}
	waived := ""
	if s.Waived > 0 {
		waived = fmt.Sprintf(", %d waived", s.Waived)
	}
	return verdict, fmt.Sprintf(": %d denied, %d warnings%s, %d errors, %d passed, %d skipped, %d off  (profile %s; policies %s)",
		s.Deny, s.Warn, waived, errors, s.Pass, s.Skip, s.Off, d.Profile, bundleText(d))
}

// bundleText names the policies used: each bundle with its revision when
// it has one, and the digest that identifies them all.
func bundleText(d *decision.Decision) string {
	bundles := d.Bundles
	if len(bundles) == 0 {
		bundles = []decision.BundleInfo{d.Bundle}
	}
	var names []string
	for _, b := range bundles {
		name := b.Name
		if rev := strings.TrimSpace(b.Revision); rev != "" {
			name += " " + rev
		}
		names = append(names, name)
	}
	text := strings.Join(names, " + ")
	if d.Bundle.Digest != "" {
		text += ", " + d.Bundle.Digest
	}
	return text
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
