// Package gomod locates and parses the main module's go.mod (or vendor.mod)
// and the workspace file, with golang.org/x/mod/modfile.
package gomod

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"

	"github.com/gopolicy/gopolicy/internal/safeio"
	"github.com/gopolicy/gopolicy/pkg/facts"
)

// ErrNoModule reports that no go.mod or vendor.mod exists at or above a
// directory.
var ErrNoModule = errors.New("no go.mod or vendor.mod found")

// Module is a parsed main module, for the collectors that need go.mod to
// judge other files.
type Module struct {
	Dir   string
	Facts *facts.GoMod
	File  *modfile.File
	// SumFile is go.sum, or vendor.sum for a vendor.mod layout.
	SumFile string
}

// Locate walks up from dir like the go command and returns the directory
// holding the module file and its name.
func Locate(dir string) (string, string, error) {
	for d := dir; ; {
		for _, name := range []string{"go.mod", "vendor.mod"} {
			fi, err := os.Stat(filepath.Join(d, name))
			switch {
			case err == nil && !fi.IsDir():
				return d, name, nil
			case err != nil && !errors.Is(err, fs.ErrNotExist):
				// A directory gopolicy may not read is not one without a
				// go.mod: say why, rather than judge the wrong module.
				return "", "", fmt.Errorf("look for %s in %s: %w", name, d, err)
			}
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", "", fmt.Errorf("%w in %s or any parent directory", ErrNoModule, dir)
		}
		d = parent
	}
}

// Load reads and parses the module file named by Locate: a regular file
// no larger than the context's ModuleFile limit. Parse errors, and the
// godebug lines the go command refuses, come back as problems with file
// and line (the first safeio Limits.Problems of them); the returned
// Module is nil then.
func Load(ctx context.Context, dir, name string) (*Module, []facts.Problem) {
	path := filepath.Join(dir, name)
	f, problems := parseModFile(ctx, path)
	if f == nil {
		return nil, problems
	}
	sum := "go.sum"
	if name == "vendor.mod" {
		sum = "vendor.sum"
	}
	m := &Module{Dir: dir, File: f, SumFile: filepath.Join(dir, sum), Facts: Facts(path, name, f)}
	repo := RepositoryRoot(dir)
	m.Facts.Repository = repo.Dir
	m.Facts.RepositoryFrom = repo.From
	for i, r := range m.Facts.Replace {
		if r.Local {
			m.Facts.Replace[i] = describeLocal(ctx, r, dir, modulePath(f), repo)
		}
	}
	return m, nil
}

// parseModFile reads and parses a go.mod, checking its godebug lines.
func parseModFile(ctx context.Context, path string) (*modfile.File, []facts.Problem) {
	lim := safeio.LimitsFrom(ctx)
	data, err := safeio.ReadFile(path, lim.ModuleFile)
	if err != nil {
		return nil, []facts.Problem{{Path: path, Message: fmt.Sprintf("read %s: %v", filepath.Base(path), err)}}
	}
	f, err := modfile.Parse(path, data, FixVersion)
	if err != nil {
		return nil, capProblems(ParseProblems(path, err), lim.Problems)
	}
	if f.Module == nil {
		// The go command refuses it too: "go: error reading go.mod:
		// missing module declaration".
		return nil, []facts.Problem{{Path: path, Line: 1, Message: "missing module declaration: the go command refuses this go.mod (add a module line, as go mod init writes)"}}
	}
	problems := CheckGodebugs(path, f.Godebug)
	problems = append(problems, conflictingReplacements(path, f.Replace)...)
	if len(problems) > 0 {
		return nil, capProblems(problems, lim.Problems)
	}
	return f, nil
}

