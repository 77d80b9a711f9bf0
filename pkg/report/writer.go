package report

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gopolicy/gopolicy/pkg/decision"
	"github.com/gopolicy/gopolicy/pkg/output"
)

// Writer streams a run into a report directory: Add writes one artefact's
// facts and decision and appends it to every output; Close writes the
// outputs' headers (which need the totals) around what was streamed.
type Writer struct {
	dir  string
	meta Metadata
	c    *counters

	artefacts, md, rows, results, sarif, junit *part
	csvFile                                    *os.File
	csvBuf                                     *bufio.Writer
	csv                                        *csv.Writer
	junitTotals                                [4]int
	sarifFmt                                   output.SARIF
	closed                                     bool
}

// Create makes (or empties of a previous report) dir and starts a report.
func Create(dir string, meta Metadata) (*Writer, error) {
	for _, sub := range []string{FactsDir, DecisionsDir, partsDir} {
		if err := os.RemoveAll(filepath.Join(dir, sub)); err != nil {
			return nil, fmt.Errorf("report directory: %w", err)
		}
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return nil, fmt.Errorf("report directory: %w", err)
		}
	}
	w := &Writer{dir: dir, meta: meta, c: newCounters(), sarifFmt: output.SARIF{ToolVersion: meta.ToolVersion}}
	parts := filepath.Join(dir, partsDir)
	var err error
	for _, p := range []struct {
		dst  **part
		name string
	}{{&w.artefacts, "artefacts"}, {&w.md, "md"}, {&w.rows, "rows"}, {&w.results, "results"}, {&w.sarif, "sarif"}, {&w.junit, "junit"}} {
		if *p.dst, err = newPart(parts, p.name); err != nil {
			w.abort()
			return nil, fmt.Errorf("report directory: %w", err)
		}
	}
	if w.csvFile, err = os.Create(filepath.Join(dir, CSVFile)); err != nil {
		w.abort()
		return nil, fmt.Errorf("report: %w", err)
	}
	w.csvBuf = bufio.NewWriterSize(w.csvFile, 64<<10)
	w.csv = csv.NewWriter(w.csvBuf)
	if err := w.csv.Write([]string{"artefact", "outcome", "policy", "title", "version", "severity", "level", "subject", "message", "evidence", "remediation", "waiver", "waiver_expires", "decision"}); err != nil {
		w.abort()
		return nil, err
	}
	return w, nil
}

func (w *Writer) abort() {
	for _, p := range []*part{w.artefacts, w.md, w.rows, w.results, w.sarif, w.junit} {
		if p != nil {
			p.close()
		}
	}
	if w.csvFile != nil {
		w.csvFile.Close()
	}
	os.RemoveAll(filepath.Join(w.dir, partsDir))
}

// Add records one artefact: facts (nil when they could not be collected)
// are stored and digested, the decision is stored, and every output gets
// its lines. a.Outcome must be set; Add fills the paths and the summary.
func (w *Writer) Add(a Artefact, d *decision.Decision, facts []byte) error {
	if facts != nil {
		a.Facts, a.FactsSHA256 = FactsPath(a.Index), Digest(facts)
		if err := os.WriteFile(filepath.Join(w.dir, filepath.FromSlash(a.Facts)), facts, 0o644); err != nil {
			return fmt.Errorf("store facts: %w", err)
		}
	}
	a.Decision = DecisionPath(a.Index)
	a.Summary = d.Summary
	var buf bytes.Buffer
	if err := (output.JSON{}).Format(&buf, d); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(w.dir, filepath.FromSlash(a.Decision)), buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("store decision: %w", err)
	}
	w.c.add(a, d)
	line, err := json.Marshal(a)
	if err != nil {
		return err
	}
	if w.artefacts.n > 0 {
		w.artefacts.Write([]byte(",\n"))
	}
	w.artefacts.n++
	w.artefacts.Write(line)
	for _, add := range []func(Artefact, *decision.Decision) error{w.addCSV, w.addMarkdown, w.addRow, w.addResults, w.addSARIF, w.addJUnit} {
		if err := add(a, d); err != nil {
			return err
		}
	}
	return nil
}

