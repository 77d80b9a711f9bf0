package output

import (
	"path/filepath"
	"strings"

	"github.com/gopolicy/gopolicy/pkg/decision"
)

// location is a place in a file a finding's evidence came from.
type location struct {
	// Path is relative to the base directory when the file lies under
	// it, absolute otherwise.
	Path     string
	Line     int
	Relative bool
}

// locations lists the distinct file locations of a finding's evidence,
// in evidence order, from the structured file and line the engine
// recorded. When nothing names a file, the module's go.mod stands in,
// because code-scanning tools need somewhere to show the finding.
func locations(f decision.Finding, d *decision.Decision, base string) []location {
	var out []location
	seen := map[location]bool{}
	add := func(path string, line int) {
		l := relocate(path, line, d.Dir, base)
		if !seen[l] {
			seen[l] = true
			out = append(out, l)
		}
	}
	for _, e := range f.Evidence {
		if e.File != "" {
			add(e.File, e.Line)
		}
	}
	if len(out) == 0 && d.GoMod != "" {
		add(d.GoMod, 0)
	}
	return out
}

// relocate makes path relative to base when it lies inside it; relative
// paths in the facts are relative to the facts' directory.
func relocate(path string, line int, dir, base string) location {
	abs := path
	if !filepath.IsAbs(abs) && dir != "" {
		abs = filepath.Join(dir, abs)
	}
	if base != "" {
		if rel, err := filepath.Rel(base, abs); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return location{Path: filepath.ToSlash(rel), Line: line, Relative: true}
		}
	}
	return location{Path: filepath.ToSlash(abs), Line: line}
}

// violations are the findings a CI report lists: the ones someone has to
// act on or has accepted (waived). Passed, skipped and off policies are
// counted elsewhere.
func violations(d *decision.Decision) []decision.Finding {
	var out []decision.Finding
	for _, f := range d.Findings {
		switch f.Level {
		case decision.LevelDeny, decision.LevelWarn, decision.LevelError, decision.LevelWaived:
			out = append(out, f)
		}
	}
	return out
}
