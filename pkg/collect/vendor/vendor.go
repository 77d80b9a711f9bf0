// Package vendor reads vendor/modules.txt and applies the go command's own
// vendor consistency rules (cmd/go/internal/modload/vendor.go), reporting
// each broken rule at the line to change.
package vendor

import (
	"context"
	"errors"
	"fmt"
	"go/version"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"

	"github.com/gopolicy/gopolicy/pkg/collect/gomod"
	"github.com/gopolicy/gopolicy/pkg/facts"
)

// List is a parsed modules.txt.
type List struct {
	Modules []facts.VendorModule
	// Problems are lines the go command would ignore but that a person most
	// likely did not mean (unknown module lines, packages without a module).
	Problems []facts.Problem
}

// ParseModulesTxt parses modules.txt exactly as the go command reads it,
// keeping line numbers. The go command ignores lines it does not
// understand; so does this parser, but it reports them.
func ParseModulesTxt(path string, data []byte) *List {
	l := &List{Modules: []facts.VendorModule{}}
	cur := -1
	for i, line := range strings.Split(string(data), "\n") {
		lineNo := i + 1
		if strings.HasPrefix(line, "# ") {
			f := strings.Fields(line)
			cur = -1
			if len(f) < 3 {
				l.Problems = append(l.Problems, facts.Problem{Path: path, Line: lineNo, Message: "module line with fewer than two fields is ignored by the go command"})
				continue
			}
			m := facts.VendorModule{Path: f[1], Line: lineNo}
			switch {
			case semver.IsValid(f[2]):
				m.Version = f[2]
				f = f[3:]
			case f[2] == "=>":
				f = f[2:]
			default:
				l.Problems = append(l.Problems, facts.Problem{Path: path, Line: lineNo, Message: fmt.Sprintf("module line %q has neither a version nor =>; the go command ignores it", line)})
				continue
			}
			if len(f) >= 2 && f[0] == "=>" {
				switch {
				case len(f) == 2:
					m.NewPath = f[1]
				case len(f) == 3 && semver.IsValid(f[2]):
					m.NewPath, m.NewVersion = f[1], f[2]
				default:
					l.Problems = append(l.Problems, facts.Problem{Path: path, Line: lineNo, Message: "replacement the go command does not understand is ignored"})
				}
			}
			l.Modules = append(l.Modules, m)
			cur = len(l.Modules) - 1
			continue
		}
		if cur < 0 {
			if strings.TrimSpace(line) != "" {
				l.Problems = append(l.Problems, facts.Problem{Path: path, Line: lineNo, Message: "line outside any module block is ignored by the go command"})
			}
			continue
		}
		if annotations, ok := strings.CutPrefix(line, "## "); ok {
			for entry := range strings.SplitSeq(annotations, ";") {
				entry = strings.TrimSpace(entry)
				if entry == "explicit" {
					l.Modules[cur].Explicit = true
				}
				if gv, ok := strings.CutPrefix(entry, "go "); ok {
					l.Modules[cur].GoVersion = gv
				}
			}
			continue
		}
		if f := strings.Fields(line); len(f) == 1 && module.CheckImportPath(f[0]) == nil {
			l.Modules[cur].Packages++
		}
	}
	return l
}

// Collect reads vendor/modules.txt next to the module and checks it.
// toolchain is the go version that will build ("go1.26.8"); empty skips
// the go-version rule.
func Collect(ctx context.Context, m *gomod.Module, toolchain string) (*facts.Vendor, []facts.Problem) {
	dir := filepath.Join(m.Dir, "vendor")
	v := &facts.Vendor{Dir: dir, File: filepath.Join(dir, "modules.txt"), Modules: []facts.VendorModule{}, Violations: []facts.VendorViolation{}}
	fi, err := os.Stat(dir)
	if err != nil || !fi.IsDir() {
		return v, nil
	}
	if g := m.Facts.Go; g != nil {
		v.ModeDefault = version.Compare("go"+g.Version, "go1.14") >= 0
	}
	data, err := os.ReadFile(v.File)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// vendor/ without modules.txt: every requirement is inconsistent.
	case err != nil:
		return nil, []facts.Problem{{Path: v.File, Message: "read vendor/modules.txt: " + err.Error()}}
	default:
		v.Found = true
	}
	list := ParseModulesTxt(v.File, data)
	v.Modules = list.Modules
	v.Violations = Check(m, v.File, list, toolchain)
	return v, list.Problems
}

