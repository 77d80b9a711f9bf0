package report

import (
	"fmt"
	"io"
	"sort"

	"github.com/gopolicy/gopolicy/pkg/decision"
)

// DiffFinding is one open finding, identified by (artefact subject,
// policy, finding subject).
type DiffFinding struct {
	Artefact string `json:"artefact"`
	Policy   string `json:"policy"`
	Subject  string `json:"subject,omitempty"`
	Level    string `json:"level"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
}

func (f DiffFinding) key() string { return f.Artefact + "\x00" + f.Policy + "\x00" + f.Subject }

// Diff is what changed between two reports.
type Diff struct {
	Old   string        `json:"old"`
	New   string        `json:"new"`
	Added []DiffFinding `json:"new_findings"`
	Fixed []DiffFinding `json:"fixed"`
	Open  []DiffFinding `json:"still_open"`
}

// open are the findings a diff tracks: deny, warn and error (a waived
// finding is accepted, not open).
func openFindings(dir string) (map[string]DiffFinding, error) {
	r, err := Read(dir)
	if err != nil {
		return nil, err
	}
	out := map[string]DiffFinding{}
	for _, a := range r.Artefacts {
		d, err := ReadDecision(dir, a)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", dir, err)
		}
		for _, f := range d.Findings {
			switch f.Level {
			case decision.LevelDeny, decision.LevelWarn, decision.LevelError:
			default:
				continue
			}
			df := DiffFinding{Artefact: a.Subject, Policy: f.Policy, Subject: f.Subject, Level: f.Level, Severity: f.Severity, Message: f.Message}
			out[df.key()] = df
		}
		for _, ie := range d.InputErrors {
			df := DiffFinding{Artefact: a.Subject, Policy: "input", Subject: ie.Collector, Level: decision.LevelError, Severity: "high", Message: ie.String()}
			out[df.key()] = df
		}
	}
	return out, nil
}

// DiffReports compares the open findings of two report directories.
func DiffReports(oldDir, newDir string) (*Diff, error) {
	o, err := openFindings(oldDir)
	if err != nil {
		return nil, err
	}
	n, err := openFindings(newDir)
	if err != nil {
		return nil, err
	}
	d := &Diff{Old: oldDir, New: newDir, Added: []DiffFinding{}, Fixed: []DiffFinding{}, Open: []DiffFinding{}}
	for k, f := range n {
		if _, ok := o[k]; ok {
			d.Open = append(d.Open, f)
		} else {
			d.Added = append(d.Added, f)
		}
	}
	for k, f := range o {
		if _, ok := n[k]; !ok {
			d.Fixed = append(d.Fixed, f)
		}
	}
	for _, l := range [][]DiffFinding{d.Added, d.Fixed, d.Open} {
		sort.Slice(l, func(i, j int) bool { return l[i].key() < l[j].key() })
	}
	return d, nil
}

// WriteText writes the diff for a person.
func (d *Diff) WriteText(w io.Writer) error {
	for _, s := range []struct {
		label string
		l     []DiffFinding
	}{{"NEW", d.Added}, {"FIXED", d.Fixed}, {"OPEN", d.Open}} {
		for _, f := range s.l {
			subj := ""
			if f.Subject != "" {
				subj = " [" + f.Subject + "]"
			}
			fmt.Fprintf(w, "%-6s %-6s %-11s %s%s: %s\n", s.label, f.Level, f.Policy, f.Artefact, subj, f.Message)
		}
	}
	_, err := fmt.Fprintf(w, "%d new, %d fixed, %d still open\n", len(d.Added), len(d.Fixed), len(d.Open))
	return err
}
