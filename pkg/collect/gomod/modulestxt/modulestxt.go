// Package modulestxt reads vendor/modules.txt and checks it against the
// main modules' go.mod files (and go.work, for a vendored workspace)
// exactly as cmd/go/internal/modload/vendor.go does: readVendorList and
// checkVendorConsistency, rule by rule, with the line to change. It
// depends on no other collector, so the vendor and the workspace
// collectors share it.
package modulestxt

import (
	"fmt"
	"go/version"
	"io"
	"path/filepath"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"

	"github.com/gopolicy/gopolicy/internal/safeio"
	"github.com/gopolicy/gopolicy/pkg/facts"
)

// maxText bounds the text of an ignored line kept in the facts.
const maxText = 256

// List is a parsed modules.txt: the blocks as written, and the go
// command's reading of them.
type List struct {
	// Modules is one entry per "# path version" line; Packages counts the
	// package lines the go command attributes to it.
	Modules []facts.VendorModule
	// Workspace is true when the first line is "## workspace" (written by
	// go work vendor).
	Workspace bool
	// Ignored are lines the go command skips (the first maxProblems),
	// IgnoredMore counts the rest.
	Ignored     []facts.VendorIgnored
	IgnoredMore int

	// The go command's view (modload's vendorMeta, vendorList,
	// vendorVersion, vendorReplaced).
	meta     map[module.Version]meta
	list     []module.Version
	versions map[string]string
	replaced []replaced
}

type meta struct {
	explicit    bool
	replacement module.Version
	goVersion   string
	line        int // the first block line for the module version
}

type replaced struct {
	mod  module.Version
	line int
}

// Parse reads modules.txt content as readVendorList does. Lines the go
// command ignores are kept as Ignored (up to maxProblems, the rest
// counted), except blank lines and the "## workspace" line: a line
// before any module, a "# " line with fewer than three fields (the
// package lines after it stay with the module before it), a module line
// with neither a version nor "=>", a replacement the go command does not
// understand, and a line that is neither a package nor an annotation.
func Parse(data []byte, maxProblems int) *List {
	l := &List{Modules: []facts.VendorModule{}, Ignored: []facts.VendorIgnored{}, meta: map[module.Version]meta{}, versions: map[string]string{}}
	text := string(data)
	l.Workspace = isWorkspace(text)
	ignore := func(lineNo int, line, reason string) {
		if len(l.Ignored) >= maxProblems {
			l.IgnoredMore++
			return
		}
		if len(line) > maxText {
			line = line[:maxText] + "…"
		}
		l.Ignored = append(l.Ignored, facts.VendorIgnored{Line: lineNo, Text: line, Reason: reason})
	}
	var mod module.Version
	cur := -1 // the block package lines are counted in
	lineNo := 0
	for len(text) > 0 || lineNo == 0 {
		lineNo++
		line := text
		if i := strings.IndexByte(text, '\n'); i >= 0 {
			line, text = text[:i], text[i+1:]
		} else {
			text = ""
		}
		if strings.HasPrefix(line, "# ") {
			f := strings.Fields(line)
			if len(f) < 3 {
				ignore(lineNo, line, "module line with fewer than two fields")
				continue
			}
			vm := facts.VendorModule{Path: f[1], Line: lineNo}
			switch {
			case semver.IsValid(f[2]):
				mod = module.Version{Path: f[1], Version: f[2]}
				vm.Version = f[2]
				f = f[3:]
			case f[2] == "=>":
				mod = module.Version{Path: f[1]}
				f = f[2:]
			default:
				mod, cur = module.Version{}, -1
				ignore(lineNo, line, "module line with neither a version nor =>")
				continue
			}
			m := l.meta[mod]
			if m.line == 0 {
				m.line = lineNo
			}
			if len(f) >= 2 && f[0] == "=>" {
				switch {
				case len(f) == 2:
					m.replacement = module.Version{Path: f[1]}
					vm.NewPath = f[1]
					l.replaced = append(l.replaced, replaced{mod, lineNo})
				case len(f) == 3 && semver.IsValid(f[2]):
					m.replacement = module.Version{Path: f[1], Version: f[2]}
					vm.NewPath, vm.NewVersion = f[1], f[2]
					l.replaced = append(l.replaced, replaced{mod, lineNo})
				default:
					ignore(lineNo, line, "replacement the go command does not understand")
				}
			}
			l.meta[mod] = m
			l.Modules = append(l.Modules, vm)
			cur = len(l.Modules) - 1
			continue
		}
		if mod.Path == "" {
			if strings.TrimSpace(line) != "" && !(lineNo == 1 && l.Workspace) {
				ignore(lineNo, line, "line outside any module block")
			}
			continue
		}
		if annotations, ok := strings.CutPrefix(line, "## "); ok {
			m := l.meta[mod]
			for entry := range strings.SplitSeq(annotations, ";") {
				entry = strings.TrimSpace(entry)
				if entry == "explicit" {
					m.explicit = true
					if cur >= 0 {
						l.Modules[cur].Explicit = true
					}
				}
				if gv, ok := strings.CutPrefix(entry, "go "); ok {
					m.goVersion = gv
					if cur >= 0 {
						l.Modules[cur].GoVersion = gv
					}
				}
			}
			l.meta[mod] = m
			continue
		}
		if f := strings.Fields(line); len(f) == 1 && module.CheckImportPath(f[0]) == nil {
			if cur >= 0 {
				l.Modules[cur].Packages++
			}
			if v, ok := l.versions[mod.Path]; !ok || modCompare(mod.Path, v, mod.Version) < 0 {
				l.list = append(l.list, mod)
				l.versions[mod.Path] = mod.Version
			}
			continue
		}
		if strings.TrimSpace(line) != "" {
			ignore(lineNo, line, "neither a package nor an annotation")
		}
	}
	return l
}