// Check applies the go command's consistency rules.
func Check(m *gomod.Module, modulesTxt string, list *List, toolchain string) []facts.VendorViolation {
	out := []facts.VendorViolation{}
	goModFile := m.Facts.File
	pre114 := m.Facts.Go == nil || version.Compare("go"+m.Facts.Go.Version, "go1.14") < 0

	type key struct{ path, version string }
	meta := map[key]facts.VendorModule{}
	// vendorVersion is the version each path's packages were vendored from,
	// as the go command derives it: only blocks that list packages count.
	vendorVersion := map[string]facts.VendorModule{}
	for _, vm := range list.Modules {
		k := key{vm.Path, vm.Version}
		prev, seen := meta[k]
		merged := vm
		if seen {
			merged.Explicit = merged.Explicit || prev.Explicit
			if merged.NewPath == "" {
				merged.NewPath, merged.NewVersion = prev.NewPath, prev.NewVersion
			}
			merged.Line = prev.Line
		}
		meta[k] = merged
		if vm.Packages > 0 {
			if _, ok := vendorVersion[vm.Path]; !ok {
				vendorVersion[vm.Path] = vm
			}
		}
	}
	add := func(rule, mod, file string, line int, format string, args ...any) {
		out = append(out, facts.VendorViolation{Rule: rule, Module: mod, Message: fmt.Sprintf(format, args...), File: file, Line: line})
	}
	describe := func(path, version string) string {
		if version == "" {
			return path
		}
		return path + "@" + version
	}

	// Rule 1: every requirement is marked explicit.
	for _, r := range m.File.Require {
		mod := describe(r.Mod.Path, r.Mod.Version)
		if meta[key{r.Mod.Path, r.Mod.Version}].Explicit {
			continue
		}
		if pre114 {
			if vv, ok := vendorVersion[r.Mod.Path]; ok && vv.Version != r.Mod.Version {
				add(facts.VendorVersionMismatch, mod, modulesTxt, vv.Line, "%s is explicitly required in go.mod, but vendor/modules.txt indicates %s@%s", mod, r.Mod.Path, vv.Version)
			}
			continue
		}
		line := r.Syntax.Start.Line
		file := goModFile
		if vm, ok := meta[key{r.Mod.Path, r.Mod.Version}]; ok {
			file, line = modulesTxt, vm.Line
		}
		add(facts.VendorRequiredNotExplicit, mod, file, line, "%s is explicitly required in go.mod, but not marked as explicit in vendor/modules.txt", mod)
	}

	// Rule 2: every replacement in go.mod is recorded, and identically.
	seen := map[key]bool{}
	for _, r := range m.File.Replace {
		k := key{r.Old.Path, r.Old.Version}
		if seen[k] {
			continue
		}
		seen[k] = true
		mod := describe(r.Old.Path, r.Old.Version)
		vm := meta[k]
		switch {
		case vm.NewPath == "":
			if pre114 && (r.Old.Version == "" || vendorVersion[r.Old.Path].Version != r.Old.Version) {
				continue
			}
			add(facts.VendorReplaceNotRecorded, mod, goModFile, r.Syntax.Start.Line, "%s is replaced in go.mod, but not marked as replaced in vendor/modules.txt", mod)
		case vm.NewPath != r.New.Path || vm.NewVersion != r.New.Version:
			add(facts.VendorReplaceMismatch, mod, modulesTxt, vm.Line, "%s is replaced by %s in go.mod, but marked as replaced by %s in vendor/modules.txt", mod, describe(r.New.Path, r.New.Version), describe(vm.NewPath, vm.NewVersion))
		}
	}

	required := map[key]bool{}
	for _, r := range m.File.Require {
		required[key{r.Mod.Path, r.Mod.Version}] = true
	}
	reported := map[key]bool{}
	for _, vm := range list.Modules {
		k := key{vm.Path, vm.Version}
		mod := describe(vm.Path, vm.Version)
		merged := meta[k]
		// Rule 3: explicit modules are required by go.mod. The go command
		// only checks modules that provide packages.
		if merged.Explicit && vm.Packages > 0 && !required[k] && !reported[k] {
			reported[k] = true
			add(facts.VendorExplicitNotRequired, mod, modulesTxt, merged.Line, "%s is marked as explicit in vendor/modules.txt, but not explicitly required in go.mod", mod)
		}
		// Rule 4: replacements recorded in modules.txt exist in go.mod.
		if vm.NewPath != "" && gomod.Replacement(m.File, vm.Path, vm.Version) == nil {
			add(facts.VendorReplacedNotInGoMod, mod, modulesTxt, vm.Line, "%s is marked as replaced in vendor/modules.txt, but not replaced in go.mod", mod)
		}
		// Rule 5: no vendored module needs a newer go than the toolchain.
		if vm.GoVersion != "" && toolchain != "" && version.Compare("go"+vm.GoVersion, toolchain) > 0 {
			add(facts.VendorGoVersionTooNew, mod, modulesTxt, vm.Line, "%s in vendor/modules.txt requires go >= %s (running %s)", vm.Path, vm.GoVersion, toolchain)
		}
	}
	return out
}
