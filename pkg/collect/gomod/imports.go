package gomod

import (
	"context"
	"fmt"
	"go/ast"
	"go/build/constraint"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gopolicy/gopolicy/internal/safeio"
	"github.com/gopolicy/gopolicy/pkg/facts"
)

// Import is one import of the main module's own code that every build
// makes: it is in a .go file of a package directory that no build
// constraint, file name suffix or cgo can leave out.
type Import struct {
	// Path is the import path.
	Path string
	// Test is true when only _test.go files import it.
	Test bool
	// Pos is "file:line" of one import of it.
	Pos string
}

// Imports is what the main module's packages import on every platform.
type Imports struct {
	// ByPath maps import paths to where they are imported.
	ByPath map[string]Import
	// Complete is false when some file could not be read or parsed, or
	// the walk stopped: an import may be missing then.
	Complete bool
}

// maxSourceHeader bounds what is read of one .go file: imports come
// first, and a file whose imports do not fit is left out (Complete is
// then false).
const maxSourceHeader = 1 << 20

// ScanImports reads the imports of the packages of the module in dir as
// `go list ./...` would find them: every directory below dir except
// vendor, testdata, those starting with . or _, and nested modules. A
// file counts only when it is always built: no //go:build or +build
// line, no _GOOS or _GOARCH in its name, no import "C". Files that may
// be left out are skipped; what they import is not known to be needed.
func ScanImports(ctx context.Context, dir string) (*Imports, []facts.Problem) {
	out := &Imports{ByPath: map[string]Import{}, Complete: true}
	var problems []facts.Problem
	seen := 0
	fset := token.NewFileSet()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			out.Complete = false
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if seen++; seen > maxNestedWalk {
			out.Complete = false
			return fs.SkipAll
		}
		name := d.Name()
		if d.IsDir() {
			if p == dir {
				return nil
			}
			if skipDir(name) || isFile(filepath.Join(p, "go.mod")) {
				return fs.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || !d.Type().IsRegular() {
			return nil
		}
		test := strings.HasSuffix(name, "_test.go")
		if constrainedByName(name) {
			return nil
		}
		f, err := parseImports(fset, p)
		if err != nil {
			out.Complete = false
			return nil
		}
		if hasConstraint(f) {
			return nil
		}
		for _, imp := range f.Imports {
			if imp.Path.Value == `"C"` {
				return nil // cgo: not built with CGO_ENABLED=0
			}
		}
		rel, _ := filepath.Rel(dir, p)
		for _, imp := range f.Imports {
			path, err := strconv.Unquote(imp.Path.Value)
			if err != nil {
				continue
			}
			prev, ok := out.ByPath[path]
			if ok && (!prev.Test || test) {
				continue
			}
			out.ByPath[path] = Import{Path: path, Test: test, Pos: fmt.Sprintf("%s:%d", rel, fset.Position(imp.Pos()).Line)}
		}
		return nil
	})
	if err != nil {
		out.Complete = false
		problems = append(problems, facts.Problem{Path: dir, Message: "read the module's imports: " + err.Error()})
	}
	return out, problems
}

func parseImports(fset *token.FileSet, path string) (*ast.File, error) {
	f, err := safeio.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxSourceHeader))
	if err != nil {
		return nil, err
	}
	return parser.ParseFile(fset, path, data, parser.ImportsOnly|parser.ParseComments)
}

// hasConstraint reports a build constraint line before the package clause.
func hasConstraint(f *ast.File) bool {
	for _, g := range f.Comments {
		if g.Pos() >= f.Package {
			break
		}
		for _, c := range g.List {
			if constraint.IsGoBuild(c.Text) || constraint.IsPlusBuild(c.Text) {
				return true
			}
		}
	}
	return false
}

// constrainedByName reports a file name ending in _GOOS, _GOARCH or
// _GOOS_GOARCH, before _test (go/build's goodOSArchFile): only some
// builds read it.
func constrainedByName(name string) bool {
	name, _, _ = strings.Cut(name, ".")
	i := strings.IndexByte(name, '_')
	if i < 0 {
		return false
	}
	l := strings.Split(name[i:], "_")
	if n := len(l); n > 0 && l[n-1] == "test" {
		l = l[:n-1]
	}
	n := len(l)
	if n >= 2 && knownOS[l[n-2]] && knownArch[l[n-1]] {
		return true
	}
	return n >= 1 && (knownOS[l[n-1]] || knownArch[l[n-1]])
}

// knownOS and knownArch are go/build's lists (syslist.go), which decide
// which file name suffixes are constraints.
var knownOS = set("aix android darwin dragonfly freebsd hurd illumos ios js linux nacl netbsd openbsd plan9 solaris wasip1 windows zos")

var knownArch = set("386 amd64 amd64p32 arm armbe arm64 arm64be loong64 mips mipsle mips64 mips64le mips64p32 mips64p32le ppc ppc64 ppc64le riscv riscv64 s390 s390x sparc sparc64 wasm")

func set(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// ModuleFor returns the requirement paths an import path could come
// from: every path in mods that is the import path or a prefix of it at
// a path element boundary. The go command fetches each of them to check
// the import is not ambiguous (modload.importFromModules).
func ModuleFor(importPath string, mods map[string]bool) []string {
	var out []string
	for p := importPath; p != "." && p != "/" && p != ""; {
		if mods[p] {
			out = append(out, p)
		}
		i := strings.LastIndexByte(p, '/')
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return out
}