// isWorkspace mirrors modulesTextIsForWorkspace: the first line (within
// the first 512 bytes) is an annotation line listing "workspace".
func isWorkspace(text string) bool {
	if len(text) > 512 {
		text = text[:512]
	}
	line, _, _ := strings.Cut(text, "\n")
	annotations, ok := strings.CutPrefix(line, "## ")
	if !ok {
		return false
	}
	for entry := range strings.SplitSeq(annotations, ";") {
		if strings.TrimSpace(entry) == "workspace" {
			return true
		}
	}
	return false
}

// IsWorkspaceFile reports whether the modules.txt at path was written
// for a workspace, reading only its first 512 bytes (a regular file; a
// missing or unreadable one is not).
func IsWorkspaceFile(path string) bool {
	f, err := safeio.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var buf [512]byte
	n, _ := io.ReadFull(f, buf[:])
	return isWorkspace(string(buf[:n]))
}

// modCompare is gover.ModCompare: versions of the go and toolchain
// modules compare as Go versions, others by semver.
func modCompare(path, x, y string) int {
	if path == "go" || path == "toolchain" {
		return version.Compare("go"+strings.TrimPrefix(x, "go"), "go"+strings.TrimPrefix(y, "go"))
	}
	return semver.Compare(x, y)
}

// Version is the version the go command vendors a path at: the highest
// of the blocks that list its packages. "" when no block lists any.
func (l *List) Version(path string) (string, bool) {
	v, ok := l.versions[path]
	return v, ok
}

// Main is one main module: the module, or each module of a workspace.
type Main struct {
	// File is the go.mod path, Dir its directory.
	File, Dir string
	Mod       *modfile.File
}

// Work is the workspace when checking a workspace's vendor directory.
type Work struct {
	// File is the go.work path.
	File    string
	Replace []*modfile.Replace
}

