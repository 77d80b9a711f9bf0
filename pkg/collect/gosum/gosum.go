// Package gosum parses go.sum and checks it against go.mod the way the go
// command does: malformed lines, conflicting hashes, and the hashes
// go.mod's requirements lack, each with why the go command needs it.
package gosum

import (
	"context"
	"go/version"

	"golang.org/x/mod/modfile"

	"github.com/gopolicy/gopolicy/internal/safeio"
	"github.com/gopolicy/gopolicy/pkg/collect/gomod"
	"github.com/gopolicy/gopolicy/pkg/collect/gosum/sumfile"
	"github.com/gopolicy/gopolicy/pkg/facts"
)

// Parse reads go.sum content as the go command does (see sumfile.Parse):
// only a line with other than three fields is malformed. It lists every
// malformed line; sumfile.Parse caps them.
func Parse(data []byte) (entries []facts.SumEntry, malformed []facts.SumProblem, lines int) {
	entries, malformed, lines, _ = sumfile.Parse(data, int(^uint(0)>>1))
	return entries, malformed, lines
}

// Collect reads the module's go.sum and checks it against go.mod. A
// malformed line is a problem (the go command refuses the whole file);
// the first safeio Limits.Problems are listed, the rest counted.
func Collect(ctx context.Context, m *gomod.Module) (*facts.GoSum, []facts.Problem) {
	f, err := sumfile.Read(ctx, m.SumFile)
	if err != nil {
		return nil, []facts.Problem{{Path: m.SumFile, Message: "read go.sum: " + err.Error()}}
	}
	s := &facts.GoSum{File: m.SumFile, Found: f.Found, Lines: f.Lines, Entries: f.Entries, Malformed: f.Malformed, MalformedMore: f.More}
	s.Conflicts = sumfile.Conflicts(sumfile.Source{File: m.SumFile, Entries: f.Entries})
	imports, problems := gomod.ScanImports(ctx, m.Dir)
	s.Missing, s.MissingMore = Missing(m.File, sumfile.NewSet(f.Entries), imports, safeio.LimitsFrom(ctx).Problems)
	return s, append(f.Problems(), problems...)
}

// Conflicts finds module versions recorded with more than one h1: hash.
func Conflicts(entries []facts.SumEntry) []facts.SumConflict {
	return sumfile.Conflicts(sumfile.Source{Entries: entries})
}

// Need values: why the go command needs a missing hash.
const (
	// NeedGraph is the go.mod hash of a requirement: the go command reads
	// every requirement's go.mod to load the module graph (go list -m
	// all, go mod verify, go mod tidy, and builds that look beyond the
	// modules go.mod lists).
	NeedGraph = "graph"
	// NeedBuild is the zip hash of a module that provides, or might
	// provide, a package the main module's code imports on every
	// platform: go build extracts it.
	NeedBuild = "build"
	// NeedTest is the same for an import of the main module's tests
	// only: go test and go vet extract it, go build does not.
	NeedTest = "test"
	// NeedUnknown is a zip hash the build needs only if a dependency, or
	// a file some builds leave out, imports one of its packages: that
	// takes the package graph beyond the main module's own files.
	NeedUnknown = "unknown"
)

// Missing lists requirements whose hashes the sums lack, each with why
// the go command needs it. A requirement replaced by a directory needs
// none; one replaced by another module needs the replacement's.
//
// The go.mod hash of every requirement is needed to load the module
// graph. The zip hash is needed when a package the main module imports
// on every platform has the module's path as a prefix (the go command
// fetches every such module to rule out an ambiguous import). Which
// other modules a build extracts depends on what the dependencies import;
// those are "unknown", as are all zip hashes of a go.mod older than 1.17
// (its build list may select other versions than go.mod lists).
//
// At most max are listed, those the go command needs first; the needed
// ones beyond max are counted (more), the unknown ones beyond it dropped:
// a go.mod of a hundred thousand requirements and no go.sum is one
// problem, not a hundred thousand.
func Missing(f *modfile.File, have sumfile.Set, imports *gomod.Imports, max int) (missing []facts.SumMissing, more int) {
	out := []facts.SumMissing{}
	var unknown []facts.SumMissing
	add := func(m facts.SumMissing) {
		switch {
		case m.Need == NeedUnknown:
			if len(unknown) < max {
				unknown = append(unknown, m)
			}
		case len(out) < max:
			out = append(out, m)
		default:
			more++
		}
	}
	defer func() {
		for _, m := range unknown {
			if len(missing) >= max {
				break
			}
			missing = append(missing, m)
		}
	}()
	pruned := f.Go != nil && version.Compare("go"+f.Go.Version, "go1.17") >= 0
	// reqPaths are the module paths the first pass of the go command's
	// import resolution consults: go.mod's requirements.
	reqPaths := map[string]bool{}
	for _, r := range f.Require {
		reqPaths[r.Mod.Path] = true
	}
	zipNeed := map[string]gomod.Import{}
	if imports != nil && pruned {
		for _, imp := range imports.ByPath {
			for _, p := range gomod.ModuleFor(imp.Path, reqPaths) {
				if prev, ok := zipNeed[p]; !ok || prev.Test && !imp.Test || prev.Test == imp.Test && imp.Pos < prev.Pos {
					zipNeed[p] = imp
				}
			}
		}
	}
	for _, r := range f.Require {
		path, version, line := r.Mod.Path, r.Mod.Version, r.Syntax.Start.Line
		if rep := gomod.Replacement(f, path, version); rep != nil {
			if gomod.IsLocalReplacement(rep.New.Path, rep.New.Version) {
				continue
			}
			path, version, line = rep.New.Path, rep.New.Version, rep.Syntax.Start.Line
		}
		if !have.Has(path, version, false) {
			m := facts.SumMissing{Module: path, Version: version, Kind: "h1", RequireLine: line, Need: NeedUnknown}
			if imp, ok := zipNeed[r.Mod.Path]; ok {
				m.Need, m.ImportedBy = NeedBuild, imp.Pos+" imports "+imp.Path
				if imp.Test {
					m.Need = NeedTest
				}
			}
			add(m)
		}
		if !have.Has(path, version, true) {
			add(facts.SumMissing{Module: path, Version: version, Kind: "go.mod", RequireLine: line, Need: NeedGraph})
		}
	}
	return out, more
}
