package gocompat

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// Base is the hermetic part of every scenario's environment.
type Base struct {
	// GoExe is the go command.
	GoExe string
	// Proxy is the file:// module proxy directory (see BuildProxy).
	Proxy string
	// GOCACHE is the build cache, shared: it cannot change results.
	GOCACHE string
}

// notPassed are the variables a script may set that the harness keeps
// its own: the module proxy, checksum database, GOPATH and caches, so
// that scenarios are hermetic and offline. (GOPROXY=off and GOSUMDB=off
// are passed: they only take things away.)
var notPassed = map[string]bool{
	"HOME": true, "PATH": true, "GOPATH": true, "GOCACHE": true, "GOMODCACHE": true, "GOROOT": true,
	"TMPDIR": true, "GOPROXY": true, "GOSUMDB": true, "GOENV": true,
}

// Write writes a scenario's files under work and returns the directory
// the go command runs in.
func (sc Scenario) Write(work string) (string, error) {
	for name, data := range sc.Files {
		p := filepath.Join(work, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return "", err
		}
	}
	dir := filepath.Join(work, filepath.FromSlash(sc.Dir))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	return dir, nil
}

// Env is the environment a scenario runs with: hermetic (its own HOME,
// GOENV file, GOPATH and module cache; GOFLAGS cleared; GOTOOLCHAIN=local;
// modules from the file:// proxy; no checksum database), plus what the
// script set. $WORK in a value is the scenario's directory.
func (b Base) Env(sc Scenario, work string) (map[string]string, error) {
	goenv := filepath.Join(work, ".goenv")
	if err := os.WriteFile(goenv, nil, 0o644); err != nil {
		return nil, err
	}
	env := map[string]string{
		"PATH":        filepath.Dir(b.GoExe) + string(os.PathListSeparator) + "/usr/bin" + string(os.PathListSeparator) + "/bin",
		"HOME":        filepath.Join(work, "home"),
		"GOENV":       goenv,
		"GOPATH":      filepath.Join(work, "gopath"),
		"GOMODCACHE":  filepath.Join(work, "modcache"),
		"GOCACHE":     b.GOCACHE,
		"GOFLAGS":     "",
		"GOTOOLCHAIN": "local",
		"GOPROXY":     "file://" + filepath.ToSlash(b.Proxy),
		"GOSUMDB":     "off",
		"GONOSUMDB":   "",
		"GONOPROXY":   "",
		"GOPRIVATE":   "",
		"GOTELEMETRY": "off",
		"TMPDIR":      os.TempDir(),
	}
	for k, v := range sc.Env {
		if notPassed[k] {
			if k == "GOPROXY" && v == "off" || k == "GOSUMDB" && v == "off" {
				env[k] = v
			}
			continue
		}
		env[k] = strings.ReplaceAll(v, "$WORK", work)
	}
	return env, nil
}

// Command is one go command run on a scenario.
type Command struct {
	Args   []string
	OK     bool
	Output string
}

// GoResult is what the go command said about a scenario.
type GoResult struct {
	Commands []Command
	// OK is true when every command succeeded (a module graph that
	// cannot be listed in vendor mode is not a failure).
	OK bool
	// Class names why it failed (see classify); "" when OK.
	Class string
	// Message is the first line that shows the class.
	Message string
}

// Integrity reports whether the failure is one gopolicy re-judges: a
// module-integrity or configuration refusal, not a compile error or a
// module the proxy lacks.
func (r GoResult) Integrity() bool { return integrityClasses[r.Class] }

// Commands runs on a scenario: the module graph (every go.mod the build
// reads, and its go.sum lines), and the packages of the main module and
// their tests with all their dependencies (every zip go build and go test
// extract), which is what they load without compiling. At a workspace
// root outside any module the packages are the workspace's ("all"). -e=false
// overrides a -e in the scenario's GOFLAGS, which would hide errors; the
// scenario's -mod stays in force.
func (sc Scenario) Commands() [][]string {
	pattern := "./..."
	if !sc.inModule() && sc.has("go.work") {
		pattern = "all"
	}
	list := []string{"list", "-e=false", "-deps", "-test", pattern}
	if sc.Env["GO111MODULE"] == "off" {
		return [][]string{list}
	}
	return [][]string{{"list", "-e=false", "-m", "all"}, list}
}

// inModule reports a go.mod (or vendor.mod) at or above the directory.
func (sc Scenario) inModule() bool { return sc.has("go.mod") || sc.has("vendor.mod") }

