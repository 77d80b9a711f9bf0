package gomod_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gopolicy/gopolicy/internal/corpus"
	"github.com/gopolicy/gopolicy/internal/gotest"
	"github.com/gopolicy/gopolicy/pkg/collect/gomod"
)

func TestParseErrorsCarryLines(t *testing.T) {
	dir := t.TempDir()
	gotest.WriteTree(t, dir, "-- go.mod --\nmodule example.com/app\n\ngo 1.22\n\nfrobnicate example.com/x\nrequire example.com/y\n")
	m, problems := gomod.Load(context.Background(), dir, "go.mod")
	if m != nil {
		t.Fatal("malformed go.mod parsed")
	}
	if len(problems) != 2 || problems[0].Line != 5 || problems[1].Line != 6 || !strings.Contains(problems[0].Message, "unknown directive") {
		t.Fatalf("problems = %+v", problems)
	}
	if problems[0].Path != filepath.Join(dir, "go.mod") {
		t.Errorf("path = %q", problems[0].Path)
	}
}

func TestLocateWalksUp(t *testing.T) {
	dir := t.TempDir()
	gotest.WriteTree(t, dir, "-- go.mod --\nmodule example.com/app\n-- a/b/c.txt --\n")
	got, name, err := gomod.Locate(filepath.Join(dir, "a", "b"))
	if err != nil || got != dir || name != "go.mod" {
		t.Fatalf("Locate = %q %q %v", got, name, err)
	}
	if _, _, err := gomod.Locate(t.TempDir()); err == nil {
		t.Fatal("found a module in an empty directory")
	}
}

func TestCorpusLayouts(t *testing.T) {
	root := corpus.Dir(t)
	cases := []struct {
		repo, layout  string
		check         func(t *testing.T, m *gomod.Module)
		nestedAtLeast int
	}{
		{repo: "cli", layout: "vendor.mod", check: func(t *testing.T, m *gomod.Module) {
			if !strings.HasSuffix(m.SumFile, "vendor.sum") {
				t.Errorf("sum file %s", m.SumFile)
			}
		}},
		{repo: "terraform", layout: "go.mod", check: func(t *testing.T, m *gomod.Module) {
			local := 0
			for _, r := range m.Facts.Replace {
				if r.Local {
					local++
				}
			}
			if local != 10 || len(m.Facts.Godebug) != 1 || m.Facts.Godebug[0].Key != "winsymlink" || len(m.Facts.Tool) == 0 {
				t.Errorf("local replaces %d godebug %+v tools %d", local, m.Facts.Godebug, len(m.Facts.Tool))
			}
		}},
		{repo: "tools/gopls", layout: "go.mod", check: func(t *testing.T, m *gomod.Module) {
			for _, r := range m.Facts.Replace {
				if r.OldPath == "golang.org/x/tools" && (!r.Local || r.NewPath != "..") {
					t.Errorf("replace => .. not local: %+v", r)
				}
			}
		}},
		{repo: "prometheus", layout: "go.mod", check: func(t *testing.T, m *gomod.Module) {
			if len(m.Facts.Exclude) == 0 {
				t.Error("exclude block not read")
			}
		}},
		{repo: "etcd", layout: "go.mod", nestedAtLeast: 2, check: func(t *testing.T, m *gomod.Module) {
			if m.Facts.Toolchain == nil || m.Facts.Toolchain.Version != "go1.26.6" {
				t.Errorf("toolchain %+v", m.Facts.Toolchain)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.repo, func(t *testing.T) {
			dir, name, err := gomod.Locate(filepath.Join(root, c.repo))
			if err != nil {
				t.Fatalf("corpus repository %s: %v", c.repo, err)
			}
			m, problems := gomod.Load(context.Background(), dir, name)
			if m == nil {
				t.Fatal(problems)
			}
			if m.Facts.Layout != c.layout || len(m.Facts.Require) == 0 {
				t.Fatalf("layout %s requires %d", m.Facts.Layout, len(m.Facts.Require))
			}
			nested, problems := gomod.FindNested(context.Background(), dir)
			if len(problems) != 0 || len(nested) < c.nestedAtLeast {
				t.Errorf("nested %v problems %v", nested, problems)
			}
			c.check(t, m)
		})
	}
}

func TestWorkspace(t *testing.T) {
	dir := filepath.Join(corpus.Dir(t), "etcd")
	w, problems := gomod.LoadWork(context.Background(), dir, "")
	if len(problems) != 0 || !w.Found {
		t.Fatalf("corpus go.work not read: found=%v problems=%v", w.Found, problems)
	}
	if len(w.Use) != 14 {
		t.Errorf("use entries = %d, want 14", len(w.Use))
	}
	existing := 0
	for _, u := range w.Use {
		if u.Exists {
			existing++
		}
	}
	if existing < 3 {
		t.Errorf("only %d use directories resolved", existing)
	}
	off, _ := gomod.LoadWork(context.Background(), dir, "off")
	if !off.Disabled || off.Found {
		t.Errorf("GOWORK=off: %+v", off)
	}
	_, problems = gomod.LoadWork(context.Background(), dir, "relative/go.work")
	if len(problems) != 1 {
		t.Errorf("relative GOWORK accepted")
	}
}
