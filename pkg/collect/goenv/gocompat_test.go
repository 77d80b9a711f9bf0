package goenv_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gopolicy/gopolicy/internal/gotest"
	"github.com/gopolicy/gopolicy/pkg/collect/goenv"
	"github.com/gopolicy/gopolicy/pkg/facts"
)

// hermetic is an environment for the go command with nothing of the
// machine's configuration: its own empty GOENV file and caches.
func hermetic(t *testing.T) map[string]string {
	t.Helper()
	env := gotest.Env(t)
	env["GOFLAGS"] = ""
	env["GOWORK"] = ""
	return env
}

func refused(flags []facts.GoFlag) string {
	for _, f := range flags {
		if f.Error != "" {
			return f.Error
		}
	}
	return ""
}

// TestGOFLAGSAgainstGoCommand checks that an entry is marked refused
// exactly when go build refuses to run with it, and that the effective
// -mod is the last one.
func TestGOFLAGSAgainstGoCommand(t *testing.T) {
	env := hermetic(t)
	dir := t.TempDir()
	gotest.WriteTree(t, dir, "-- go.mod --\nmodule example.com/m\n\ngo 1.22\n-- main.go --\npackage main\n\nfunc main() {}\n")
	cases := []struct {
		goflags string
		mod     string // effective -mod, "" for none
	}{
		{goflags: ""},
		{goflags: "-mod=mod -mod=readonly", mod: "readonly"},
		{goflags: "-mod=readonly --mod=mod", mod: "mod"},
		{goflags: "-trimpath '-ldflags=-s -w'"},
		{goflags: "-"},
		{goflags: "--"},
		{goflags: "-typoflag"},
		{goflags: "---mod=mod"},
		{goflags: "-=mod"},
		{goflags: "mod=mod"},
		{goflags: "-mod"},
		{goflags: "-mod=bogus", mod: "bogus"},
		{goflags: "-trimpath=zzz"},
		{goflags: "-trimpath=false"},
		{goflags: "-buildvcs=auto"},
		{goflags: "-p=x"},
		{goflags: "-p=4"},
		{goflags: "-C=dir"},
		{goflags: "-tags"},
		{goflags: "'-unterminated"},
		// go list's flags: go build ignores them.
		{goflags: "-f"},
		{goflags: "-e=asdf"},
	}
	for _, c := range cases {
		t.Run(c.goflags, func(t *testing.T) {
			flags := goenv.ParseGOFLAGS(c.goflags)
			why := refused(flags)
			e := map[string]string{}
			for k, v := range env {
				e[k] = v
			}
			e["GOFLAGS"] = c.goflags
			out, err := gotest.TryGo(t, e, dir, "build", "-n", "-o", os.DevNull, ".")
			if (err != nil) != (why != "") {
				t.Errorf("gopolicy says refused=%q; go build: err=%v\n%s", why, err, out)
			}
			m := goenv.ModFlagOf(flags)
			switch {
			case c.mod == "" && m != nil:
				t.Errorf("-mod = %+v, want none", m)
			case c.mod != "" && (m == nil || m.Value != c.mod || flags[m.Index].Value != c.mod):
				t.Errorf("-mod = %+v, want %s", m, c.mod)
			}
		})
	}
}

// TestGOTOOLCHAINAgainstGoCommand checks the values the go command
// refuses before running anything, and the parse of the ones it takes.
func TestGOTOOLCHAINAgainstGoCommand(t *testing.T) {
	env := hermetic(t)
	env["GOPROXY"] = "file://" + filepath.ToSlash(t.TempDir()) // no toolchains to download
	dir := t.TempDir()
	cases := []struct {
		value, mode, name, version string
		refused                    bool
	}{
		{value: "local", mode: "local"},
		{value: "auto", mode: "auto"},
		{value: "path", mode: "path"},
		{value: "local+auto", mode: "auto"},
		{value: "asdf", refused: true},
		{value: "go1.22+foo", refused: true},
		{value: "local+foo", refused: true},
		{value: "bash", refused: true},
		{value: "go1/2", refused: true},
		{value: "go1.21", mode: "pinned", name: "go1.21", version: "1.21", refused: true},
		{value: "go1.99.1-bigcorp", mode: "pinned", name: "go1.99.1-bigcorp", version: "1.99.1"},
		{value: "go1.22rc1+path", mode: "path", name: "go1.22rc1", version: "1.22rc1"},
	}
	for _, c := range cases {
		t.Run(c.value, func(t *testing.T) {
			tc := goenv.ParseGOTOOLCHAIN(c.value)
			if (tc.Error != "") != c.refused || !c.refused && (tc.Mode != c.mode || tc.Name != c.name || tc.Version != c.version) {
				t.Errorf("ParseGOTOOLCHAIN(%q) = %+v", c.value, tc)
			}
			e := map[string]string{}
			for k, v := range env {
				e[k] = v
			}
			e["GOTOOLCHAIN"] = c.value
			out, _ := gotest.TryGo(t, e, dir, "version")
			goRefuses := strings.Contains(out, "invalid GOTOOLCHAIN") || strings.Contains(out, "invalid toolchain") || strings.Contains(out, "invalid minimum toolchain")
			if goRefuses != c.refused {
				t.Errorf("go version with GOTOOLCHAIN=%s said:\n%s", c.value, out)
			}
		})
	}
}

