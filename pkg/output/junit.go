package output

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/gopolicy/gopolicy/pkg/decision"
)

// JUnit writes a JUnit XML report, which every CI system renders: one
// test case per policy and subject. Denies are failures, policies that
// could not judge are errors, waived, skipped and switched-off policies
// are skipped; warnings pass with the warning in their output.
type JUnit struct{}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []*junitCase    `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	ClassName string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	Skipped   *junitProblem `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

// Format implements Formatter.
func (j JUnit) Format(w io.Writer, d *decision.Decision) error {
	return j.FormatAll(w, []*decision.Decision{d})
}

// FormatAll writes one JUnit document with a test suite per decision.
func (JUnit) FormatAll(w io.Writer, ds []*decision.Decision) error {
	doc := junitSuites{Name: "gopolicy"}
	for _, d := range ds {
		suite := junitSuiteOf(d, len(ds) > 1)
		doc.Tests += suite.Tests
		doc.Failures += suite.Failures
		doc.Errors += suite.Errors
		doc.Skipped += suite.Skipped
		doc.Suites = append(doc.Suites, suite)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("encode junit: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// junitSuiteOf turns one decision into a suite; with several decisions in
// a document, each suite names what it judged.
func junitSuiteOf(d *decision.Decision, named bool) junitSuite {
	suite := junitSuite{Name: "gopolicy " + d.Profile}
	if named && d.Dir != "" {
		suite.Name += " " + d.Dir
	}
	suite.Properties = append(suite.Properties, junitProperty{"profile", d.Profile})
	for _, b := range d.Bundles {
		suite.Properties = append(suite.Properties, junitProperty{"bundle " + b.Name, b.Revision + " " + b.Digest})
	}
	cases := map[string]*junitCase{}
	var order []string
	for _, f := range d.Findings {
		key := f.Policy + "\x00" + f.Subject
		c, ok := cases[key]
		if !ok {
			name := f.Policy + " " + f.Title
			if f.Subject != "" {
				name = f.Policy + " [" + f.Subject + "] " + f.Title
			}
			c = &junitCase{ClassName: "gopolicy." + f.Policy, Name: name}
			cases[key] = c
			order = append(order, key)
		}
		detail := findingDetail(f)
		switch f.Level {
		case decision.LevelDeny:
			c.Failure = appendProblem(c.Failure, f.Message, f.Level, detail)
		case decision.LevelError:
			c.Error = appendProblem(c.Error, f.Message, f.Level, detail)
		case decision.LevelWarn:
			c.SystemOut += "warning: " + detail + "\n"
		case decision.LevelWaived:
			c.Skipped = appendProblem(c.Skipped, "waived: "+f.Waiver.Reason, f.Level, detail)
		case decision.LevelSkip, decision.LevelOff:
			c.Skipped = appendProblem(c.Skipped, f.Message, f.Level, "")
		}
	}
	for _, ie := range d.InputErrors {
		c := &junitCase{ClassName: "gopolicy.input", Name: "input " + ie.Collector, Error: &junitProblem{Message: ie.String(), Type: "input"}}
		key := "\x00input\x00" + ie.String()
		cases[key] = c
		order = append(order, key)
	}
	for _, key := range order {
		c := cases[key]
		// A case that failed is not also skipped: the failure is the news.
		if c.Failure != nil || c.Error != nil {
			c.Skipped = nil
		}
		suite.Cases = append(suite.Cases, c)
		suite.Tests++
		switch {
		case c.Error != nil:
			suite.Errors++
		case c.Failure != nil:
			suite.Failures++
		case c.Skipped != nil:
			suite.Skipped++
		}
	}
	return suite
}

func appendProblem(p *junitProblem, msg, typ, detail string) *junitProblem {
	if p == nil {
		return &junitProblem{Message: msg, Type: typ, Text: detail}
	}
	p.Message += "; " + msg
	p.Text += "\n\n" + detail
	return p
}

// findingDetail is a finding's message, evidence and fix as plain text.
func findingDetail(f decision.Finding) string {
	var b strings.Builder
	b.WriteString(f.Message)
	for _, e := range f.Evidence {
		fmt.Fprintf(&b, "\n%s = %s", e.Fact, valueText(e.Value))
		if e.Source != "" {
			fmt.Fprintf(&b, "   (%s)", e.Source)
		}
	}
	if f.Waiver != nil {
		fmt.Fprintf(&b, "\n%s", waiverLine(f.Waiver))
	}
	if f.Level != decision.LevelError && strings.TrimSpace(f.Remediation) != "" {
		fmt.Fprintf(&b, "\nfix: %s", strings.TrimSpace(f.Remediation))
	}
	return b.String()
}

// waiverLine describes a waiver attached to a finding.
func waiverLine(w *decision.WaiverStatus) string {
	s := fmt.Sprintf("waiver %s (%s): %s; owner %s; expires %s", w.Status, w.Source, w.Reason, w.Owner, w.Expires)
	if w.Ticket != "" {
		s += "; ticket " + w.Ticket
	}
	if w.Note != "" {
		s += "; " + w.Note
	}
	return s
}
