package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"gopolicy": func() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs the CLI end to end as users run it: each file in
// testdata/script is a session of commands with expected output and exit
// status.
func TestScripts(t *testing.T) {
	corpus, _ := filepath.Abs(filepath.Join("..", "..", "..", "shared", "corpus", "repos"))
	examples, _ := filepath.Abs(filepath.Join("..", "..", "examples"))
	testscript.Run(t, testscript.Params{
		Dir: filepath.Join("testdata", "script"),
		Setup: func(env *testscript.Env) error {
			// The machine's own Go configuration must not leak in.
			env.Setenv("GOENV", filepath.Join(env.WorkDir, ".goenv"))
			env.Setenv("GOFLAGS", "")
			env.Setenv("GOTOOLCHAIN", "local")
			env.Setenv("GOPROXY", "https://proxy.golang.org,direct")
			env.Setenv("GOSUMDB", "sum.golang.org")
			env.Setenv("CORPUS", corpus)
			env.Setenv("EXAMPLES", examples)
			return os.WriteFile(filepath.Join(env.WorkDir, ".goenv"), nil, 0o644)
		},
	})
}
