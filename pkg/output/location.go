package output

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/gopolicy/gopolicy/pkg/eval"
)

// location is a place in a file a finding's evidence came from.
type location struct {
	// Path is relative to the base directory when the file lies under
	// it, absolute otherwise.
	Path     string
	Line     int
	Relative bool
}

// fileLineRE finds "file:line" at the end of an evidence source, which is
// how collectors record where a value was read ("…/go.mod:12", or
// "GOENV file /home/u/.config/go/env:3").
var fileLineRE = regexp.MustCompile(`(?:^|\s)(\S+):(\d+)$`)

// locations lists the distinct file locations of a finding's evidence,
// in evidence order. Sources that name no file (an environment layer) give
// none; when nothing names a file, the module's go.mod stands in, because
// code-scanning tools need somewhere to show the finding.
func locations(f eval.Finding, d *eval.Decision, base string) []location {
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
		src := strings.TrimSpace(e.Source)
		if m := fileLineRE.FindStringSubmatch(src); m != nil {
			line, _ := strconv.Atoi(m[2])
			add(m[1], line)
			continue
		}
		// A bare path: a binary, or a file named without a line.
		if src != "" && !strings.ContainsAny(src, " \t") && strings.ContainsAny(src, "/.") {
			add(src, 0)
		}
	}
	if len(out) == 0 && d.Dir != "" {
		gomod := filepath.Join(d.Dir, "go.mod")
		if _, err := os.Stat(gomod); err == nil {
			add(gomod, 0)
		}
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
func violations(d *eval.Decision) []eval.Finding {
	var out []eval.Finding
	for _, f := range d.Findings {
		switch f.Level {
		case eval.LevelDeny, eval.LevelWarn, eval.LevelError, eval.LevelWaived:
			out = append(out, f)
		}
	}
	return out
}