// FixVersion checks module versions in a main module's go.mod as the go
// command's fixer does (modload.fixVersion), without its network part: a
// malformed module path, or a canonical version whose major version does
// not match the path, is an error. A non-canonical version is left as it
// is, and then refused ("must be of the form v1.2.3"), where the go
// command would look it up and then want to rewrite go.mod. The fixer
// also makes modfile check retract lines.
func FixVersion(path, vers string) (string, error) {
	_, pathMajor, ok := module.SplitPathVersion(path)
	if !ok {
		return "", &module.ModuleError{Path: path, Err: &module.InvalidVersionError{Version: vers, Err: fmt.Errorf("malformed module path %q", path)}}
	}
	if vers != "" && module.CanonicalVersion(vers) == vers {
		if err := module.CheckPathMajor(vers, pathMajor); err != nil {
			return "", module.VersionError(module.Version{Path: path, Version: vers}, err)
		}
	}
	return vers, nil
}

// conflictingReplacements reports two replace lines for the same module
// (and version) with different targets, which the go command refuses
// (modload.toReplaceMap).
func conflictingReplacements(path string, rs []*modfile.Replace) []facts.Problem {
	var out []facts.Problem
	seen := map[module.Version]*modfile.Replace{}
	for _, r := range rs {
		if prev, ok := seen[r.Old]; ok && prev.New != r.New {
			out = append(out, facts.Problem{Path: path, Line: r.Syntax.Start.Line, Message: fmt.Sprintf("conflicting replacements for %v: %v (line %d) and %v", r.Old, prev.New, prev.Syntax.Start.Line, r.New)})
			continue
		}
		seen[r.Old] = r
	}
	return out
}

func modulePath(f *modfile.File) string {
	if f.Module == nil {
		return ""
	}
	return f.Module.Mod.Path
}

// capProblems keeps the first max problems and counts the rest in a
// last one.
func capProblems(problems []facts.Problem, max int) []facts.Problem {
	if max <= 0 || len(problems) <= max {
		return problems
	}
	rest := len(problems) - max
	return append(problems[:max:max], facts.Problem{Path: problems[max].Path, Message: fmt.Sprintf("%d more problems", rest)})
}

// ParseProblems turns modfile's error list into located problems.
func ParseProblems(path string, err error) []facts.Problem {
	var list modfile.ErrorList
	if errors.As(err, &list) {
		out := make([]facts.Problem, 0, len(list))
		for _, e := range list {
			msg := e.Err.Error()
			if e.ModPath != "" {
				msg = e.ModPath + ": " + msg
			}
			out = append(out, facts.Problem{Path: path, Line: e.Pos.Line, Message: msg})
		}
		return out
	}
	// modfile reports some syntax errors as "path:line:col: msg" strings.
	msg := err.Error()
	line := 0
	if rest, ok := strings.CutPrefix(msg, path+":"); ok {
		var col int
		if n, _ := fmt.Sscanf(rest, "%d:%d:", &line, &col); n >= 1 {
			if i := strings.Index(rest, ": "); i >= 0 {
				msg = rest[i+2:]
			}
		}
	}
	return []facts.Problem{{Path: path, Line: line, Message: msg}}
}

// Facts converts a parsed go.mod into its facts.
func Facts(path, layout string, f *modfile.File) *facts.GoMod {
	g := &facts.GoMod{
		File:    path,
		Layout:  layout,
		Godebug: []facts.Godebug{},
		Require: make([]facts.Require, 0, len(f.Require)),
		Replace: []facts.Replace{},
		Exclude: []facts.ModuleLine{},
		Retract: []facts.Retract{},
		Tool:    []facts.ToolLine{},
		Nested:  []facts.NestedModule{},
	}
	if f.Module != nil {
		g.Module = facts.ModulePath{Path: f.Module.Mod.Path, Deprecated: f.Module.Deprecated, Line: f.Module.Syntax.Start.Line}
	}
	if f.Go != nil {
		g.Go = &facts.VersionLine{Version: f.Go.Version, Line: f.Go.Syntax.Start.Line}
	}
	if f.Toolchain != nil {
		g.Toolchain = &facts.VersionLine{Version: f.Toolchain.Name, Line: f.Toolchain.Syntax.Start.Line}
	}
	for _, d := range f.Godebug {
		g.Godebug = append(g.Godebug, facts.Godebug{Key: d.Key, Value: d.Value, Line: d.Syntax.Start.Line})
	}
	for _, r := range f.Require {
		g.Require = append(g.Require, facts.Require{Path: r.Mod.Path, Version: r.Mod.Version, Indirect: r.Indirect, Line: r.Syntax.Start.Line})
	}
	g.Replace = replaceFacts(f.Replace)
	for _, e := range f.Exclude {
		g.Exclude = append(g.Exclude, facts.ModuleLine{Path: e.Mod.Path, Version: e.Mod.Version, Line: e.Syntax.Start.Line})
	}
	for _, r := range f.Retract {
		g.Retract = append(g.Retract, facts.Retract{Low: r.Low, High: r.High, Rationale: r.Rationale, Line: r.Syntax.Start.Line})
	}
	for _, t := range f.Tool {
		g.Tool = append(g.Tool, facts.ToolLine{Path: t.Path, Line: t.Syntax.Start.Line})
	}
	return g
}

