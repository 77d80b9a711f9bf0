package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/gopolicy/gopolicy/internal/gotest"
)

// BenchmarkColdEval is what a CI step pays: a new gopolicy process that
// loads and compiles the built-in bundle, collects a small module and
// judges it.
func BenchmarkColdEval(b *testing.B) {
	exe := filepath.Join(b.TempDir(), "gopolicy")
	// The module cache of this build, but none of the user's go env.
	build := exec.Command(gotest.GoExe(b), "build", "-o", exe, ".")
	build.Env = append(os.Environ(), "GOENV=off", "GOFLAGS=", "GOTOOLCHAIN=local")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	env := gotest.Env(b)
	dir, err := filepath.Abs(filepath.Join("..", "..", "examples", "tidy-module"))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		cmd := exec.Command(exe, "eval", "--dir", dir, "--no-go-command")
		cmd.Env = append(gotest.List(env), "GOPOLICY_CONFIG=")
		if err := cmd.Run(); err != nil {
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() == 2 {
				b.Fatalf("gopolicy eval: %v", err)
			}
		}
	}
}
