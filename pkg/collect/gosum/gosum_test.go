package gosum_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gopolicy/gopolicy/internal/corpus"
	"github.com/gopolicy/gopolicy/internal/gotest"
	"github.com/gopolicy/gopolicy/pkg/collect/gomod"
	"github.com/gopolicy/gopolicy/pkg/collect/gosum"
	"github.com/gopolicy/gopolicy/pkg/facts"
)

func collect(t *testing.T, dir string) *facts.GoSum {
	t.Helper()
	m, problems := gomod.Load(context.Background(), dir, "go.mod")
	if m == nil {
		t.Fatal(problems)
	}
	s, _ := gosum.Collect(context.Background(), m)
	if s == nil {
		t.Fatal("no go.sum facts")
	}
	return s
}

func TestRealGoSum(t *testing.T) {
	env := gotest.Env(t)
	gotest.Proxy(t, env)
	dir := gotest.Project(t, env)
	sumPath := filepath.Join(dir, "go.sum")
	data, err := os.ReadFile(sumPath)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("tidy go.sum is complete", func(t *testing.T) {
		s := collect(t, dir)
		if len(s.Missing)+len(s.Malformed)+len(s.Conflicts) != 0 || len(s.Entries) < 4 {
			t.Fatalf("entries=%d missing=%v malformed=%v conflicts=%v", len(s.Entries), s.Missing, s.Malformed, s.Conflicts)
		}
	})

	t.Run("missing zip hash", func(t *testing.T) {
		var kept []string
		for _, l := range strings.Split(string(data), "\n") {
			if !strings.HasPrefix(l, "example.com/other v1.2.0 h1:") {
				kept = append(kept, l)
			}
		}
		writeSum(t, sumPath, strings.Join(kept, "\n"))
		s := collect(t, dir)
		if len(s.Missing) != 1 || s.Missing[0].Module != "example.com/other" || s.Missing[0].Kind != "h1" || s.Missing[0].RequireLine != 7 {
			t.Fatalf("missing = %+v", s.Missing)
		}
		// The go command agrees that the build cannot proceed offline.
		if out, err := gotest.TryGo(t, env, dir, "build", "-mod=readonly", "-o", os.DevNull, "."); err == nil {
			t.Errorf("go build succeeded without the hash:\n%s", out)
		}
	})

	t.Run("malformed line and conflicting hash", func(t *testing.T) {
		first := strings.SplitN(string(data), "\n", 2)[0]
		f := strings.Fields(first)
		conflict := f[0] + " " + f[1] + " h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
		writeSum(t, sumPath, string(data)+"not a valid line\n"+conflict+"\n")
		s := collect(t, dir)
		lines := strings.Count(string(data), "\n")
		if len(s.Malformed) != 1 || s.Malformed[0].Line != lines+1 {
			t.Fatalf("malformed = %+v, want line %d", s.Malformed, lines+1)
		}
		if len(s.Conflicts) != 1 || len(s.Conflicts[0].Hashes) != 2 || s.Conflicts[0].Hashes[1].Line != lines+2 {
			t.Fatalf("conflicts = %+v", s.Conflicts)
		}
	})
}

func writeSum(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLocalReplacementsNeedNoSums(t *testing.T) {
	dir := t.TempDir()
	gotest.WriteTree(t, dir, `-- go.mod --
module example.com/app

go 1.22

require (
	example.com/local v0.0.0
	example.com/moved v1.0.0
)

replace example.com/local => ../local

replace example.com/moved => example.com/fork v1.0.1
`)
	s := collect(t, dir)
	if s.Found {
		t.Fatal("found a go.sum that does not exist")
	}
	if len(s.Missing) != 2 || s.Missing[0].Module != "example.com/fork" || s.Missing[0].RequireLine != 12 {
		t.Fatalf("missing = %+v; want only the replacement example.com/fork", s.Missing)
	}
}

func TestCorpus(t *testing.T) {
	root := corpus.Dir(t)
	for _, repo := range []string{"prometheus", "terraform", "containerd", "moby", "etcd", "tools/gopls", "cli"} {
		d, name, err := gomod.Locate(filepath.Join(root, repo))
		if err != nil {
			t.Fatalf("corpus repository %s: %v", repo, err)
		}
		m, problems := gomod.Load(context.Background(), d, name)
		if m == nil {
			t.Fatalf("%s: %v", repo, problems)
		}
		s, problems := gosum.Collect(context.Background(), m)
		if len(problems)+len(s.Missing)+len(s.Conflicts) != 0 {
			t.Errorf("%s: problems=%v missing=%v conflicts=%v", repo, problems, s.Missing, s.Conflicts)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("example.com/a v1.0.0 h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\nexample.com/a v1.0.0/go.mod h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"))
	f.Add([]byte("bad\n\n  \r\nexample.com/a v1 h1:x\n"))
	f.Add([]byte("gopkg.in/yaml.v3 v3.0.1 h1:fxVm/GzAzEWqLHuvctI91KS9hhNmmWOoWu0XTYJS7CA=\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, malformed, lines := gosum.Parse(data)
		if len(entries)+len(malformed) > lines {
			t.Fatalf("%d entries and %d malformed from %d lines", len(entries), len(malformed), lines)
		}
		for _, e := range entries {
			if e.Line < 1 || e.Line > lines || e.Module == "" || e.Hash == "" || strings.ContainsAny(e.Module+e.Version+e.Hash, " \t\n") {
				t.Fatalf("bad entry %+v", e)
			}
		}
		for _, c := range gosum.Conflicts(entries) {
			if len(c.Hashes) < 2 {
				t.Fatalf("conflict %+v", c)
			}
			for _, h := range c.Hashes {
				if !strings.HasPrefix(h.Hash, "h1:") {
					t.Fatalf("conflict over a non-h1 hash: %+v", c)
				}
			}
		}
	})
}