// has reports a file called name at or above the scenario's directory.
func (sc Scenario) has(name string) bool {
	for d := sc.Dir; ; d = path.Dir(d) {
		if _, ok := sc.Files[path.Join(d, name)]; ok {
			return true
		}
		if d == "." || d == "/" || d == "" {
			return false
		}
	}
}

// RunGo runs the go command on a scenario in dir with env.
func (b Base) RunGo(ctx context.Context, sc Scenario, dir string, env map[string]string) GoResult {
	var res GoResult
	res.OK = true
	for _, args := range sc.Commands() {
		ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		cmd := exec.CommandContext(ctx, b.GoExe, args...)
		cmd.Dir = dir
		cmd.Env = envList(env)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		cancel()
		c := Command{Args: args, OK: err == nil, Output: out.String()}
		res.Commands = append(res.Commands, c)
		if c.OK || vendorAll.MatchString(c.Output) {
			continue
		}
		if res.OK {
			res.OK = false
			res.Class, res.Message = classify(c.Output)
		} else if cl, msg := classify(c.Output); !integrityClasses[res.Class] && integrityClasses[cl] {
			res.Class, res.Message = cl, msg
		}
	}
	return res
}

func envList(env map[string]string) []string {
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

// vendorAll is the go command declining to list the module graph in
// vendor mode: not a failure of the build.
var vendorAll = regexp.MustCompile(`can't compute 'all' using the vendor directory`)

// Failure classes. The integrity ones are refusals gopolicy re-judges.
var classes = []struct {
	class string
	re    *regexp.Regexp
}{
	{"invalid-goflags", regexp.MustCompile(`parsing \$GOFLAGS|\(from \$GOFLAGS\)`)},
	{"invalid-gotoolchain", regexp.MustCompile(`invalid GOTOOLCHAIN|invalid toolchain|toolchain not available|cannot find "go1|invalid minimum toolchain`)},
	{"go-too-new", regexp.MustCompile(`requires go >= |go\.mod requires go|go\.work requires go`)},
	{"workspace-mod-flag", regexp.MustCompile(`-mod may only be set to readonly or vendor when in workspace mode`)},
	{"malformed-sum", regexp.MustCompile(`malformed go\.sum`)},
	{"checksum-mismatch", regexp.MustCompile(`checksum mismatch|SECURITY ERROR`)},
	{"inconsistent-vendoring", regexp.MustCompile(`inconsistent vendoring|vendor/modules\.txt requires go`)},
	{"missing-sum", regexp.MustCompile(`missing go\.sum entry`)},
	{"gomod-parse", regexp.MustCompile(`errors parsing go\.(mod|work)|go\.(mod|work):\d+(:\d+)?: |parsing go\.(mod|work)`)},
	{"gomod-untidy", regexp.MustCompile(`updates to go\.mod needed|go: updates to go\.sum needed`)},
	{"no-module", regexp.MustCompile(`go\.mod file not found|cannot find main module|no modules were found in the current workspace|not one of the workspace modules|outside main module|directory prefix \. does not contain`)},
	{"module-unavailable", regexp.MustCompile(`not found: |unknown revision|no matching versions|reading .*: 404|module lookup disabled|file does not exist|no required module provides package|cannot find module providing package|is not in std|does not contain package|replacement directory .* does not exist`)},
}

var integrityClasses = map[string]bool{
	"invalid-goflags": true, "invalid-gotoolchain": true, "go-too-new": true, "workspace-mod-flag": true,
	"malformed-sum": true, "checksum-mismatch": true, "inconsistent-vendoring": true, "missing-sum": true,
	"gomod-parse": true,
}

func classify(out string) (string, string) {
	for _, c := range classes {
		if loc := c.re.FindStringIndex(out); loc != nil {
			return c.class, lineAt(out, loc[0])
		}
	}
	return "other", firstLine(out)
}

func lineAt(s string, i int) string {
	start := strings.LastIndexByte(s[:i], '\n') + 1
	end := strings.IndexByte(s[i:], '\n')
	if end < 0 {
		return s[start:]
	}
	return s[start : i+end]
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// RemoveAll removes a scenario's directory, module cache included (the
// go command writes it read-only).
func RemoveAll(dir string) error {
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			os.Chmod(p, 0o755)
		}
		return nil
	})
	return os.RemoveAll(dir)
}
