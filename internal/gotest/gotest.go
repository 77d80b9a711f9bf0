// Package gotest builds real Go projects for tests: a hermetic environment
// (its own GOENV file, module cache and GOFLAGS), a file:// module proxy
// made from txtar module sources, and helpers to run the go command.
package gotest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/txtar"
	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"
)

// Env returns a hermetic environment for the go command: the user's GOENV
// file, GOFLAGS and GOTOOLCHAIN never leak in, and modules come from a
// local file:// proxy so no network is needed.
func Env(t testing.TB) map[string]string {
	t.Helper()
	GoExe(t)
	home := t.TempDir()
	goenv := filepath.Join(home, "goenv")
	if err := os.WriteFile(goenv, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"PATH":        os.Getenv("PATH"),
		"HOME":        home,
		"GOENV":       goenv,
		"GOFLAGS":     "-modcacherw",
		"GOTOOLCHAIN": "local",
		"GOMODCACHE":  filepath.Join(home, "modcache"),
		"GOPATH":      filepath.Join(home, "gopath"),
		"GOPROXY":     "off",
		"GOSUMDB":     "off",
		"GONOSUMDB":   "",
		"GOPRIVATE":   "",
		"GOWORK":      "off",
	}
	// Reusing the build cache keeps tests fast and cannot change results.
	if cache := goEnvValue(t, "GOCACHE"); cache != "" {
		env["GOCACHE"] = cache
	}
	return env
}

var goExe string

// GoExe returns the go command, skipping the test when there is none.
func GoExe(t testing.TB) string {
	t.Helper()
	if goExe == "" {
		p, err := exec.LookPath("go")
		if err != nil {
			t.Skip("no go command on PATH")
		}
		goExe = p
	}
	return goExe
}

func goEnvValue(t testing.TB, name string) string {
	out, err := exec.Command(GoExe(t), "env", name).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// List turns an environment map into KEY=VALUE form.
func List(env map[string]string) []string {
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// Go runs the go command in dir and fails the test on error.
func Go(t testing.TB, env map[string]string, dir string, args ...string) string {
	t.Helper()
	out, err := TryGo(t, env, dir, args...)
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// TryGo runs the go command in dir and returns its combined output.
func TryGo(t testing.TB, env map[string]string, dir string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(GoExe(t), args...)
	cmd.Dir = dir
	cmd.Env = List(env)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err := cmd.Run()
	return buf.String(), err
}

// Proxy builds a file:// module proxy from the txtar module sources in
// this package's testdata/modules (named path_version.txtar with "/"
// written as "!"), and points env at it.
func Proxy(t testing.TB, env map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	_, self, _, _ := runtime.Caller(0)
	srcs, err := filepath.Glob(filepath.Join(filepath.Dir(self), "testdata", "modules", "*.txtar"))
	if err != nil || len(srcs) == 0 {
		t.Fatalf("no module sources: %v", err)
	}
	versions := map[string][]string{}
	for _, src := range srcs {
		base := strings.TrimSuffix(filepath.Base(src), ".txtar")
		i := strings.LastIndex(base, "_")
		mod := module.Version{Path: strings.ReplaceAll(base[:i], "!", "/"), Version: base[i+1:]}
		ar, err := txtar.ParseFile(src)
		if err != nil {
			t.Fatal(err)
		}
		esc, err := module.EscapePath(mod.Path)
		if err != nil {
			t.Fatal(err)
		}
		vdir := filepath.Join(dir, esc, "@v")
		if err := os.MkdirAll(vdir, 0o755); err != nil {
			t.Fatal(err)
		}
		src := t.TempDir()
		var gomod []byte
		for _, f := range ar.Files {
			write(t, filepath.Join(src, f.Name), f.Data)
			if f.Name == "go.mod" {
				gomod = f.Data
			}
		}
		zf, err := os.Create(filepath.Join(vdir, mod.Version+".zip"))
		if err != nil {
			t.Fatal(err)
		}
		if err := modzip.CreateFromDir(zf, mod, src); err != nil {
			t.Fatal(err)
		}
		zf.Close()
		write(t, filepath.Join(vdir, mod.Version+".mod"), gomod)
		write(t, filepath.Join(vdir, mod.Version+".info"), []byte(`{"Version":"`+mod.Version+`","Time":"2024-01-01T00:00:00Z"}`))
		versions[vdir] = append(versions[vdir], mod.Version)
	}
	for vdir, vs := range versions {
		write(t, filepath.Join(vdir, "list"), []byte(strings.Join(vs, "\n")+"\n"))
	}
	env["GOPROXY"] = "file://" + filepath.ToSlash(dir)
	return dir
}

// WriteTree writes a txtar archive's files under dir.
func WriteTree(t testing.TB, dir string, archive string) {
	t.Helper()
	for _, f := range txtar.Parse([]byte(archive)).Files {
		write(t, filepath.Join(dir, f.Name), f.Data)
	}
}

func write(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// App is a small module that depends on the proxy's modules.
const App = `-- go.mod --
module example.com/app

go 1.22

require (
	example.com/lib v1.1.0
	example.com/other v1.2.0
)
-- main.go --
package main

import (
	"fmt"

	"example.com/lib"
	"example.com/other"
)

var version = "dev"

func main() { fmt.Println(lib.Greeting(), other.Name(), version) }
`

// Project writes App into a new directory, with a go.sum made by the real
// `go mod tidy` against the local proxy, and returns the directory.
func Project(t testing.TB, env map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	WriteTree(t, dir, App)
	Go(t, env, dir, "mod", "tidy")
	return dir
}

// Stamped is a program with a version variable for -X, a constant, and a
// cgo file that links the C library when cgo is on.
const Stamped = `-- go.mod --
module example.com/stamped

go 1.22
-- main.go --
package main

import (
	"fmt"
	"net"
)

var version = "dev"

const constant = "fixed"

func main() {
	_, err := net.LookupHost("localhost")
	fmt.Println(version, constant, err)
}
-- cgo.go --
//go:build cgo

package main

// #include <stdlib.h>
import "C"

func init() { C.free(C.malloc(1)) }
`

// Build runs go build in dir with extra environment and flags, writing
// the binary to out.
func Build(t testing.TB, env map[string]string, dir, out string, extraEnv map[string]string, flags ...string) string {
	t.Helper()
	e := make(map[string]string, len(env)+len(extraEnv))
	for k, v := range env {
		e[k] = v
	}
	for k, v := range extraEnv {
		e[k] = v
	}
	args := append([]string{"build", "-o", out}, flags...)
	Go(t, e, dir, append(args, ".")...)
	return out
}

// Within fails the test if f does not return within d: no hostile input
// may make collection hang or stream forever.
func Within[T any](t testing.TB, d time.Duration, f func() T) T {
	t.Helper()
	done := make(chan T, 1)
	go func() { done <- f() }()
	select {
	case v := <-done:
		return v
	case <-time.After(d):
		t.Fatalf("did not finish in %v", d)
		panic("unreachable")
	}
}
