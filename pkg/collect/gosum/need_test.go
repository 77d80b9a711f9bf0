package gosum_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gopolicy/gopolicy/internal/gotest"
	"github.com/gopolicy/gopolicy/internal/safeio"
	"github.com/gopolicy/gopolicy/pkg/collect/gomod"
	"github.com/gopolicy/gopolicy/pkg/collect/gosum"
	"github.com/gopolicy/gopolicy/pkg/collect/gosum/sumfile"
	"github.com/gopolicy/gopolicy/pkg/facts"
)

// project writes a module requiring example.com/lib v1.1.0 and
// example.com/other v1.2.0 with files, and a go.sum from the real go
// command (go mod download of both), and returns its directory.
func project(t *testing.T, env map[string]string, files string) string {
	t.Helper()
	dir := t.TempDir()
	gotest.WriteTree(t, dir, "-- go.mod --\nmodule example.com/app\n\ngo 1.22\n\nrequire (\n\texample.com/lib v1.1.0\n\texample.com/other v1.2.0\n)\n"+files)
	gotest.Go(t, env, dir, "mod", "download", "example.com/lib", "example.com/other")
	return dir
}

func dropLines(t *testing.T, dir string, prefixes ...string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, l := range strings.Split(string(data), "\n") {
		drop := false
		for _, p := range prefixes {
			drop = drop || strings.HasPrefix(l, p)
		}
		if !drop {
			kept = append(kept, l)
		}
	}
	writeSum(t, filepath.Join(dir, "go.sum"), strings.Join(kept, "\n"))
}

func need(s *facts.GoSum, module, kind string) string {
	for _, m := range s.Missing {
		if m.Module == module && m.Kind == kind {
			return m.Need
		}
	}
	return "present"
}

// buildOK is whether the go command loads the module graph and the
// packages with their tests (go list -m all; go list -deps -test ./...).
func buildOK(t *testing.T, env map[string]string, dir string) (bool, string) {
	t.Helper()
	if out, err := gotest.TryGo(t, env, dir, "list", "-m", "all"); err != nil {
		return false, out
	}
	out, err := gotest.TryGo(t, env, dir, "list", "-deps", "-test", "./...")
	return err == nil, out
}

// TestNeedAgreesWithGoCommand removes hashes from a real go.sum and checks
// that what gopolicy says the go command needs is what it refuses
// without, and that what gopolicy cannot tell about it does not miss.
func TestNeedAgreesWithGoCommand(t *testing.T) {
	env := gotest.Env(t)
	gotest.Proxy(t, env)
	env["GOFLAGS"] = "-modcacherw -mod=readonly"
	const code = `-- main.go --
package main

import "example.com/lib"

func main() { println(lib.Greeting()) }
-- main_test.go --
package main

import (
	"testing"

	"example.com/other"
)

func TestName(t *testing.T) { _ = other.Name() }
-- ignored.go --
//go:build ignore

package main

import _ "example.com/other"
-- windows_only_windows.go --
package main

import _ "example.com/other"
`
	cases := []struct {
		name, files string
		drop        []string
		want        map[string]string // module kind → need
		goOK        bool
	}{
		{
			name: "imported by the code", files: code, drop: []string{"example.com/lib v1.1.0 h1:"},
			want: map[string]string{"example.com/lib h1": gosum.NeedBuild}, goOK: false,
		},
		{
			name: "imported by a test only", files: code, drop: []string{"example.com/other v1.2.0 h1:"},
			want: map[string]string{"example.com/other h1": gosum.NeedTest}, goOK: false,
		},
		{
			name: "go.mod hash of a requirement", files: code, drop: []string{"example.com/other v1.2.0/go.mod"},
			want: map[string]string{"example.com/other go.mod": gosum.NeedGraph}, goOK: false,
		},
		{
			name: "unused requirement", files: "-- main.go --\npackage main\n\nfunc main() {}\n", drop: []string{"example.com/other v1.2.0 h1:"},
			want: map[string]string{"example.com/other h1": gosum.NeedUnknown}, goOK: true,
		},
		{
			name: "only a file some builds leave out imports it", files: "-- main.go --\npackage main\n\nfunc main() {}\n-- x_windows.go --\npackage main\n\nimport _ \"example.com/other\"\n",
			drop: []string{"example.com/other v1.2.0 h1:"},
			want: map[string]string{"example.com/other h1": gosum.NeedUnknown}, goOK: true,
		},
		{
			name: "h2 lines are not hashes", files: code, drop: nil,
			want: map[string]string{"example.com/lib h1": gosum.NeedBuild, "example.com/lib go.mod": gosum.NeedGraph}, goOK: false,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := project(t, env, c.files)
			dropLines(t, dir, c.drop...)
			if c.drop == nil {
				data, _ := os.ReadFile(filepath.Join(dir, "go.sum"))
				writeSum(t, filepath.Join(dir, "go.sum"), strings.ReplaceAll(string(data), "example.com/lib v1.1.0 h1:", "example.com/lib v1.1.0 h2:")+"example.com/lib v1.1.0/go.mod h2:AAAA\n")
				dropLines(t, dir, "example.com/lib v1.1.0/go.mod h1:")
			}
			s := collect(t, dir)
			for key, want := range c.want {
				mod, kind, _ := strings.Cut(key, " ")
				if got := need(s, mod, kind); got != want {
					t.Errorf("%s: need %s, want %s (missing: %+v)", key, got, want, s.Missing)
				}
			}
			if len(s.Missing) != len(c.want) {
				t.Errorf("missing = %+v", s.Missing)
			}
			ok, out := buildOK(t, env, dir)
			if ok != c.goOK {
				t.Errorf("go command ok=%v, want %v:\n%s", ok, c.goOK, out)
			}
			if !ok && !strings.Contains(out, "missing go.sum entry") {
				t.Errorf("the go command failed for another reason:\n%s", out)
			}
		})
	}
}

