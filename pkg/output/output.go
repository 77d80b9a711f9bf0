// Package output renders decisions. Each format is its own type over the
// decision value; adding a format never touches evaluation.
package output

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/gopolicy/gopolicy/pkg/decision"
)

// Formatter writes decisions. Format writes one; FormatAll writes a whole
// run's decisions as one report (one SARIF log with a run per decision,
// one JUnit document with a suite per decision, a JSON array).
type Formatter interface {
	Format(w io.Writer, d *decision.Decision) error
	FormatAll(w io.Writer, ds []*decision.Decision) error
}

// sequential gives formats whose reports simply follow one another (text,
// workflow annotations) their FormatAll.
func sequential(f func(io.Writer, *decision.Decision) error, w io.Writer, ds []*decision.Decision) error {
	for _, d := range ds {
		if err := f(w, d); err != nil {
			return err
		}
	}
	return nil
}

// Options tune the formats.
type Options struct {
	// Verbose lists passed and switched-off policies too.
	Verbose bool
	// BaseDir is the repository root: CI formats make file locations
	// relative to it.
	BaseDir string
	// ToolVersion is reported by formats that name their producer.
	ToolVersion string
	// Color emphasises the text report for a terminal.
	Color bool
}

var formats = map[string]func(Options) Formatter{
	"text":   func(o Options) Formatter { return Text{Verbose: o.Verbose, Color: o.Color} },
	"json":   func(Options) Formatter { return JSON{} },
	"sarif":  func(o Options) Formatter { return SARIF{BaseDir: o.BaseDir, ToolVersion: o.ToolVersion} },
	"junit":  func(Options) Formatter { return JUnit{} },
	"github": func(o Options) Formatter { return GitHub{BaseDir: o.BaseDir} },
}

// Names lists the supported formats.
func Names() []string {
	names := make([]string, 0, len(formats))
	for n := range formats {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// New returns the formatter for a format name.
func New(name string, opts Options) (Formatter, error) {
	f, ok := formats[name]
	if !ok {
		return nil, fmt.Errorf("unknown format %q (known: %s)", name, strings.Join(Names(), ", "))
	}
	return f(opts), nil
}
