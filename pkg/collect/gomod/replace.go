package gomod

import (
	"context"
	"go/version"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"

	"github.com/gopolicy/gopolicy/internal/safeio"
	"github.com/gopolicy/gopolicy/pkg/facts"
)

// Where a local replacement directory is (facts.Replace.Location).
const (
	// InModule: inside the main module's own directory (=> ./api).
	InModule = "module"
	// InRepository: outside the module's directory but inside the
	// repository holding it (gopls's => .., etcd's => ../api).
	InRepository = "repository"
	// OutsideRepository: anywhere else (=> ../fork, => /home/me/x).
	OutsideRepository = "outside"
)

// Repository is the repository a module was found in.
type Repository struct {
	// Dir is the repository's root, "" when unknown.
	Dir string
	// From says how it was found: ".git" (the nearest directory at or
	// above the module holding a .git directory or file), or
	// "module-paths" (no .git: see describeLocal).
	From string
}

// RepositoryRoot finds the repository holding dir: the nearest directory
// at or above it with a .git entry (a directory, or the file a worktree
// or submodule has). Without one (an unpacked archive, the corpus) the
// repository is unknown and replacements are judged by module paths.
func RepositoryRoot(dir string) Repository {
	for d := dir; ; {
		if _, err := os.Lstat(filepath.Join(d, ".git")); err == nil {
			return Repository{Dir: d, From: ".git"}
		}
		parent := filepath.Dir(d)
		if parent == d {
			return Repository{From: "module-paths"}
		}
		d = parent
	}
}

// describeLocal says where a local replacement is, and reads the
// replacement's go.mod, when there is one, for its module path and go
// version.
//
// With a known repository root (a checkout), a directory under it is in
// the repository, and one that does not exist is not. Without one (an
// archive, a partial copy such as the corpus), existence says nothing
// and the path decides: a directory inside the module is in it, and
// otherwise the replacement is in the repository when the
// two modules' paths follow the directory layout from their nearest
// common directory C, as modules of one repository do: the main module
// is P/<path from C to it> and the replacement P/<path from C to it>
// for one prefix P (major version suffixes aside). gopls
// (golang.org/x/tools/gopls, replacing golang.org/x/tools with ..) and
// etcd's modules (go.etcd.io/etcd/server/v3 replacing
// go.etcd.io/etcd/api/v3 with ../api) are; a fork in ../cobra-fork is
// not. The replacement's module path is its go.mod's, or the replaced
// path when it has none.
func describeLocal(ctx context.Context, r facts.Replace, base, mainPath string, repo Repository) facts.Replace {
	dir := r.NewPath
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(base, filepath.FromSlash(dir))
	}
	dir = filepath.Clean(dir)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		// The go command fails ("replacement directory ... does not
		// exist"); where it would be is still known.
		r.Missing = true
	}
	replPath := r.OldPath
	if data, err := safeio.ReadFile(filepath.Join(dir, "go.mod"), safeio.LimitsFrom(ctx).ModuleFile); !r.Missing && err == nil {
		if f, err := parseLax(dir, data); err == nil {
			if f.Module != nil && f.Module.Mod.Path != "" {
				replPath = f.Module.Mod.Path
				r.Module = replPath
			}
			if f.Go != nil {
				r.GoVersion = f.Go.Version
			}
		}
	}
	switch {
	case repo.Dir != "" && r.Missing:
		// In a checkout, a directory that is not there is not part of
		// the repository: the build needs someone's local copy.
		r.Location = OutsideRepository
	case within(base, dir):
		r.Location = InModule
	case repo.Dir != "":
		if within(repo.Dir, dir) {
			r.Location = InRepository
		} else {
			r.Location = OutsideRepository
		}
	case sameRepository(base, mainPath, dir, replPath):
		r.Location = InRepository
	default:
		r.Location = OutsideRepository
	}
	return r
}

// within reports whether p is dir or below it.
func within(dir, p string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// sameRepository applies the module-path rule of describeLocal.
func sameRepository(mainDir, mainPath, replDir, replPath string) bool {
	if mainPath == "" || replPath == "" {
		return false
	}
	common := mainDir
	for !within(common, replDir) {
		parent := filepath.Dir(common)
		if parent == common {
			return false
		}
		common = parent
	}
	// prefixes are the module paths the repository root would have if
	// modPath lived in dir: with the major version suffix as a
	// directory (client/v3) or not (server, for .../server/v3).
	prefixes := func(modPath, dir string) map[string]bool {
		out := map[string]bool{}
		rel, err := filepath.Rel(common, dir)
		if err != nil {
			return out
		}
		for _, p := range []string{modPath, stripMajor(modPath)} {
			if rel == "." {
				out[p] = true
			} else if pre, ok := strings.CutSuffix(p, "/"+filepath.ToSlash(rel)); ok && pre != "" {
				out[pre] = true
			}
		}
		return out
	}
	want := prefixes(replPath, replDir)
	for p := range prefixes(mainPath, mainDir) {
		if want[p] {
			return true
		}
	}
	return false
}

// stripMajor removes a /vN major version suffix (and gopkg.in's .vN).
func stripMajor(p string) string {
	if prefix, _, ok := module.SplitPathVersion(p); ok {
		return prefix
	}
	return p
}

// isGoVersion reports a Go version such as 1.21 or 1.21.3.
func isGoVersion(v string) bool { return version.IsValid("go" + v) }

// parseLax parses a go.mod that is not the main module's, as the go
// command reads dependencies' files: unknown directives are ignored.
func parseLax(dir string, data []byte) (*modfile.File, error) {
	return modfile.ParseLax(filepath.Join(dir, "go.mod"), data, nil)
}
