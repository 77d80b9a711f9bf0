// Package corpus finds the corpus of real repositories that some tests read:
// shared/corpus/repos beside the module root (../shared/corpus/repos from
// the repository). A fresh clone has no corpus, and those tests skip; CI
// has one and sets GOPOLICY_REQUIRE_CORPUS=1, so that a missing corpus
// fails the tests instead of skipping them unnoticed.
package corpus

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/gopolicy/gopolicy/internal/pathutil"
)

// RequireEnv is the environment variable that, set to 1, makes a missing
// corpus a test failure instead of a skip.
const RequireEnv = "GOPOLICY_REQUIRE_CORPUS"

// Required reports whether GOPOLICY_REQUIRE_CORPUS=1 is set.
func Required() bool { return os.Getenv(RequireEnv) == "1" }

var find = sync.OnceValues(func() (string, bool) {
	wd, err := os.Getwd()
	if err != nil {
		return "", false
	}
	gomod := pathutil.FindUp(wd, "go.mod")
	if gomod == "" {
		return "", false
	}
	dir := filepath.Join(filepath.Dir(filepath.Dir(gomod)), "shared", "corpus", "repos")
	fi, err := os.Stat(dir)
	return dir, err == nil && fi.IsDir()
})

// Find returns the absolute path of shared/corpus/repos beside the module
// root (the first directory upward from the working directory with a
// go.mod), and whether that directory exists. The path is "" when no
// module root was found.
func Find() (dir string, ok bool) { return find() }

// Dir returns the corpus directory. Without one the test is skipped with a
// message saying so, or fails when GOPOLICY_REQUIRE_CORPUS=1.
func Dir(tb testing.TB) string {
	tb.Helper()
	dir, ok := Find()
	if !ok {
		if Required() {
			tb.Fatal(missing(dir, ""))
		}
		tb.Skip(missing(dir, "corpus tests skipped"))
	}
	return dir
}

// Optional is Dir for tests that can do without the corpus: it returns
// the corpus directory and true, or "" and false (logging why) so that
// the test can use something else. With GOPOLICY_REQUIRE_CORPUS=1 a
// missing corpus is reported as a failure, and the test goes on.
func Optional(tb testing.TB) (string, bool) {
	tb.Helper()
	dir, ok := Find()
	if !ok {
		if Required() {
			tb.Error(missing(dir, ""))
		} else {
			tb.Log(missing(dir, "running without it"))
		}
		return "", false
	}
	return dir, true
}

// missing explains a missing corpus expected at dir ("" when there was no
// module root to look from); what says what the test does about it.
func missing(dir, what string) string {
	where := "no go.mod above the working directory"
	if dir != "" {
		where = "looked for " + dir
	}
	if Required() {
		return "../shared/corpus not found (" + where + ") and " + RequireEnv + "=1: the corpus tests must run"
	}
	return "../shared/corpus not found (" + where + "): " + what + " (set " + RequireEnv + "=1 to fail instead)"
}
