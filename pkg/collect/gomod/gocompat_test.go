package gomod_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gopolicy/gopolicy/internal/corpus"
	"github.com/gopolicy/gopolicy/internal/gotest"
	"github.com/gopolicy/gopolicy/internal/safeio"
	"github.com/gopolicy/gopolicy/pkg/collect/gomod"
	"github.com/gopolicy/gopolicy/pkg/facts"
)

// TestRefusedLikeTheGoCommand: go.mod files modfile parses but the go
// command refuses are problems at the line, and the go command does
// refuse them.
func TestRefusedLikeTheGoCommand(t *testing.T) {
	env := gotest.Env(t)
	cases := []struct{ name, gomod, problem string }{
		{"unknown godebug", "module example.com/m\n\ngo 1.22\n\ngodebug foo=1\n", `go.mod:5: unknown godebug "foo"`},
		{"removed godebug", "module example.com/m\n\ngo 1.22\n\ngodebug x509sha1=1\n", `go.mod:5: use of removed godebug "x509sha1"`},
		{"retract without module", "go 1.16\n\nretract v1.0.0\n", "go.mod:3: no module directive found, so retract cannot be used"},
		{"major version mismatch", "module example.com/m\n\ngo 1.22\n\nrequire example.com/x/v2 v1.0.0\n", "go.mod:5: require example.com/x/v2: version \"v1.0.0\" invalid: should be v2, not v1"},
		{"conflicting replacements", "module example.com/m\n\ngo 1.22\n\nreplace example.com/x v1.0.0 => ./a\n\nreplace example.com/x v1.0.0 => ./b\n", "go.mod:7: conflicting replacements for example.com/x@v1.0.0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			gotest.WriteTree(t, dir, "-- go.mod --\n"+c.gomod)
			m, problems := gomod.Load(context.Background(), dir, "go.mod")
			if m != nil || len(problems) != 1 || !strings.Contains(problems[0].String(), c.problem) {
				t.Errorf("problems = %v, want %q", problems, c.problem)
			}
			if out, err := gotest.TryGo(t, env, dir, "list", "-m"); err == nil {
				t.Errorf("the go command accepts it:\n%s", out)
			}
		})
	}
}

// hostile makes path a named pipe or a link to /dev/zero.
func hostile(t *testing.T, path, kind string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	switch kind {
	case "fifo":
		if err := syscall.Mkfifo(path, 0o644); err != nil {
			t.Skip(err)
		}
	case "zero":
		if err := os.Symlink("/dev/zero", path); err != nil {
			t.Fatal(err)
		}
	}
}

