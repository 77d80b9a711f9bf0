package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeQuickStart runs the README's first quick-start command as a
// user would, under stock Go settings (GOTOOLCHAIN=auto from the user's
// go env file and the shell) and under GOTOOLCHAIN=local, and checks the
// outcome the README promises: denied, with three findings.
func TestReadmeQuickStart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds gopolicy with go run")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	block := regexp.MustCompile("(?s)## Quick start.*?```\n(.*?)```").FindSubmatch(readme)
	if block == nil {
		t.Fatal("README.md has no quick start block")
	}
	command := strings.SplitN(string(block[1]), "\n", 2)[0]
	if !strings.Contains(command, "gopolicy eval") {
		t.Fatalf("the quick start's first command %q does not run gopolicy eval", command)
	}
	for _, toolchain := range []string{"auto", "local"} {
		t.Run("GOTOOLCHAIN="+toolchain, func(t *testing.T) {
			home := t.TempDir()
			goenv := filepath.Join(home, "goenv")
			if err := os.WriteFile(goenv, []byte("GOTOOLCHAIN="+toolchain+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command("sh", "-c", command)
			cmd.Dir = root
			cmd.Env = append(os.Environ(), "GOENV="+goenv, "GOTOOLCHAIN="+toolchain, "GOFLAGS=", "GOPOLICY_CONFIG=", "GOPOLICY_PROFILE=", "NO_COLOR=1")
			out, err := cmd.Output()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 1 {
				t.Fatalf("%s: %v, want exit status 1\n%s", command, err, out)
			}
			denies := regexp.MustCompile(`(?m)^DENY `).FindAll(out, -1)
			if len(denies) != 3 || !strings.Contains(string(out), "\nDENIED: 3 denied") {
				t.Fatalf("%s: %d findings, the README promises three:\n%s", command, len(denies), out)
			}
			if !strings.Contains(string(readme), "denied\n(exit status 1) with three findings") {
				t.Fatal("the README no longer says how many findings the quick start gives; keep this test in step")
			}
		})
	}
}
