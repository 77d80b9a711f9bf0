// Package report is the auditor's front door: a run over many artefacts
// (directories of binaries, module trees, stored facts documents) written
// to a directory as it happens. Each artefact's facts and decision go to
// disk when they arrive and only counters stay in memory, so a report over
// ten thousand artefacts costs what one over ten does.
//
// A report directory holds:
//
//	report.json          the run: metadata, summary, one entry per artefact
//	facts/NNNN.json      every facts document judged (sha256 in report.json)
//	decisions/NNNN.json  every decision, as `gopolicy eval --format json`
//	index.html           one self-contained page (no external assets)
//	report.md            for tickets
//	findings.csv         one row per finding that is not a pass
//	openreports.yaml     an openreports.io/v1alpha1 Report
//	policyreport.yaml    a wgpolicyk8s.io/v1alpha2 PolicyReport
//	report.sarif         SARIF over the whole run (pkg/output)
//	report.junit.xml     JUnit over the whole run (pkg/output)
package report

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/gopolicy/gopolicy/pkg/decision"
)

// FormatVersion names report.json's schema.
const FormatVersion = "gopolicy-report/v1"

// File names in a report directory.
const (
	JSONFile         = "report.json"
	HTMLFile         = "index.html"
	MarkdownFile     = "report.md"
	CSVFile          = "findings.csv"
	OpenReportsFile  = "openreports.yaml"
	PolicyReportFile = "policyreport.yaml"
	SARIFFile        = "report.sarif"
	JUnitFile        = "report.junit.xml"
	FactsDir         = "facts"
	DecisionsDir     = "decisions"
	partsDir         = ".parts"
)

// Kinds of artefact.
const (
	KindProject = "project"
	KindBinary  = "binary"
	KindFacts   = "facts"
)

// Report is report.json.
type Report struct {
	Format    string     `json:"format"`
	Metadata  Metadata   `json:"metadata"`
	Summary   Summary    `json:"summary"`
	Artefacts []Artefact `json:"artefacts"`
}

// Metadata says how the run was made, so it can be reproduced.
type Metadata struct {
	Tool        string `json:"tool"`
	ToolVersion string `json:"tool_version"`
	Profile     string `json:"profile"`
	FailOn      string `json:"fail_on,omitempty"`
	// Now is the time waivers were judged at and facts were stamped with.
	Now string `json:"now"`
	// Started and Finished bound the run (wall clock).
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	// Bundle identifies all the policies at once, Bundles each bundle.
	Bundle  decision.BundleInfo   `json:"bundle"`
	Bundles []decision.BundleInfo `json:"bundles"`
	// Subjects is how many artefacts the whole run names; Shard is "i/n"
	// when this directory holds one slice of it.
	Subjects int    `json:"subjects"`
	Shard    string `json:"shard,omitempty"`
	NoHash   bool   `json:"no_hash,omitempty"`
}

// Artefact is one judged subject.
type Artefact struct {
	// Index is the artefact's place in the whole run (0-based), the same
	// in a shard and in the merged report.
	Index   int    `json:"index"`
	Subject string `json:"subject"`
	Kind    string `json:"kind"`
	Outcome string `json:"outcome"`
	// Decision is the decision file, relative to the report directory.
	Decision string `json:"decision"`
	// Facts is the facts document judged, FactsSHA256 its digest; both
	// are empty when the facts could not be collected (see Error).
	Facts       string           `json:"facts,omitempty"`
	FactsSHA256 string           `json:"facts_sha256,omitempty"`
	Summary     decision.Summary `json:"summary"`
	Error       string           `json:"error,omitempty"`
}

// Summary counts the run.
type Summary struct {
	Artefacts int `json:"artefacts"`
	Allowed   int `json:"allowed"`
	Denied    int `json:"denied"`
	Errors    int `json:"errors"`
	// Findings counts findings by level over every artefact.
	Findings decision.Summary `json:"findings"`
	// Severities counts deny and warn findings by the policy's severity.
	Severities map[string]int `json:"severities"`
	// Policies counts, per policy, the artefacts at each level.
	Policies []PolicyCount `json:"policies"`
	// Waivers lists every waiver given, with the findings it matched
	// over the run and its status.
	Waivers []WaiverCount `json:"waivers"`
}

// PolicyCount is one policy over the run.
type PolicyCount struct {
	Policy   string `json:"policy"`
	Title    string `json:"title"`
	Version  string `json:"version"`
	Severity string `json:"severity"`
	Deny     int    `json:"deny"`
	Warn     int    `json:"warn"`
	Waived   int    `json:"waived"`
	Error    int    `json:"error"`
	Pass     int    `json:"pass"`
	Skip     int    `json:"skip"`
	Off      int    `json:"off"`
}

// WaiverCount is one waiver over the run.
type WaiverCount struct {
	Policy   string `json:"policy"`
	Source   string `json:"source"`
	Reason   string `json:"reason"`
	Owner    string `json:"owner"`
	Expires  string `json:"expires"`
	Ticket   string `json:"ticket,omitempty"`
	Status   string `json:"status"`
	Findings int    `json:"findings"`
}

// Outcome is what a run means for the caller.
func (s Summary) Outcome() string {
	switch {
	case s.Errors > 0:
		return "error"
	case s.Denied > 0:
		return "denied"
	}
	return "allowed"
}

// ExitCode is the summary's outcome as an exit status.
func (s Summary) ExitCode() int {
	switch s.Outcome() {
	case "allowed":
		return 0
	case "denied":
		return 1
	}
	return 2
}

