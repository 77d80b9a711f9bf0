package output

import (
	"fmt"
	"io"
	"strings"

	"github.com/gopolicy/gopolicy/pkg/decision"
)

// GitHub writes GitHub Actions workflow commands: an annotation per
// finding, on the file and line its evidence came from, then the summary.
type GitHub struct {
	// BaseDir is the workspace root file paths are made relative to.
	BaseDir string
}

// FormatAll writes every decision's annotations.
func (g GitHub) FormatAll(w io.Writer, ds []*decision.Decision) error {
	return sequential(g.Format, w, ds)
}

// Format implements Formatter.
func (g GitHub) Format(w io.Writer, d *decision.Decision) error {
	var b strings.Builder
	for _, ie := range d.InputErrors {
		props := []string{"title=" + escapeProperty("gopolicy input error")}
		if ie.Path != "" {
			l := relocate(ie.Path, ie.Line, d.Dir, g.BaseDir)
			props = append(props, "file="+escapeProperty(l.Path))
			if l.Line > 0 {
				props = append(props, fmt.Sprintf("line=%d", l.Line))
			}
		}
		fmt.Fprintf(&b, "::error %s::%s\n", strings.Join(props, ","), escapeData(ie.String()))
	}
	for _, f := range violations(d) {
		command := "error"
		switch f.Level {
		case decision.LevelWarn:
			command = "warning"
		case decision.LevelWaived:
			command = "notice"
		}
		title := fmt.Sprintf("%s %s (%s)", f.Policy, f.Title, f.Level)
		props := []string{"title=" + escapeProperty(title)}
		if locs := locations(f, d, g.BaseDir); len(locs) > 0 {
			props = append(props, "file="+escapeProperty(locs[0].Path))
			if locs[0].Line > 0 {
				props = append(props, fmt.Sprintf("line=%d", locs[0].Line))
			}
		}
		fmt.Fprintf(&b, "::%s %s::%s\n", command, strings.Join(props, ","), escapeData(findingDetail(f)))
	}
	for _, st := range d.Waivers {
		if st.Status != decision.WaiverApplied {
			fmt.Fprintf(&b, "::warning title=%s::%s\n", escapeProperty("gopolicy waiver "+st.Status), escapeData(fmt.Sprintf("%s waiver for %s: %s", st.Source, st.Policy, st.Note)))
		}
	}
	b.WriteString(summaryLine(d) + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// escapeData escapes a workflow command's message the way the Actions
// runner unescapes it.
func escapeData(s string) string { return dataEscaper.Replace(s) }

// escapeProperty also escapes the separators of the property list.
func escapeProperty(s string) string { return propertyEscaper.Replace(s) }

var (
	dataEscaper     = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	propertyEscaper = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
)
