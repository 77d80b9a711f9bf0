package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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
	gocache := goEnv("GOCACHE")
	testscript.Run(t, testscript.Params{
		Dir:  filepath.Join("testdata", "script"),
		Cmds: scriptCommands,
		Setup: func(env *testscript.Env) error {
			// The machine's own Go configuration must not leak in.
			env.Setenv("GOENV", filepath.Join(env.WorkDir, ".goenv"))
			env.Setenv("GOFLAGS", "")
			env.Setenv("GOTOOLCHAIN", "local")
			env.Setenv("GOPROXY", "https://proxy.golang.org,direct")
			env.Setenv("GOSUMDB", "sum.golang.org")
			env.Setenv("CORPUS", corpus)
			env.Setenv("EXAMPLES", examples)
			// Scripts that build binaries share the build cache, and keep
			// their module cache to themselves.
			env.Setenv("GOCACHE", gocache)
			env.Setenv("GOPATH", filepath.Join(env.WorkDir, ".gopath"))
			env.Setenv("GOWORK", "off")
			return os.WriteFile(filepath.Join(env.WorkDir, ".goenv"), nil, 0o644)
		},
	})
}

func goEnv(name string) string {
	out, err := exec.Command("go", "env", name).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