// FactsPath is where artefact i's facts are stored.
func FactsPath(i int) string {
	return filepath.ToSlash(filepath.Join(FactsDir, fmt.Sprintf("%04d.json", i+1)))
}

// DecisionPath is where artefact i's decision is stored.
func DecisionPath(i int) string {
	return filepath.ToSlash(filepath.Join(DecisionsDir, fmt.Sprintf("%04d.json", i+1)))
}

// Digest is the sha256 of data as report.json writes it.
func Digest(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Read reads a report directory's report.json.
func Read(dir string) (*Report, error) {
	data, err := os.ReadFile(filepath.Join(dir, JSONFile))
	if err != nil {
		return nil, fmt.Errorf("read report: %w", err)
	}
	var r Report
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, JSONFile), err)
	}
	if r.Format != FormatVersion {
		return nil, fmt.Errorf("%s: format %q is not %s", filepath.Join(dir, JSONFile), r.Format, FormatVersion)
	}
	return &r, nil
}

// ReadDecision reads an artefact's stored decision.
func ReadDecision(dir string, a Artefact) (*decision.Decision, error) {
	data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(a.Decision)))
	if err != nil {
		return nil, err
	}
	var d decision.Decision
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("%s: %w", a.Decision, err)
	}
	return &d, nil
}

// counters are what a run keeps in memory: they grow with the number of
// policies and waivers, never with the number of artefacts.
type counters struct {
	sum      Summary
	policies map[string]*PolicyCount
	waivers  map[string]*WaiverCount
}

func newCounters() *counters {
	return &counters{sum: Summary{Severities: map[string]int{}}, policies: map[string]*PolicyCount{}, waivers: map[string]*WaiverCount{}}
}

func (c *counters) add(a Artefact, d *decision.Decision) {
	c.sum.Artefacts++
	switch a.Outcome {
	case "allowed":
		c.sum.Allowed++
	case "denied":
		c.sum.Denied++
	default:
		c.sum.Errors++
	}
	s := &c.sum.Findings
	s.Deny += d.Summary.Deny
	s.Warn += d.Summary.Warn
	s.Error += d.Summary.Error
	s.Pass += d.Summary.Pass
	s.Skip += d.Summary.Skip
	s.Off += d.Summary.Off
	s.Waived += d.Summary.Waived
	for _, f := range d.Findings {
		pc := c.policies[f.Policy]
		if pc == nil {
			pc = &PolicyCount{Policy: f.Policy, Title: f.Title, Version: f.Version, Severity: f.Severity}
			c.policies[f.Policy] = pc
		}
		switch f.Level {
		case decision.LevelDeny:
			pc.Deny++
			c.sum.Severities[f.Severity]++
		case decision.LevelWarn:
			pc.Warn++
			c.sum.Severities[f.Severity]++
		case decision.LevelWaived:
			pc.Waived++
		case decision.LevelError:
			pc.Error++
		case decision.LevelPass:
			pc.Pass++
		case decision.LevelSkip:
			pc.Skip++
		case decision.LevelOff:
			pc.Off++
		}
	}
	for _, w := range d.Waivers {
		key := w.Source + "\x00" + w.Policy
		wc := c.waivers[key]
		if wc == nil {
			wc = &WaiverCount{Policy: w.Policy, Source: w.Source, Reason: w.Reason, Owner: w.Owner, Expires: w.Expires, Ticket: w.Ticket, Status: w.Status}
			c.waivers[key] = wc
		}
		wc.Findings += w.Findings
		// A waiver applied anywhere is applied; expired and refused are
		// the same everywhere; unmatched only if it matched nothing.
		if w.Status != decision.WaiverUnmatched {
			wc.Status = w.Status
		}
	}
}

func (c *counters) summary() Summary {
	s := c.sum
	s.Policies = make([]PolicyCount, 0, len(c.policies))
	for _, p := range c.policies {
		s.Policies = append(s.Policies, *p)
	}
	sort.Slice(s.Policies, func(i, j int) bool {
		a, b := s.Policies[i], s.Policies[j]
		if a.Deny+a.Error != b.Deny+b.Error {
			return a.Deny+a.Error > b.Deny+b.Error
		}
		if a.Warn != b.Warn {
			return a.Warn > b.Warn
		}
		return a.Policy < b.Policy
	})
	s.Waivers = make([]WaiverCount, 0, len(c.waivers))
	for _, w := range c.waivers {
		s.Waivers = append(s.Waivers, *w)
	}
	sort.Slice(s.Waivers, func(i, j int) bool {
		if s.Waivers[i].Source != s.Waivers[j].Source {
			return s.Waivers[i].Source < s.Waivers[j].Source
		}
		return s.Waivers[i].Policy < s.Waivers[j].Policy
	})
	return s
}

// part is a temporary file one output streams into until Close
// assembles the output around it (its header needs the run's totals).
type part struct {
	f *os.File
	w *bufio.Writer
	n int
}

func newPart(dir, name string) (*part, error) {
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		return nil, err
	}
	return &part{f: f, w: bufio.NewWriterSize(f, 64<<10)}, nil
}

func (p *part) Write(b []byte) (int, error) { return p.w.Write(b) }

// copyTo flushes the part and copies it to w.
func (p *part) copyTo(w io.Writer) error {
	if err := p.w.Flush(); err != nil {
		return err
	}
	if _, err := p.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	_, err := io.Copy(w, p.f)
	return err
}

func (p *part) close() error {
	return errors.Join(p.w.Flush(), p.f.Close())
}
