package gomod_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gopolicy/gopolicy/internal/gotest"
	"github.com/gopolicy/gopolicy/pkg/collect/gomod"
)

const app = `-- go.mod --
module example.com/app

go GOVERSION

require example.com/lib v1.1.0
-- main.go --
package main

import "example.com/lib"

func main() { println(lib.Greeting()) }
`

// goMode is the mode the go command uses in dir: vendor when it loads
// example.com/lib from a vendor directory.
func goMode(t *testing.T, env map[string]string, dir string) string {
	t.Helper()
	out, err := gotest.TryGo(t, env, dir, "list", "-f", "{{.Dir}}", "example.com/lib")
	if err != nil && strings.Contains(out, "so vendor directory was not used") {
		return "readonly" // and the go command says why
	}
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	if strings.Contains(out, string(filepath.Separator)+"vendor"+string(filepath.Separator)) {
		return "vendor"
	}
	return "readonly"
}

// TestModuleModeAgreesWithGoCommand builds the layouts that decide the
// go command's default mode and checks gowork's module_mode says what the
// go command does.
func TestModuleModeAgreesWithGoCommand(t *testing.T) {
	env := gotest.Env(t)
	gotest.Proxy(t, env)
	env["GOFLAGS"] = "-modcacherw"
	mk := func(t *testing.T, goVersion string, vendor bool) string {
		dir := t.TempDir()
		gotest.WriteTree(t, dir, strings.Replace(app, "GOVERSION", "1.22", 1))
		gotest.Go(t, env, dir, "mod", "tidy")
		if vendor {
			gotest.Go(t, env, dir, "mod", "vendor")
		}
		data, _ := os.ReadFile(filepath.Join(dir, "go.mod"))
		os.WriteFile(filepath.Join(dir, "go.mod"), []byte(strings.Replace(string(data), "go 1.22", "go "+goVersion, 1)), 0o644)
		return dir
	}
	cases := []struct {
		name      string
		setup     func(t *testing.T) (dir, gowork string)
		want      string
		workspace bool
	}{
		{"no vendor directory", func(t *testing.T) (string, string) { return mk(t, "1.22", false), "off" }, "readonly", false},
		{"vendored go 1.19 module", func(t *testing.T) (string, string) { return mk(t, "1.19", true), "off" }, "vendor", false},
		{"vendored go 1.13 module", func(t *testing.T) (string, string) { return mk(t, "1.13", true), "off" }, "readonly", false},
		{"workspace modules.txt outside the workspace", func(t *testing.T) (string, string) {
			dir := mk(t, "1.22", true)
			data, _ := os.ReadFile(filepath.Join(dir, "vendor", "modules.txt"))
			os.WriteFile(filepath.Join(dir, "vendor", "modules.txt"), append([]byte("## workspace\n"), data...), 0o644)
			return dir, "off"
		}, "readonly", false},
		{"workspace without vendor", func(t *testing.T) (string, string) {
			dir := mk(t, "1.22", false)
			gotest.WriteTree(t, dir, "-- go.work --\ngo 1.22\n\nuse .\n")
			return dir, ""
		}, "readonly", true},
		{"module vendor directory in a workspace", func(t *testing.T) (string, string) {
			dir := mk(t, "1.22", true)
			gotest.WriteTree(t, dir, "-- go.work --\ngo 1.22\n\nuse .\n")
			return dir, "auto"
		}, "readonly", true},
		{"go work vendor", func(t *testing.T) (string, string) {
			dir := mk(t, "1.22", false)
			gotest.WriteTree(t, dir, "-- go.work --\ngo 1.22\n\nuse .\n")
			e := map[string]string{}
			for k, v := range env {
				e[k] = v
			}
			delete(e, "GOWORK")
			gotest.Go(t, e, dir, "work", "vendor")
			return dir, ""
		}, "vendor", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir, gowork := c.setup(t)
			w, problems := gomod.LoadWork(context.Background(), dir, gowork)
			if len(problems) != 0 {
				t.Fatal(problems)
			}
			mm := w.ModuleMode
			if mm.Default != c.want || mm.Workspace != c.workspace {
				t.Errorf("module mode %+v, want %s (workspace %v)", mm, c.want, c.workspace)
			}
			e := map[string]string{}
			for k, v := range env {
				e[k] = v
			}
			if gowork == "" {
				delete(e, "GOWORK")
			} else {
				e["GOWORK"] = gowork
			}
			if got := goMode(t, e, dir); got != c.want {
				t.Errorf("the go command uses %s (%s)", got, mm.Reason)
			}
			if c.want == "vendor" && c.workspace && (w.Vendor == nil || len(w.Vendor.Violations) != 0 || !w.Vendor.Workspace) {
				t.Errorf("workspace vendor = %+v", w.Vendor)
			}
		})
	}
}