// reported are the findings outputs list: everything but passes, skips
// and policies switched off.
func reported(f decision.Finding) bool {
	switch f.Level {
	case decision.LevelDeny, decision.LevelWarn, decision.LevelError, decision.LevelWaived:
		return true
	}
	return false
}

func evidenceText(ev []decision.Evidence) string {
	var parts []string
	for _, e := range ev {
		s := fmt.Sprintf("%s = %s", e.Fact, valueText(e.Value))
		if e.Source != "" {
			s += " (" + e.Source + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

func valueText(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func (w *Writer) addCSV(a Artefact, d *decision.Decision) error {
	for _, f := range d.Findings {
		if !reported(f) {
			continue
		}
		var wv, exp string
		if f.Waiver != nil {
			wv, exp = f.Waiver.Status+": "+f.Waiver.Reason, f.Waiver.Expires
		}
		if err := w.csv.Write([]string{a.Subject, a.Outcome, f.Policy, f.Title, f.Version, f.Severity, f.Level, f.Subject, f.Message, evidenceText(f.Evidence), f.Remediation, wv, exp, a.Decision}); err != nil {
			return err
		}
	}
	for _, ie := range d.InputErrors {
		if err := w.csv.Write([]string{a.Subject, a.Outcome, "input", "input error", "", "", decision.LevelError, ie.Collector, ie.String(), "", "", "", "", a.Decision}); err != nil {
			return err
		}
	}
	return nil
}

func mdEscape(s string) string {
	return strings.NewReplacer("|", "\\|", "\n", " ", "\r", "").Replace(s)
}

func (w *Writer) addMarkdown(a Artefact, d *decision.Decision) error {
	if a.Outcome == "allowed" && d.Summary.Warn == 0 && d.Summary.Waived == 0 {
		return nil
	}
	fmt.Fprintf(w.md, "\n### %s `%s`\n\n%s: %d denied, %d warnings, %d waived, %d errors ([decision](%s))\n\n",
		strings.ToUpper(a.Outcome), mdEscape(a.Subject), a.Kind, d.Summary.Deny, d.Summary.Warn, d.Summary.Waived, d.Summary.Error, a.Decision)
	for _, ie := range d.InputErrors {
		fmt.Fprintf(w.md, "- **INPUT ERROR** %s\n", mdEscape(ie.String()))
	}
	for _, f := range d.Findings {
		if !reported(f) {
			continue
		}
		subj := ""
		if f.Subject != "" {
			subj = " (" + mdEscape(f.Subject) + ")"
		}
		fmt.Fprintf(w.md, "- **%s** %s %s%s: %s\n", strings.ToUpper(f.Level), f.Policy, f.Severity, subj, mdEscape(f.Message))
		for _, e := range f.Evidence {
			fmt.Fprintf(w.md, "  - `%s` = `%s`", e.Fact, mdEscape(valueText(e.Value)))
			if e.Source != "" {
				fmt.Fprintf(w.md, " (%s)", mdEscape(e.Source))
			}
			fmt.Fprintln(w.md)
		}
		if f.Waiver != nil {
			fmt.Fprintf(w.md, "  - waiver %s: %s, owner %s, expires %s\n", f.Waiver.Status, mdEscape(f.Waiver.Reason), f.Waiver.Owner, f.Waiver.Expires)
		}
		if f.Remediation != "" && f.Level != decision.LevelWaived {
			fmt.Fprintf(w.md, "  - fix: %s\n", mdEscape(f.Remediation))
		}
	}
	return nil
}

// row is one artefact as the HTML page's script reads it.
type row struct {
	I  int      `json:"i"`
	S  string   `json:"s"`
	K  string   `json:"k"`
	O  string   `json:"o"`
	D  string   `json:"d"`
	N  [5]int   `json:"n"` // deny, warn, error, waived, pass
	F  []rowF   `json:"f,omitempty"`
	IE []string `json:"ie,omitempty"`
}

type rowF struct {
	P  string     `json:"p"`
	T  string     `json:"t"`
	SV string     `json:"sv"`
	L  string     `json:"l"`
	M  string     `json:"m"`
	SJ string     `json:"sj,omitempty"`
	R  string     `json:"r,omitempty"`
	EV [][]string `json:"ev,omitempty"`
	WV []string   `json:"wv,omitempty"` // status, reason, owner, expires, ticket
}

func (w *Writer) addRow(a Artefact, d *decision.Decision) error {
	r := row{I: a.Index, S: a.Subject, K: a.Kind, O: a.Outcome, D: a.Decision,
		N: [5]int{d.Summary.Deny, d.Summary.Warn, d.Summary.Error, d.Summary.Waived, d.Summary.Pass}}
	for _, ie := range d.InputErrors {
		r.IE = append(r.IE, ie.String())
	}
	for _, f := range d.Findings {
		if !reported(f) {
			continue
		}
		rf := rowF{P: f.Policy, T: f.Title, SV: f.Severity, L: f.Level, M: f.Message, SJ: f.Subject, R: f.Remediation}
		for _, e := range f.Evidence {
			loc := e.File
			if e.Line > 0 {
				loc += ":" + strconv.Itoa(e.Line)
			}
			rf.EV = append(rf.EV, []string{e.Fact, valueText(e.Value), e.Source, loc})
		}
		if f.Waiver != nil {
			rf.WV = []string{f.Waiver.Status, f.Waiver.Reason, f.Waiver.Owner, f.Waiver.Expires, f.Waiver.Ticket}
		}
		r.F = append(r.F, rf)
	}
	// json.Marshal escapes <, > and &: the rows are safe inside <script>.
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if w.rows.n > 0 {
		w.rows.Write([]byte(",\n"))
	}
	w.rows.n++
	_, err = w.rows.Write(b)
	return err
}

func (w *Writer) addSARIF(a Artefact, d *decision.Decision) error {
	var buf bytes.Buffer
	if err := w.sarifFmt.FormatAll(&buf, []*decision.Decision{d}); err != nil {
		return err
	}
	var log struct {
		Runs []json.RawMessage `json:"runs"`
	}
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		return fmt.Errorf("sarif: %w", err)
	}
	for _, r := range log.Runs {
		if w.sarif.n > 0 {
			w.sarif.Write([]byte(",\n"))
		}
		w.sarif.n++
		var c bytes.Buffer
		if err := json.Compact(&c, r); err != nil {
			return err
		}
		w.sarif.Write(c.Bytes())
	}
	return nil
}

type junitRaw struct {
	Attrs  []xml.Attr `xml:",any,attr"`
	Suites []struct {
		Attrs []xml.Attr `xml:",any,attr"`
		Inner string     `xml:",innerxml"`
	} `xml:"testsuite"`
}

func (w *Writer) addJUnit(a Artefact, d *decision.Decision) error {
	var buf bytes.Buffer
	if err := (output.JUnit{}).FormatAll(&buf, []*decision.Decision{d}); err != nil {
		return err
	}
	var doc junitRaw
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		return fmt.Errorf("junit: %w", err)
	}
	for _, at := range doc.Attrs {
		n, _ := strconv.Atoi(at.Value)
		switch at.Name.Local {
		case "tests":
			w.junitTotals[0] += n
		case "failures":
			w.junitTotals[1] += n
		case "errors":
			w.junitTotals[2] += n
		case "skipped":
			w.junitTotals[3] += n
		}
	}
	for _, s := range doc.Suites {
		w.junit.WriteString("  <testsuite")
		for _, at := range s.Attrs {
			v := at.Value
			if at.Name.Local == "name" {
				v = a.Subject
			}
			w.junit.WriteString(" " + at.Name.Local + `="`)
			xml.EscapeText(w.junit, []byte(v))
			w.junit.WriteString(`"`)
		}
		w.junit.WriteString(">" + s.Inner + "</testsuite>\n")
	}
	return nil
}

func (p *part) WriteString(s string) { p.w.WriteString(s) }

// Close writes the outputs and removes the temporary parts. It returns
// the report's summary.
func (w *Writer) Close(finished time.Time) (Summary, error) {
	if w.closed {
		return Summary{}, errors.New("report already closed")
	}
	w.closed = true
	defer w.abort()
	w.meta.Finished = finished
	sum := w.c.summary()
	w.csv.Flush()
	if err := errors.Join(w.csv.Error(), w.csvBuf.Flush(), w.csvFile.Close()); err != nil {
		return sum, fmt.Errorf("write %s: %w", CSVFile, err)
	}
	w.csvFile = nil
	for _, out := range []struct {
		name  string
		write func(io.Writer, Summary) error
	}{
		{JSONFile, w.writeJSON},
		{MarkdownFile, w.writeMarkdown},
		{HTMLFile, w.writeHTML},
		{OpenReportsFile, func(o io.Writer, s Summary) error {
			return w.writeReportYAML(o, s, "openreports.io/v1alpha1", "Report")
		}},
		{PolicyReportFile, func(o io.Writer, s Summary) error {
			return w.writeReportYAML(o, s, "wgpolicyk8s.io/v1alpha2", "PolicyReport")
		}},
		{SARIFFile, w.writeSARIF},
		{JUnitFile, w.writeJUnit},
	} {
		if err := writeFile(filepath.Join(w.dir, out.name), func(o io.Writer) error { return out.write(o, sum) }); err != nil {
			return sum, fmt.Errorf("write %s: %w", out.name, err)
		}
	}
	return sum, nil
}

func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 64<<10)
	if err := write(bw); err != nil {
		f.Close()
		return err
	}
	return errors.Join(bw.Flush(), f.Close())
}