func within(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { f(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s blocked", what)
	}
}

// Every file the module collectors open is a regular file read with a
// cap: a FIFO or a link to /dev/zero named go.mod, go.work, or a
// workspace module's go.mod is a problem with its path, reported at once.
func TestHostileModuleFiles(t *testing.T) {
	for _, kind := range []string{"fifo", "zero"} {
		t.Run(kind+" go.mod", func(t *testing.T) {
			dir := t.TempDir()
			hostile(t, filepath.Join(dir, "go.mod"), kind)
			within(t, "go.mod", func() {
				m, problems := gomod.Load(context.Background(), dir, "go.mod")
				if m != nil || len(problems) != 1 || problems[0].Path != filepath.Join(dir, "go.mod") || !strings.Contains(problems[0].Message, "not a regular file") {
					t.Errorf("problems = %v", problems)
				}
			})
		})
		t.Run(kind+" nested go.mod", func(t *testing.T) {
			dir := t.TempDir()
			gotest.WriteTree(t, dir, "-- go.mod --\nmodule example.com/m\n")
			hostile(t, filepath.Join(dir, "sub", "go.mod"), kind)
			within(t, "nested go.mod", func() {
				_, problems := gomod.FindNested(context.Background(), dir)
				if len(problems) != 1 || !strings.Contains(problems[0].Message, "not a regular file") {
					t.Errorf("problems = %v", problems)
				}
			})
		})
		t.Run(kind+" go.work", func(t *testing.T) {
			dir := t.TempDir()
			hostile(t, filepath.Join(dir, "go.work"), kind)
			within(t, "go.work", func() {
				_, problems := gomod.LoadWork(context.Background(), dir, "")
				if len(problems) != 1 || !strings.Contains(problems[0].Message, "not a regular file") {
					t.Errorf("problems = %v", problems)
				}
			})
		})
		t.Run(kind+" workspace module", func(t *testing.T) {
			dir := t.TempDir()
			gotest.WriteTree(t, dir, "-- go.work --\ngo 1.22\n\nuse ./a\n")
			hostile(t, filepath.Join(dir, "a", "go.mod"), kind)
			within(t, "use module", func() {
				w, problems := gomod.LoadWork(context.Background(), dir, "")
				if len(problems) != 1 || problems[0].Path != filepath.Join(dir, "a", "go.mod") || w.Use[0].Exists {
					t.Errorf("problems = %v use = %+v", problems, w.Use)
				}
			})
		})
	}
	t.Run("too large", func(t *testing.T) {
		dir := t.TempDir()
		gotest.WriteTree(t, dir, "-- go.mod --\nmodule example.com/m\n\ngo 1.22\n// "+strings.Repeat("x", 4096)+"\n")
		ctx := safeio.WithLimits(context.Background(), safeio.Limits{ModuleFile: 1024})
		if m, problems := gomod.Load(ctx, dir, "go.mod"); m != nil || len(problems) != 1 || !strings.Contains(problems[0].Message, "larger than the 1 KiB limit") {
			t.Errorf("problems = %v", problems)
		}
	})
}

// Parse problems are capped like every other list of problems.
func TestParseProblemsAreCapped(t *testing.T) {
	dir := t.TempDir()
	gotest.WriteTree(t, dir, "-- go.mod --\nmodule example.com/m\n"+strings.Repeat("frobnicate x\n", 50))
	ctx := safeio.WithLimits(context.Background(), safeio.Limits{Problems: 5})
	_, problems := gomod.Load(ctx, dir, "go.mod")
	if len(problems) != 6 || problems[5].Message != "45 more problems" {
		t.Fatalf("%d problems, last %v", len(problems), problems[len(problems)-1])
	}
}

func replacement(t *testing.T, dir string, i int) facts.Replace {
	t.Helper()
	m, problems := gomod.Load(context.Background(), dir, "go.mod")
	if m == nil {
		t.Fatal(problems)
	}
	return m.Facts.Replace[i]
}

// TestReplacementLocation places local replacements: in the module, in
// its repository (found by .git, or by module paths following the
// directories), or outside.
func TestReplacementLocation(t *testing.T) {
	t.Run("checkout", func(t *testing.T) {
		root := t.TempDir()
		gotest.WriteTree(t, root, `-- .git/HEAD --
ref: refs/heads/main
-- app/go.mod --
module example.com/app

go 1.22

replace (
	example.com/api => ./api
	example.com/tools => ../tools
	example.com/fork => ../../elsewhere/fork
	example.com/gone => ../gone
)
-- app/api/go.mod --
module example.com/api
-- tools/go.mod --
module example.com/tools

go 1.99
`)
		if err := os.MkdirAll(filepath.Join(filepath.Dir(root), "elsewhere", "fork"), 0o755); err != nil {
			t.Fatal(err)
		}
		app := filepath.Join(root, "app")
		for i, want := range []string{gomod.InModule, gomod.InRepository, gomod.OutsideRepository, gomod.OutsideRepository} {
			if r := replacement(t, app, i); r.Location != want {
				t.Errorf("%s => %s: %s, want %s", r.OldPath, r.NewPath, r.Location, want)
			}
		}
		if r := replacement(t, app, 1); r.Module != "example.com/tools" || r.GoVersion != "1.99" {
			t.Errorf("replacement go.mod not read: %+v", r)
		}
		if r := replacement(t, app, 3); !r.Missing {
			t.Errorf("missing directory not recorded: %+v", r)
		}
	})
	t.Run("no checkout", func(t *testing.T) {
		root := t.TempDir()
		gotest.WriteTree(t, root, `-- repo/go.mod --
module example.com/repo
-- repo/server/go.mod --
module example.com/repo/server/v3

go 1.22

replace (
	example.com/repo/api/v3 => ../api
	example.com/repo/client/v3 => ../client/v3
	example.com/repo => ..
	github.com/spf13/cobra => ../../cobra-fork
)
-- repo/api/go.mod --
module example.com/repo/api/v3
`)
		server := filepath.Join(root, "repo", "server")
		for i, want := range []string{gomod.InRepository, gomod.InRepository, gomod.InRepository, gomod.OutsideRepository} {
			if r := replacement(t, server, i); r.Location != want {
				t.Errorf("%s => %s: %s, want %s", r.OldPath, r.NewPath, r.Location, want)
			}
		}
	})
}

// The corpus's replacements stay in their repositories.
func TestCorpusReplacementsStayInRepository(t *testing.T) {
	root := corpus.Dir(t)
	for _, repo := range []string{"moby", "terraform", "etcd", "etcd/server", "tools/gopls"} {
		m, problems := gomod.Load(context.Background(), filepath.Join(root, repo), "go.mod")
		if m == nil {
			t.Fatalf("%s: %v", repo, problems)
		}
		for _, r := range m.Facts.Replace {
			if r.Local && r.Location == gomod.OutsideRepository {
				t.Errorf("%s: %s => %s is placed outside the repository", repo, r.OldPath, r.NewPath)
			}
		}
	}
}

func FuzzLoad(f *testing.F) {
	f.Add([]byte("module example.com/m\n\ngo 1.22\n\nrequire example.com/a v1.0.0\n\nreplace example.com/a => ../a\n"))
	f.Add([]byte("go 1.16\nretract v1.0.0\ngodebug foo=1\n"))
	f.Add([]byte("module m\nrequire (\n\tx v1\n)\nreplace x v1 => ./a\nreplace x v1 => ./b\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "go.mod"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		m, problems := gomod.Load(context.Background(), dir, "go.mod")
		if (m == nil) == (len(problems) == 0) {
			t.Fatalf("module %v with problems %v", m, problems)
		}
		if m != nil && len(m.Facts.Require) != len(m.File.Require) {
			t.Fatalf("%d requirements, %d facts", len(m.File.Require), len(m.Facts.Require))
		}
	})
}

func FuzzLoadWork(f *testing.F) {
	f.Add([]byte("go 1.22\n\nuse (\n\t.\n\t./a\n)\n\nreplace example.com/a => ./b\n"))
	f.Add([]byte("use .\nuse ./\ngodebug foo=1\ntoolchain go1.99\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "go.work"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		w, _ := gomod.LoadWork(context.Background(), dir, "")
		if w == nil || w.ModuleMode == nil || w.Found && w.Sums == nil {
			t.Fatalf("work facts %+v", w)
		}
	})
}

// TestGodebugTable checks the godebug names against the installed Go's
// internal/godebugs table.
func TestGodebugTable(t *testing.T) {
	out, err := exec.Command(gotest.GoExe(t), "env", "GOROOT").Output()
	if err != nil {
		t.Fatal(err)
	}
	goroot := strings.TrimSpace(string(out))
	data, err := os.ReadFile(filepath.Join(goroot, "src", "internal", "godebugs", "table.go"))
	if err != nil {
		t.Skip(err)
	}
	all, _, _ := strings.Cut(string(data), "var Removed")
	want := map[string]bool{}
	for _, line := range strings.Split(all, "\n") {
		if _, rest, ok := strings.Cut(line, `{Name: "`); ok {
			name, _, _ := strings.Cut(rest, `"`)
			want[name] = true
		}
	}
	got := map[string]bool{}
	for _, n := range gomod.GodebugNames() {
		got[n] = true
		if !want[n] {
			t.Errorf("gopolicy knows godebug %q, the go command does not", n)
		}
	}
	for n := range want {
		if !got[n] {
			t.Errorf("the go command knows godebug %q, gopolicy does not", n)
		}
	}
}