// Check applies checkVendorConsistency and the go version check of
// readVendorList. mains are the main modules; work is nil outside
// workspace mode. toolchain is the go version that builds ("go1.26.8"):
// empty skips the go version rule. Each violation points at the line to
// change, in modules.txt or go.mod.
func Check(l *List, modulesTxt string, mains []Main, work *Work, toolchain string) []facts.VendorViolation {
	out := []facts.VendorViolation{}
	inWorkspace := work != nil
	pre114 := false
	if !inWorkspace && len(mains) == 1 {
		goVersion := ""
		if mains[0].Mod.Go != nil {
			goVersion = mains[0].Mod.Go.Version
		}
		pre114 = goVersion == "" || version.Compare("go"+goVersion, "go1.14") < 0
	}
	add := func(rule string, mod module.Version, file string, line int, format string, args ...any) {
		out = append(out, facts.VendorViolation{Rule: rule, Module: describe(mod), Message: describe(mod) + " " + fmt.Sprintf(format, args...), File: file, Line: line})
	}

	// Every requirement is marked explicit.
	for _, m := range mains {
		for _, r := range m.Mod.Require {
			if l.meta[r.Mod].explicit {
				continue
			}
			if pre114 {
				if vv, ok := l.versions[r.Mod.Path]; ok && vv != r.Mod.Version {
					add(facts.VendorVersionMismatch, r.Mod, modulesTxt, l.meta[module.Version{Path: r.Mod.Path, Version: vv}].line, "is explicitly required in go.mod, but vendor/modules.txt indicates %s@%s", r.Mod.Path, vv)
				}
				continue
			}
			file, line := m.File, r.Syntax.Start.Line
			if mm, ok := l.meta[r.Mod]; ok && mm.line > 0 {
				file, line = modulesTxt, mm.line
			}
			add(facts.VendorRequiredNotExplicit, r.Mod, file, line, "is explicitly required in go.mod, but not marked as explicit in vendor/modules.txt")
		}
	}

	// Every replacement is recorded, and identically.
	rs := newReplacer(mains, work)
	seen := map[module.Version]bool{}
	checkReplace := func(file string, replaces []*modfile.Replace) {
		for _, r := range replaces {
			if seen[r.Old] {
				continue
			}
			seen[r.Old] = true
			rNew, src := rs.replacement(r.Old)
			vr := l.meta[r.Old].replacement
			switch {
			case vr == module.Version{}:
				if rNew == (module.Version{}) {
					// Not replaced after all: a main module.
				} else if pre114 && (r.Old.Version == "" || l.versions[r.Old.Path] != r.Old.Version) {
					// Before 1.14 modules.txt omitted such replacements.
				} else {
					add(facts.VendorReplaceNotRecorded, r.Old, file, r.Syntax.Start.Line, "is replaced in %s, but not marked as replaced in vendor/modules.txt", src)
				}
			case vr != rNew:
				add(facts.VendorReplaceMismatch, r.Old, modulesTxt, l.meta[r.Old].line, "is replaced by %s in %s, but marked as replaced by %s in vendor/modules.txt", describe(rNew), src, describe(vr))
			}
		}
	}
	for _, m := range mains {
		checkReplace(m.File, m.Mod.Replace)
	}
	if work != nil {
		checkReplace(work.File, work.Replace)
	}

	// Modules marked explicit are required.
	required := map[module.Version]bool{}
	for _, m := range mains {
		for _, r := range m.Mod.Require {
			required[r.Mod] = true
		}
	}
	article := ""
	if inWorkspace {
		article = "a "
	}
	for _, mod := range l.list {
		if l.meta[mod].explicit && !required[mod] {
			add(facts.VendorExplicitNotRequired, mod, modulesTxt, l.meta[mod].line, "is marked as explicit in vendor/modules.txt, but not explicitly required in %sgo.mod", article)
		}
	}

	// Modules marked replaced are replaced.
	where := "go.mod"
	if inWorkspace {
		where = "the workspace"
	}
	for _, r := range l.replaced {
		if rNew, _ := rs.replacement(r.mod); rNew == (module.Version{}) {
			add(facts.VendorReplacedNotInGoMod, r.mod, modulesTxt, r.line, "is marked as replaced in vendor/modules.txt, but not replaced in %s", where)
		}
	}

	// No vendored module needs a newer go than the toolchain.
	if toolchain != "" {
		for _, vm := range l.Modules {
			if vm.GoVersion != "" && version.Compare("go"+vm.GoVersion, toolchain) > 0 {
				add(facts.VendorGoVersionTooNew, module.Version{Path: vm.Path}, modulesTxt, vm.Line, "in vendor/modules.txt requires go >= %s (running %s)", vm.GoVersion, toolchain)
			}
		}
	}
	return out
}