// A toolchain on PATH is run from there, even one named by a language
// version.
func TestLanguageVersionOnPath(t *testing.T) {
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "go1.21"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	r := goenv.Resolve(context.Background(), goenv.Input{Env: map[string]string{"GOENV": "off", "PATH": bin, "GOTOOLCHAIN": "go1.21"}})
	if tc := r.Env.Toolchain; tc.Error != "" || tc.OnPath != filepath.Join(bin, "go1.21") {
		t.Fatalf("toolchain = %+v", tc)
	}
}

// `go env -w GOPROXY=` writes an empty value that hides $GOROOT/go.env's,
// and a relative XDG_CONFIG_HOME means no user file: both as go env says.
func TestEmptyFileValueAndNoUserFile(t *testing.T) {
	gotest.GoExe(t)
	t.Run("empty value in the GOENV file", func(t *testing.T) {
		env := hermetic(t)
		if err := os.WriteFile(env["GOENV"], []byte("GOPROXY=\nGONOSUMDB=\nGOPRIVATE=corp.example\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		delete(env, "GOPROXY")
		delete(env, "GONOSUMDB")
		delete(env, "GOPRIVATE")
		r := goenv.Resolve(context.Background(), goenv.Input{Env: env})
		v := r.Env.Vars["GOPROXY"]
		if v.Value != "" || v.Source != facts.SourceGoEnv || !strings.Contains(v.Origin, `overrides "https://proxy.golang.org,direct" from GOROOT go.env`) {
			t.Errorf("GOPROXY = %+v", v)
		}
		if v := r.Env.Vars["GONOSUMDB"]; v.Value != "corp.example" || v.DefaultFrom != "GOPRIVATE" {
			t.Errorf("GONOSUMDB = %+v", v)
		}
		goenv.CompareWithGoCommand(context.Background(), r, env, t.TempDir())
		if len(r.Env.GoCommand.Disagreements) != 0 || r.Env.GoCommand.Values["GOPROXY"] != "" {
			t.Errorf("go env disagrees: %+v", r.Env.GoCommand)
		}
	})
	t.Run("relative XDG_CONFIG_HOME", func(t *testing.T) {
		env := hermetic(t)
		delete(env, "GOENV")
		env["XDG_CONFIG_HOME"] = "relative/config"
		r := goenv.Resolve(context.Background(), goenv.Input{Env: env})
		if len(r.Problems) != 0 || r.Env.GOENVFile != "" || !strings.Contains(r.Env.GOENVFileError, "relative") || r.Env.Vars["GOENV"].Value != "" {
			t.Fatalf("problems=%v file=%q error=%q GOENV=%+v", r.Problems, r.Env.GOENVFile, r.Env.GOENVFileError, r.Env.Vars["GOENV"])
		}
		goenv.CompareWithGoCommand(context.Background(), r, env, t.TempDir())
		if !r.Env.GoCommand.Ran || len(r.Env.GoCommand.Disagreements) != 0 {
			t.Errorf("go env: %+v", r.Env.GoCommand)
		}
	})
}

// A go.work the go command finds is what go env reports as GOWORK: not a
// disagreement with an unset GOWORK.
func TestDiscoveredGOWORKIsNoDisagreement(t *testing.T) {
	env := hermetic(t)
	delete(env, "GOWORK")
	dir := t.TempDir()
	gotest.WriteTree(t, dir, "-- go.work --\ngo 1.22\n\nuse .\n-- go.mod --\nmodule example.com/m\n\ngo 1.22\n")
	r := goenv.Resolve(context.Background(), goenv.Input{Env: env})
	goenv.CompareWithGoCommand(context.Background(), r, env, dir)
	if len(r.Env.GoCommand.Disagreements) != 0 || r.Env.GoCommand.Values["GOWORK"] != filepath.Join(dir, "go.work") {
		t.Fatalf("go env: %+v", r.Env.GoCommand)
	}
}

// Credentials in proxy URLs and GOFLAGS never reach the facts, in any of
// the places a value is recorded.
func TestSecretsAreRedacted(t *testing.T) {
	gotest.GoExe(t)
	secrets := []string{"alice:s3cr3t-token", "bob:hunter22", "carol:pw123456", "ghp_0123456789abcdefghijklmnopqrstuvwxyz", "sup3rsecret", "AKIAABCDEFGHIJKLMNOP", "dave:filetoken"}
	home := t.TempDir()
	file := filepath.Join(home, "goenv")
	if err := os.WriteFile(file, []byte("GOPROXY=https://dave:filetoken@mirror.example\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"PATH": os.Getenv("PATH"), "HOME": home, "GOENV": file, "GOTOOLCHAIN": "local",
		"GOPROXY":     "https://alice:s3cr3t-token@proxy.corp.example,direct",
		"HTTPS_PROXY": "http://bob:hunter22@proxy.corp.example:3128",
		"HTTP_PROXY":  "carol:pw123456@proxy.corp.example:80",
		"GOFLAGS":     "-trimpath '-ldflags=-s -X main.token=ghp_0123456789abcdefghijklmnopqrstuvwxyz -X=main.apiKey=sup3rsecret -X main.version=1.2.3' -gcflags=AKIAABCDEFGHIJKLMNOP",
	}
	r := goenv.Resolve(context.Background(), goenv.Input{Env: env})
	goenv.CompareWithGoCommand(context.Background(), r, env, home)
	data, err := json.Marshal(r.Env)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets {
		if strings.Contains(string(data), s) {
			t.Errorf("the facts carry %q", s)
		}
	}
	if !strings.Contains(string(data), facts.Redact("alice:s3cr3t-token")) || !strings.Contains(string(data), "main.version=1.2.3") {
		t.Errorf("redaction lost what policies need:\n%s", data)
	}
	if p := r.Env.GoProxy[0]; p.Scheme != "https" || p.Kind != "proxy" {
		t.Errorf("GOPROXY entry = %+v", p)
	}
	if !r.Env.GoCommand.Ran || len(r.Env.GoCommand.Disagreements) != 0 {
		t.Errorf("go env: ran=%v %s disagreements=%+v", r.Env.GoCommand.Ran, r.Env.GoCommand.Error, r.Env.GoCommand.Disagreements)
	}
	if len(r.Env.Conflicts) != 1 || strings.Contains(r.Env.Conflicts[0].Shadowed.Value, "filetoken") {
		t.Errorf("conflicts = %+v", r.Env.Conflicts)
	}
}

// A GOENV file that is a FIFO, or a link to /dev/zero, is reported with
// its path at once: reading it neither blocks nor grows.
func TestHostileEnvFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	zero := filepath.Join(dir, "zero")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{fifo, zero} {
		done := make(chan *goenv.Resolved)
		go func() {
			done <- goenv.Resolve(context.Background(), goenv.Input{Env: map[string]string{"GOENV": file, "HOME": dir}})
		}()
		select {
		case r := <-done:
			if len(r.Problems) != 1 || r.Problems[0].Path != file || !strings.Contains(r.Problems[0].Message, "not a regular file") {
				t.Errorf("%s: problems = %v", file, r.Problems)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: reading the GOENV file blocked", file)
		}
	}
}

func FuzzParseEnvFile(f *testing.F) {
	f.Add([]byte("GOPROXY=https://proxy.golang.org,direct\nGOSUMDB=sum.golang.org\n"))
	f.Add([]byte("# comment\n=x\nlower=1\nGOFLAGS=\nGOFLAGS=-mod=mod\r\n"))
	f.Add([]byte("\n\nA=b=c"))
	f.Fuzz(func(t *testing.T, data []byte) {
		lines := strings.Count(string(data), "\n") + 1
		seen := map[string]bool{}
		for _, e := range goenv.ParseEnvFile(data) {
			if e.Key == "" || e.Key[0] < 'A' || e.Key[0] > 'Z' || strings.Contains(e.Key, "=") || e.Line < 1 || e.Line > lines || seen[e.Key] {
				t.Fatalf("bad entry %+v", e)
			}
			seen[e.Key] = true
		}
	})
}

func FuzzParseGOPROXY(f *testing.F) {
	f.Add("https://proxy.golang.org,direct")
	f.Add("corp.example|https://user:pw@proxy.golang.org,off,http://never")
	f.Add(" , | ,direct|")
	f.Fuzz(func(t *testing.T, v string) {
		entries := goenv.ParseGOPROXY(v)
		ended := false
		for i, e := range entries {
			if e.Raw == "" || e.Raw != strings.TrimSpace(e.Raw) {
				t.Fatalf("entry %d raw %q", i, e.Raw)
			}
			if e.Reachable == ended {
				t.Fatalf("entry %d reachable=%v after an end", i, e.Reachable)
			}
			if e.Kind == "direct" || e.Kind == "off" {
				ended = true
			}
		}
		for _, s := range goenv.Secrets("GOPROXY", v) {
			if !strings.Contains(v, s) {
				t.Fatalf("secret %q not in %q", s, v)
			}
		}
	})
}

func FuzzParseGOSUMDB(f *testing.F) {
	f.Add("sum.golang.org")
	f.Add("off")
	f.Add("sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8 https://mirror.example")
	f.Add("a+b+c d e")
	f.Fuzz(func(t *testing.T, v string) {
		s := goenv.ParseGOSUMDB(v)
		if s.Raw != v || s.Off && v != "off" || s.KeyValid && !s.HasKey {
			t.Fatalf("%q: %+v", v, s)
		}
	})
}

func FuzzParseGOFLAGS(f *testing.F) {
	f.Add(`-mod=mod  '-ldflags=-s -w' -trimpath`)
	f.Add(`- -- ---x -=y "-tags=a b" -mod`)
	f.Add(`-ldflags=-X=main.token=abc -X main.password=x`)
	f.Fuzz(func(t *testing.T, v string) {
		flags := goenv.ParseGOFLAGS(v)
		if m := goenv.ModFlagOf(flags); m != nil && (m.Index < 0 || m.Index >= len(flags) || flags[m.Index].Name != "mod") {
			t.Fatalf("mod flag %+v of %+v", m, flags)
		}
		for _, fl := range flags {
			if fl.Error == "" && (fl.Name == "" || !strings.HasPrefix(fl.Raw, "-")) {
				t.Fatalf("accepted %+v", fl)
			}
		}
		for _, s := range goenv.Secrets("GOFLAGS", v) {
			if s == "" || !strings.Contains(v, s) {
				t.Fatalf("secret %q not in %q", s, v)
			}
		}
	})
}

func FuzzParseGOTOOLCHAIN(f *testing.F) {
	for _, s := range []string{"local", "auto", "go1.22.3+auto", "go1.99.1-bigcorp", "go1.21", "asdf", "local+path", "gccgo-go1.20.3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		tc := goenv.ParseGOTOOLCHAIN(v)
		if tc.Error == "" && tc.Mode == "" {
			t.Fatalf("%q: no mode and no error", v)
		}
		if tc.Name != "" && goenv.ToolchainVersion(tc.Name) != tc.Version {
			t.Fatalf("%q: %+v", v, tc)
		}
	})
}

// TestGoFlagNames checks the GOFLAGS names gopolicy accepts against the
// installed go command: all of them at once must be accepted.
func TestGoFlagNames(t *testing.T) {
	env := hermetic(t)
	var words []string
	for _, n := range goenv.GoFlagNames() {
		switch n {
		case "C", "m", "v", "json":
			continue // -C must come first; go version's own flags take values
		}
		words = append(words, "-"+n+"=1")
	}
	env["GOFLAGS"] = strings.Join(words, " ")
	// Some of these flags make the go command leave files behind after it
	// exits (-debug-* writes named 1), racing t.TempDir's cleanup: use a
	// directory of our own, removed best effort.
	dir, err := os.MkdirTemp("", "goflagnames")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if out, err := gotest.TryGo(t, env, dir, "version"); err != nil {
		t.Fatalf("the go command refuses a name gopolicy accepts: %v\n%s", err, out)
	}
}