// Lines the go command reads without complaint are not malformed: only
// a wrong number of fields is.
func TestOnlyFieldCountIsMalformed(t *testing.T) {
	env := gotest.Env(t)
	gotest.Proxy(t, env)
	dir := gotest.Project(t, env)
	data, err := os.ReadFile(filepath.Join(dir, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	extra := "example.com/zzz v1.0.0 h1:xxx\nnot/a valid!path h2:whatever\r\n\n  \t \nexample.com/old v1.0.0/go.mod " + sumfile.EmptyGoModHash + "\n"
	writeSum(t, filepath.Join(dir, "go.sum"), string(data)+extra)
	s, problems := gosum.Collect(context.Background(), load(t, dir))
	if len(problems) != 0 || len(s.Malformed) != 0 || len(s.Missing) != 0 {
		t.Fatalf("problems=%v malformed=%v missing=%v", problems, s.Malformed, s.Missing)
	}
	for _, e := range s.Entries {
		if e.Module == "example.com/old" {
			t.Errorf("the empty go.mod hash is kept: %+v", e)
		}
	}
	if out, err := gotest.TryGo(t, env, dir, "build", "-o", os.DevNull, "."); err != nil {
		t.Fatalf("go build refused:\n%s", out)
	}
}

func load(t *testing.T, dir string) *gomod.Module {
	t.Helper()
	m, problems := gomod.Load(context.Background(), dir, "go.mod")
	if m == nil {
		t.Fatal(problems)
	}
	return m
}

func TestConflictsAreBetweenH1Hashes(t *testing.T) {
	entries, _, _ := gosum.Parse([]byte("a.example v1.0.0 h1:AAAA\na.example v1.0.0 h2:BBBB\nb.example v1.0.0 h1:AAAA\nb.example v1.0.0 h1:CCCC\n"))
	c := gosum.Conflicts(entries)
	if len(c) != 1 || c[0].Module != "b.example" || len(c[0].Hashes) != 2 {
		t.Fatalf("conflicts = %+v", c)
	}
}

// Malformed lines are listed up to the problems limit, the rest counted.
func TestMalformedLinesAreCapped(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	for i := range 1000 {
		fmt.Fprintf(&b, "bad line %d with five fields\n", i)
	}
	gotest.WriteTree(t, dir, "-- go.mod --\nmodule example.com/app\n\ngo 1.22\n-- go.sum --\n"+b.String())
	ctx := safeio.WithLimits(context.Background(), safeio.Limits{Problems: 10})
	m, _ := gomod.Load(ctx, dir, "go.mod")
	s, problems := gosum.Collect(ctx, m)
	if len(s.Malformed) != 10 || s.MalformedMore != 990 || len(problems) != 11 || !strings.Contains(problems[10].Message, "990 more") {
		t.Fatalf("malformed=%d more=%d problems=%d", len(s.Malformed), s.MalformedMore, len(problems))
	}
}

// A go.sum that is a FIFO or a link to /dev/zero is a problem with its
// path, reported at once.
func TestHostileSumFiles(t *testing.T) {
	for _, kind := range []string{"fifo", "zero"} {
		t.Run(kind, func(t *testing.T) {
			dir := t.TempDir()
			gotest.WriteTree(t, dir, "-- go.mod --\nmodule example.com/app\n\ngo 1.22\n")
			sum := filepath.Join(dir, "go.sum")
			if kind == "fifo" {
				if err := syscall.Mkfifo(sum, 0o644); err != nil {
					t.Skip(err)
				}
			} else if err := os.Symlink("/dev/zero", sum); err != nil {
				t.Fatal(err)
			}
			done := make(chan []facts.Problem)
			go func() {
				_, problems := gosum.Collect(context.Background(), load(t, dir))
				done <- problems
			}()
			select {
			case problems := <-done:
				if len(problems) != 1 || problems[0].Path != sum || !strings.Contains(problems[0].Message, "not a regular file") {
					t.Fatalf("problems = %v", problems)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("reading go.sum blocked")
			}
		})
	}
}