func replaceFacts(rs []*modfile.Replace) []facts.Replace {
	out := []facts.Replace{}
	for _, r := range rs {
		out = append(out, facts.Replace{
			OldPath: r.Old.Path, OldVersion: r.Old.Version,
			NewPath: r.New.Path, NewVersion: r.New.Version,
			Local: IsLocalReplacement(r.New.Path, r.New.Version),
			Line:  r.Syntax.Start.Line,
		})
	}
	return out
}

// IsLocalReplacement mirrors modfile's rule: a replacement without a
// version is a directory (it must then start with ./, ../ or be absolute,
// or be a bare relative path as in `=> ..`).
func IsLocalReplacement(path, version string) bool {
	return version == "" || modfile.IsDirectoryPath(path)
}

// Replacement returns the replace directive that applies to path@version:
// a version-specific one first, then a wildcard one.
func Replacement(f *modfile.File, path, version string) *modfile.Replace {
	var wildcard *modfile.Replace
	for _, r := range f.Replace {
		if r.Old.Path != path {
			continue
		}
		if r.Old.Version == version {
			return r
		}
		if r.Old.Version == "" {
			wildcard = r
		}
	}
	return wildcard
}

// skipDirs are never searched for nested modules: the go command ignores
// them too (vendor, testdata, and names starting with . or _).
func skipDir(name string) bool {
	return name == "vendor" || name == "testdata" || name == "node_modules" ||
		strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")
}

// maxNestedWalk bounds the directory walk for nested modules, so a huge
// tree cannot stall collection; reaching it is reported.
const maxNestedWalk = 200000

// FindNested lists go.mod files below dir (not dir's own). The walk stops
// when ctx ends.
func FindNested(ctx context.Context, dir string) ([]facts.NestedModule, []facts.Problem) {
	nested := []facts.NestedModule{}
	var problems []facts.Problem
	seen := 0
	lim := safeio.LimitsFrom(ctx)
	max, maxProblems := lim.ModuleFile, lim.Problems
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if len(problems) < maxProblems {
				problems = append(problems, facts.Problem{Path: p, Message: "search for nested modules: " + err.Error()})
			}
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		seen++
		if seen > maxNestedWalk {
			problems = append(problems, facts.Problem{Path: dir, Message: fmt.Sprintf("search for nested modules stopped after %d entries", maxNestedWalk)})
			return fs.SkipAll
		}
		if d.IsDir() {
			if p != dir && skipDir(d.Name()) {
				return fs.SkipDir
			}
			return nil
		}
		if d.Name() != "go.mod" || filepath.Dir(p) == dir {
			return nil
		}
		data, err := safeio.ReadFile(p, max)
		if err != nil {
			if len(problems) < maxProblems {
				problems = append(problems, facts.Problem{Path: p, Message: "read nested go.mod: " + err.Error()})
			}
			return nil
		}
		nested = append(nested, facts.NestedModule{File: p, Module: modfile.ModulePath(data)})
		return nil
	})
	if err != nil {
		problems = append(problems, facts.Problem{Path: dir, Message: "search for nested modules: " + err.Error()})
	}
	return nested, problems
}

// isFile reports whether p is a regular file (following symbolic links).
func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}
