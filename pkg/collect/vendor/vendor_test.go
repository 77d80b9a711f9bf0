package vendor_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gopolicy/gopolicy/internal/corpus"
	"github.com/gopolicy/gopolicy/internal/gotest"
	"github.com/gopolicy/gopolicy/pkg/collect/gomod"
	"github.com/gopolicy/gopolicy/pkg/collect/vendor"
	"github.com/gopolicy/gopolicy/pkg/facts"
)

const toolchain = "go1.26.8"

func load(t *testing.T, dir string) *facts.Vendor {
	t.Helper()
	m, problems := gomod.Load(context.Background(), dir, "go.mod")
	if m == nil {
		t.Fatalf("load go.mod: %v", problems)
	}
	v, problems := vendor.Collect(context.Background(), m, toolchain)
	if v == nil {
		t.Fatalf("collect vendor: %v", problems)
	}
	return v
}

func edit(t *testing.T, path, old, new string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), old) {
		t.Fatalf("%s does not contain %q", path, old)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(data), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestConsistencyRules vendors a real module with `go mod vendor`, breaks
// each of the go command's rules in turn, and checks that gopolicy reports
// exactly that rule at the right line and that the go command itself
// refuses the tree too.
func TestConsistencyRules(t *testing.T) {
	env := gotest.Env(t)
	gotest.Proxy(t, env)
	pristine := gotest.Project(t, env)
	gotest.Go(t, env, pristine, "mod", "vendor")

	if v := load(t, pristine); len(v.Violations) != 0 || !v.Found || !v.ModeDefault {
		t.Fatalf("fresh go mod vendor: found=%v mode=%v violations=%v", v.Found, v.ModeDefault, v.Violations)
	}

	cases := []struct {
		name     string
		corrupt  func(t *testing.T, dir string)
		rule     string
		file     string // "go.mod" or "modules.txt"
		goRefuse string // what `go build` says
	}{
		{
			name: "explicit marker removed",
			corrupt: func(t *testing.T, dir string) {
				edit(t, filepath.Join(dir, "vendor/modules.txt"), "# example.com/lib v1.1.0\n## explicit; go 1.21\n", "# example.com/lib v1.1.0\n## go 1.21\n")
			},
			rule: facts.VendorRequiredNotExplicit, file: "modules.txt", goRefuse: "inconsistent vendoring",
		},
		{
			name: "replacement not vendored",
			corrupt: func(t *testing.T, dir string) {
				edit(t, filepath.Join(dir, "go.mod"), "go 1.22\n", "go 1.22\n\nreplace example.com/other => example.com/other v1.2.0\n")
			},
			rule: facts.VendorReplaceNotRecorded, file: "go.mod", goRefuse: "inconsistent vendoring",
		},
		{
			name: "explicit but not required",
			corrupt: func(t *testing.T, dir string) {
				edit(t, filepath.Join(dir, "vendor/modules.txt"), "# example.com/lib v1.1.0\n", "# example.com/extra v1.0.0\n## explicit\nexample.com/extra\n# example.com/lib v1.1.0\n")
			},
			rule: facts.VendorExplicitNotRequired, file: "modules.txt", goRefuse: "inconsistent vendoring",
		},
		{
			name: "replaced in vendor only",
			corrupt: func(t *testing.T, dir string) {
				edit(t, filepath.Join(dir, "vendor/modules.txt"), "# example.com/other v1.2.0\n", "# example.com/other v1.2.0 => ./fork\n")
			},
			rule: facts.VendorReplacedNotInGoMod, file: "modules.txt", goRefuse: "inconsistent vendoring",
		},
		{
			name: "vendored module needs newer go",
			corrupt: func(t *testing.T, dir string) {
				edit(t, filepath.Join(dir, "vendor/modules.txt"), "## explicit; go 1.21\n", "## explicit; go 1.99\n")
			},
			rule: facts.VendorGoVersionTooNew, file: "modules.txt", goRefuse: "requires go >= 1.99",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.CopyFS(dir, os.DirFS(pristine)); err != nil {
				t.Fatal(err)
			}
			tc.corrupt(t, dir)
			v := load(t, dir)
			var got []facts.VendorViolation
			for _, viol := range v.Violations {
				if viol.Rule == tc.rule {
					got = append(got, viol)
				}
			}
			if len(got) != 1 || len(v.Violations) != 1 {
				t.Fatalf("want one %s violation, got %+v", tc.rule, v.Violations)
			}
			if !strings.HasSuffix(got[0].File, tc.file) || got[0].Line <= 0 {
				t.Errorf("violation points at %s:%d, want a line of %s", got[0].File, got[0].Line, tc.file)
			}
			out, err := gotest.TryGo(t, env, dir, "build", "-o", os.DevNull, ".")
			if err == nil || !strings.Contains(out, tc.goRefuse) {
				t.Errorf("go build accepted the tree or said something else (err=%v):\n%s", err, out)
			}
		})
	}
}

// TestCorpus checks real vendored trees that the go command accepts.
func TestCorpus(t *testing.T) {
	root := corpus.Dir(t)
	for _, repo := range []string{"moby", "containerd", "cli"} {
		dir := filepath.Join(root, repo)
		d, name, err := gomod.Locate(dir)
		if err != nil {
			t.Fatalf("corpus repository %s: %v", repo, err)
		}
		m, problems := gomod.Load(context.Background(), d, name)
		if m == nil {
			t.Fatalf("%s: %v", repo, problems)
		}
		v, problems := vendor.Collect(context.Background(), m, toolchain)
		if len(problems) != 0 || len(v.Violations) != 0 {
			t.Errorf("%s: problems %v violations %v", repo, problems, v.Violations)
		}
		if len(v.Modules) < 50 {
			t.Errorf("%s: only %d vendored modules parsed", repo, len(v.Modules))
		}
	}
}

func FuzzParseModulesTxt(f *testing.F) {
	f.Add([]byte("# example.com/a v1.0.0\n## explicit; go 1.21\nexample.com/a\n# example.com/b v1.0.0 => ./b\n"))
	f.Add([]byte("# example.com/a => example.com/c v1.2.0\n## explicit\n"))
	f.Add([]byte("garbage\n# \n## explicit\n# x y z w\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		l := vendor.ParseModulesTxt(data)
		lines := strings.Count(string(data), "\n") + 1
		for _, m := range l.Modules {
			if m.Line < 1 || m.Line > lines {
				t.Fatalf("module %q at line %d of %d", m.Path, m.Line, lines)
			}
		}
		for _, p := range l.Ignored {
			if p.Line < 1 || p.Line > lines {
				t.Fatalf("ignored line %d of %d", p.Line, lines)
			}
		}
	})
}