func (w *Writer) writeJSON(o io.Writer, sum Summary) error {
	meta, err := json.MarshalIndent(w.meta, "  ", "  ")
	if err != nil {
		return err
	}
	s, err := json.MarshalIndent(sum, "  ", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintf(o, "{\n  \"format\": %q,\n  \"metadata\": %s,\n  \"summary\": %s,\n  \"artefacts\": [\n", FormatVersion, meta, s)
	if err := w.artefacts.copyTo(o); err != nil {
		return err
	}
	_, err = io.WriteString(o, "\n  ]\n}\n")
	return err
}

func (w *Writer) writeSARIF(o io.Writer, _ Summary) error {
	io.WriteString(o, `{"$schema":"https://json.schemastore.org/sarif-2.1.0.json","version":"2.1.0","runs":[`+"\n")
	if err := w.sarif.copyTo(o); err != nil {
		return err
	}
	_, err := io.WriteString(o, "\n]}\n")
	return err
}

func (w *Writer) writeJUnit(o io.Writer, _ Summary) error {
	t := w.junitTotals
	fmt.Fprintf(o, "%s<testsuites name=\"gopolicy\" tests=\"%d\" failures=\"%d\" errors=\"%d\" skipped=\"%d\">\n", xml.Header, t[0], t[1], t[2], t[3])
	if err := w.junit.copyTo(o); err != nil {
		return err
	}
	_, err := io.WriteString(o, "</testsuites>\n")
	return err
}

func (w *Writer) writeMarkdown(o io.Writer, sum Summary) error {
	m := w.meta
	fmt.Fprintf(o, "# gopolicy report: %s\n\n", strings.ToUpper(sum.Outcome()))
	fmt.Fprintf(o, "%d artefacts: %d allowed, %d denied, %d errors. Findings: %d denied, %d warnings, %d waived, %d errors.\n\n",
		sum.Artefacts, sum.Allowed, sum.Denied, sum.Errors, sum.Findings.Deny, sum.Findings.Warn, sum.Findings.Waived, sum.Findings.Error)
	fmt.Fprintf(o, "Profile `%s`, policies %s %s (`%s`), gopolicy %s, judged as of %s.\n\n", m.Profile, m.Bundle.Name, m.Bundle.Revision, m.Bundle.Digest, m.ToolVersion, m.Now)
	if len(sum.Severities) > 0 {
		fmt.Fprintln(o, "| severity | deny + warn findings |\n|---|---|")
		for _, sv := range severityOrder {
			if n := sum.Severities[sv]; n > 0 {
				fmt.Fprintf(o, "| %s | %d |\n", sv, n)
			}
		}
		fmt.Fprintln(o)
	}
	fmt.Fprintln(o, "## Policies\n\n| policy | severity | deny | warn | waived | error | pass | title |\n|---|---|---|---|---|---|---|---|")
	for _, p := range sum.Policies {
		if p.Deny+p.Warn+p.Waived+p.Error == 0 {
			continue
		}
		fmt.Fprintf(o, "| %s | %s | %d | %d | %d | %d | %d | %s |\n", p.Policy, p.Severity, p.Deny, p.Warn, p.Waived, p.Error, p.Pass, mdEscape(p.Title))
	}
	if len(sum.Waivers) > 0 {
		fmt.Fprintln(o, "\n## Waivers\n\n| policy | status | expires | owner | findings | reason | source |\n|---|---|---|---|---|---|---|")
		for _, wv := range sum.Waivers {
			fmt.Fprintf(o, "| %s | %s | %s | %s | %d | %s | %s |\n", wv.Policy, wv.Status, wv.Expires, wv.Owner, wv.Findings, mdEscape(wv.Reason), mdEscape(wv.Source))
		}
	}
	fmt.Fprintln(o, "\n## Artefacts with findings")
	if sum.Artefacts == sum.Allowed && sum.Findings.Warn+sum.Findings.Waived == 0 {
		fmt.Fprintln(o, "\nNone: every artefact was allowed without warnings.")
	}
	return w.md.copyTo(o)
}

var severityOrder = []string{"critical", "high", "medium", "low", "info"}

// writeReportYAML writes an OpenReports Report or a PolicyReport: the
// same results under two API groups. Results are the findings that are
// not passes; the summary counts every policy verdict.
func (w *Writer) writeReportYAML(o io.Writer, sum Summary, apiVersion, kind string) error {
	f := sum.Findings
	fmt.Fprintf(o, "apiVersion: %s\nkind: %s\nmetadata:\n  name: gopolicy-%s\n  labels:\n    app.kubernetes.io/managed-by: gopolicy\n  annotations:\n    gopolicy.dev/profile: %s\n    gopolicy.dev/bundle-digest: %s\n    gopolicy.dev/artefacts: %q\n",
		apiVersion, kind, yamlName(w.meta.Profile), yq(w.meta.Profile), yq(w.meta.Bundle.Digest), strconv.Itoa(sum.Artefacts))
	fmt.Fprintf(o, "source: gopolicy\nsummary:\n  pass: %d\n  fail: %d\n  warn: %d\n  error: %d\n  skip: %d\nresults:", f.Pass, f.Deny, f.Warn, f.Error, f.Skip+f.Waived+f.Off)
	if w.results.n == 0 {
		io.WriteString(o, " []")
	}
	io.WriteString(o, "\n")
	return w.results.copyTo(o)
}

func yamlName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	return b.String()
}