// TestWorkspaceVendorRules breaks go work vendor's output and checks
// both gopolicy and the go command refuse it.
func TestWorkspaceVendorRules(t *testing.T) {
	env := gotest.Env(t)
	gotest.Proxy(t, env)
	delete(env, "GOWORK")
	dir := t.TempDir()
	gotest.WriteTree(t, dir, strings.Replace(app, "GOVERSION", "1.22", 1)+"-- go.work --\ngo 1.22\n\nuse .\n")
	gotest.Go(t, env, dir, "mod", "tidy")
	gotest.Go(t, env, dir, "work", "vendor")
	data, err := os.ReadFile(filepath.Join(dir, "vendor", "modules.txt"))
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(string(data), "## explicit", "## ", 1)
	if err := os.WriteFile(filepath.Join(dir, "vendor", "modules.txt"), []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	w, problems := gomod.LoadWork(context.Background(), dir, "")
	if len(problems) != 0 || w.Vendor == nil || len(w.Vendor.Violations) != 1 || w.Vendor.Violations[0].Rule != "required-not-explicit" {
		t.Fatalf("problems=%v vendor=%+v", problems, w.Vendor)
	}
	if out, err := gotest.TryGo(t, env, dir, "list", "./..."); err == nil || !strings.Contains(out, "inconsistent vendoring") {
		t.Fatalf("the go command accepts it: %v\n%s", err, out)
	}
}

// TestWorkspaceSums compares go.work.sum and every module's go.sum.
func TestWorkspaceSums(t *testing.T) {
	dir := t.TempDir()
	gotest.WriteTree(t, dir, `-- go.work --
go 1.22

use (
	./a
	./b
	./a/
)
-- go.work.sum --
rsc.io/sampler v1.3.0 h1:HLGR/BgEtI3r0uymSP/nl2uPLsUnNJX8toRyhfpBTII=
-- a/go.mod --
module example.com/a

go 1.22

require rsc.io/quote v1.5.2
-- a/go.sum --
rsc.io/sampler v1.3.0/go.mod h1:U1hPZKmBbMNahiBKFy5HrXp6adAjACjK9JXDnKaTXpA=
-- b/go.mod --
module example.com/b

go 1.21
-- b/go.sum --
rsc.io/sampler v1.3.0/go.mod h1:T1hPZKmBbMNahiBKFy5HrXp6adAjACjK9JXDnKaTXpA=
rsc.io/sampler v1.3.0 h2:other
`)
	w, problems := gomod.LoadWork(context.Background(), dir, "")
	if len(problems) != 1 || !strings.Contains(problems[0].Message, "appears multiple times in workspace") || problems[0].Line != 6 {
		t.Errorf("problems = %v", problems)
	}
	if len(w.Sums.Files) != 4 || len(w.Sums.Conflicts) != 1 {
		t.Fatalf("sums = %+v", w.Sums)
	}
	c := w.Sums.Conflicts[0]
	if !c.GoMod || c.Hashes[0].File != filepath.Join(dir, "a", "go.sum") || c.Hashes[1].File != filepath.Join(dir, "b", "go.sum") {
		t.Errorf("conflict = %+v", c)
	}
	if w.Use[0].GoVersion != "1.22" || w.Use[0].Requires != 1 || w.Use[1].GoVersion != "1.21" {
		t.Errorf("use = %+v", w.Use)
	}
}

func TestGOWORK(t *testing.T) {
	dir := t.TempDir()
	gotest.WriteTree(t, dir, "-- go.work --\ngo 1.22\n-- sub/x --\n")
	for gowork, found := range map[string]bool{"": true, "auto": true, "off": false, filepath.Join(dir, "go.work"): true} {
		w, problems := gomod.LoadWork(context.Background(), filepath.Join(dir, "sub"), gowork)
		if len(problems) != 0 || w.Found != found || w.ModuleMode.Workspace != found {
			t.Errorf("GOWORK=%q: found=%v mode=%+v problems=%v", gowork, w.Found, w.ModuleMode, problems)
		}
	}
	if _, problems := gomod.LoadWork(context.Background(), dir, "rel/go.work"); len(problems) != 1 || !strings.Contains(problems[0].Message, "not an absolute path") {
		t.Errorf("relative GOWORK: %v", problems)
	}
}