func describe(m module.Version) string {
	if m.Version == "" {
		return m.Path
	}
	return m.Path + "@" + m.Version
}

// replacer is modload.replacementFrom and canonicalizeReplacePath: in a
// workspace go.work's replacements come first, then the modules'; a
// directory path is made relative to the workspace.
type replacer struct {
	work      map[module.Version]module.Version
	mods      []map[module.Version]module.Version
	files     []string
	dirs      []string
	mainPaths map[string]bool
	workFile  string
}

func newReplacer(mains []Main, work *Work) *replacer {
	r := &replacer{mainPaths: map[string]bool{}}
	for _, m := range mains {
		r.mods = append(r.mods, replaceMap(m.Mod.Replace))
		r.files = append(r.files, m.File)
		r.dirs = append(r.dirs, m.Dir)
		if m.Mod.Module != nil {
			r.mainPaths[m.Mod.Module.Mod.Path] = true
		}
	}
	if work != nil {
		r.work = replaceMap(work.Replace)
		r.workFile = work.File
	}
	return r
}

func replaceMap(rs []*modfile.Replace) map[module.Version]module.Version {
	m := make(map[module.Version]module.Version, len(rs))
	for _, r := range rs {
		m[r.Old] = r.New
	}
	return m
}

func lookup(mod module.Version, m map[module.Version]module.Version) (module.Version, bool) {
	if r, ok := m[mod]; ok {
		return r, true
	}
	r, ok := m[module.Version{Path: mod.Path}]
	return r, ok
}

// replacement returns what mod is replaced by, canonicalized, and the
// file that says so ("go.mod", or the go.work's or a module's path in a
// workspace, as the go command names them).
func (rs *replacer) replacement(mod module.Version) (module.Version, string) {
	if rs.mainPaths[mod.Path] && mod.Version == "" {
		return module.Version{}, ""
	}
	if rs.work != nil {
		if r, ok := lookup(mod, rs.work); ok {
			return rs.canonical(r, ""), filepath.Base(rs.workFile)
		}
	}
	for i, m := range rs.mods {
		if r, ok := lookup(mod, m); ok {
			src := "go.mod"
			if rs.work != nil {
				src = relTo(filepath.Dir(rs.workFile), rs.files[i])
			}
			return rs.canonical(r, rs.dirs[i]), src
		}
	}
	return module.Version{}, ""
}

func (rs *replacer) canonical(r module.Version, modRoot string) module.Version {
	if filepath.IsAbs(r.Path) || r.Version != "" || rs.work == nil {
		return r
	}
	abs := filepath.Join(modRoot, r.Path)
	rel, err := filepath.Rel(filepath.Dir(rs.workFile), abs)
	if err != nil {
		return module.Version{Path: abs}
	}
	if modfile.IsDirectoryPath(rel) {
		return module.Version{Path: rel}
	}
	return module.Version{Path: "./" + filepath.ToSlash(filepath.Clean(rel))}
}

func relTo(dir, p string) string {
	if rel, err := filepath.Rel(dir, p); err == nil {
		return rel
	}
	return p
}
