package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/gopolicy/gopolicy/internal/corpus"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"gopolicy": func() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs the CLI end to end as users run it: each file in
// testdata/script is a session of commands with expected output and exit
// status.
//
// Scripts check gopolicy's exit status with `status N gopolicy ...` rather
// than `! exec gopolicy ...`: the status is a public contract (0 allowed,
// 1 denied, 2 usage, input or policy error), and `!` would accept a
// denial where an error was meant, or the reverse.
//
// What a script does with the corpus of real repositories ($CORPUS) comes
// after `[!corpus] skip`: a fresh clone has no ../shared/corpus, and CI
// sets GOPOLICY_REQUIRE_CORPUS=1 to make its absence a failure.
func TestScripts(t *testing.T) {
	corpusDir, haveCorpus := corpus.Optional(t)
	examples, _ := filepath.Abs(filepath.Join("..", "..", "examples"))
	gocache := goEnv("GOCACHE")
	testscript.Run(t, testscript.Params{
		Dir:  filepath.Join("testdata", "script"),
		Cmds: scriptCommands,
		Condition: func(cond string) (bool, error) {
			if cond == "corpus" {
				return haveCorpus, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Setup: func(env *testscript.Env) error {
			// The machine's own Go configuration must not leak in.
			env.Setenv("GOENV", filepath.Join(env.WorkDir, ".goenv"))
			env.Setenv("GOFLAGS", "")
			env.Setenv("GOTOOLCHAIN", "local")
			env.Setenv("GOPROXY", "https://proxy.golang.org,direct")
			env.Setenv("GOSUMDB", "sum.golang.org")
			if haveCorpus {
				env.Setenv("CORPUS", corpusDir)
			}
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