// yq quotes a YAML scalar: a JSON string is a YAML double-quoted one.
func yq(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func (w *Writer) addResults(a Artefact, d *decision.Decision) error {
	for _, f := range d.Findings {
		if !reported(f) {
			continue
		}
		result := map[string]string{decision.LevelDeny: "fail", decision.LevelWarn: "warn", decision.LevelError: "error", decision.LevelWaived: "skip"}[f.Level]
		sev := f.Severity
		if sev == "" {
			sev = "info"
		}
		rule := f.Subject
		if rule == "" {
			rule = f.Title
		}
		fmt.Fprintf(w.results, "- source: gopolicy\n  policy: %s\n  rule: %s\n  result: %s\n  severity: %s\n  scored: true\n  message: %s\n  category: %s\n  properties:\n    artefact: %s\n    kind: %s\n    level: %s\n    version: %s\n    bundle: %s\n    decision: %s\n",
			yq(f.Policy), yq(rule), result, sev, yq(f.Message), yq(categoryOf(f.Policy)), yq(a.Subject), a.Kind, f.Level, yq(f.Version), yq(f.Bundle), yq(a.Decision))
		if f.Waiver != nil {
			fmt.Fprintf(w.results, "    waiver: %s\n    waiver_expires: %s\n", yq(f.Waiver.Status+": "+f.Waiver.Reason), yq(f.Waiver.Expires))
		}
		w.results.n++
	}
	for _, ie := range d.InputErrors {
		fmt.Fprintf(w.results, "- source: gopolicy\n  policy: input\n  result: error\n  severity: high\n  scored: true\n  message: %s\n  properties:\n    artefact: %s\n    kind: %s\n", yq(ie.String()), yq(a.Subject), a.Kind)
		w.results.n++
	}
	return nil
}

func categoryOf(id string) string {
	parts := strings.Split(id, "-")
	if len(parts) >= 3 {
		return parts[len(parts)-2]
	}
	return "policy"
}
