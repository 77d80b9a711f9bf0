package goenv_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gopolicy/gopolicy/internal/gotest"
	"github.com/gopolicy/gopolicy/pkg/collect/goenv"
	"github.com/gopolicy/gopolicy/pkg/facts"
)

// TestAgainstGoCommand resolves the environment for several layerings and
// checks every value against what the real go command reports.
func TestAgainstGoCommand(t *testing.T) {
	gotest.GoExe(t)
	cases := []struct {
		name  string
		file  string            // user GOENV file content
		proc  map[string]string // process variables
		check func(t *testing.T, e *facts.GoEnv)
	}{
		{
			name: "defaults come from GOROOT go.env and built-ins",
			check: func(t *testing.T, e *facts.GoEnv) {
				if v := e.Vars["GOSUMDB"]; v.Source != facts.SourceGoRoot || v.Value != "sum.golang.org" {
					t.Errorf("GOSUMDB = %+v", v)
				}
				if v := e.Vars["GOPATH"]; v.Source != facts.SourceDefault {
					t.Errorf("GOPATH = %+v", v)
				}
			},
		},
		{
			name: "shell shadows go env -w",
			file: "GOFLAGS=-mod=mod\nGOPROXY=https://corp.example\n",
			proc: map[string]string{"GOFLAGS": "-mod=readonly"},
			check: func(t *testing.T, e *facts.GoEnv) {
				if v := e.Vars["GOPROXY"]; v.Source != facts.SourceGoEnv || v.Line != 2 {
					t.Errorf("GOPROXY = %+v", v)
				}
				if len(e.Conflicts) != 1 || e.Conflicts[0].Kind != facts.ConflictShadowed || e.Conflicts[0].Shadowed.Value != "-mod=mod" {
					t.Errorf("conflicts = %+v", e.Conflicts)
				}
				if o := e.Vars["GOFLAGS"].Origin; !strings.Contains(o, `overrides "-mod=mod" from GOENV file`) {
					t.Errorf("origin = %q", o)
				}
			},
		},
		{
			name: "empty shell value does not override the file",
			file: "GOPROXY=https://corp.example\n",
			proc: map[string]string{"GOPROXY": ""},
			check: func(t *testing.T, e *facts.GoEnv) {
				if v := e.Vars["GOPROXY"]; v.Value != "https://corp.example" || v.Source != facts.SourceGoEnv {
					t.Errorf("GOPROXY = %+v", v)
				}
				if len(e.Conflicts) != 1 || e.Conflicts[0].Kind != facts.ConflictEmptyIgnored {
					t.Errorf("conflicts = %+v", e.Conflicts)
				}
			},
		},
		{
			name: "GOPRIVATE is the default of GONOSUMDB and GONOPROXY",
			file: "GOPRIVATE=corp.example/*\n",
			check: func(t *testing.T, e *facts.GoEnv) {
				for _, n := range []string{"GONOSUMDB", "GONOPROXY"} {
					if v := e.Vars[n]; v.Value != "corp.example/*" || v.DefaultFrom != "GOPRIVATE" {
						t.Errorf("%s = %+v", n, v)
					}
				}
			},
		},
		{
			name: "GOENV=off ignores the user file",
			file: "GOSUMDB=off\n",
			proc: map[string]string{"GOENV": "off"},
			check: func(t *testing.T, e *facts.GoEnv) {
				if e.GOENVFile != "" || e.Vars["GOSUMDB"].Value != "sum.golang.org" {
					t.Errorf("file=%q GOSUMDB=%+v", e.GOENVFile, e.Vars["GOSUMDB"])
				}
			},
		},
		{
			name: "cross compile switches cgo off by default",
			proc: map[string]string{"GOOS": "windows"},
			check: func(t *testing.T, e *facts.GoEnv) {
				if v := e.Vars["CGO_ENABLED"]; v.Value != "0" || v.Source != facts.SourceDefault {
					t.Errorf("CGO_ENABLED = %+v", v)
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			home := t.TempDir()
			file := filepath.Join(home, "goenv")
			if err := os.WriteFile(file, []byte(tc.file), 0o644); err != nil {
				t.Fatal(err)
			}
			env := map[string]string{"PATH": os.Getenv("PATH"), "HOME": home, "GOENV": file}
			for k, v := range tc.proc {
				env[k] = v
			}
			r := goenv.Resolve(context.Background(), goenv.Input{Env: env})
			if len(r.Problems) != 0 {
				t.Fatalf("problems: %v", r.Problems)
			}
			goenv.CompareWithGoCommand(context.Background(), r, env, home)
			if !r.Env.GoCommand.Ran {
				t.Fatalf("go env -json did not run: %s", r.Env.GoCommand.Error)
			}
			for _, d := range r.Env.GoCommand.Disagreements {
				t.Errorf("%s: computed %q, go env says %q", d.Var, d.Computed, d.GoCommand)
			}
			tc.check(t, r.Env)
		})
	}
}

func TestUserConfigDirFallback(t *testing.T) {
	home := t.TempDir()
	dir := filepath.Join(home, ".config", "go")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "env"), []byte("GOFLAGS=-trimpath\n# comment\nlowercase=ignored\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := goenv.Resolve(context.Background(), goenv.Input{Env: map[string]string{"HOME": home}, HostOS: "linux", HostArch: "amd64"})
	if !r.Env.GOENVFileFound || r.Env.Vars["GOFLAGS"].Value != "-trimpath" || r.Env.Vars["GOFLAGS"].Line != 1 {
		t.Fatalf("GOENV file not read: %+v %+v", r.Env, r.Env.Vars["GOFLAGS"])
	}
}

func TestParseGOPROXY(t *testing.T) {
	got := goenv.ParseGOPROXY("corp.example|https://proxy.golang.org,direct,http://never")
	want := []facts.ProxyEntry{
		{Raw: "corp.example", Kind: "proxy", URL: "https://corp.example", Scheme: "https", FallbackOn: "any-error", Reachable: true},
		{Raw: "https://proxy.golang.org", Kind: "proxy", URL: "https://proxy.golang.org", Scheme: "https", FallbackOn: "not-found", Reachable: true},
		{Raw: "direct", Kind: "direct", Reachable: true},
		{Raw: "http://never", Kind: "proxy", URL: "http://never", Scheme: "http", Reachable: false},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("entry %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestParseGOSUMDB(t *testing.T) {
	cases := []struct {
		in                    string
		off, known, key, ok   bool
		name, url, errContain string
	}{
		{in: "off", off: true},
		{in: "sum.golang.org", known: true, key: true, ok: true, name: "sum.golang.org", url: "https://sum.golang.org"},
		{in: "sum.golang.google.cn", known: true, key: true, ok: true, name: "sum.golang.google.cn", url: "https://sum.golang.google.cn"},
		{in: "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8 https://mirror.example", key: true, ok: true, name: "sum.golang.org", url: "https://mirror.example"},
		{in: "sum.corp.example", name: "sum.corp.example", url: "https://sum.corp.example", errContain: "no public key"},
		{in: "sum.corp.example+0000+notbase64", key: true, name: "sum.corp.example", url: "https://sum.corp.example", errContain: "malformed"},
	}
	for _, c := range cases {
		s := goenv.ParseGOSUMDB(c.in)
		if s.Off != c.off || s.Known != c.known || s.HasKey != c.key || s.KeyValid != c.ok || s.Name != c.name || s.URL != c.url {
			t.Errorf("%q: %+v", c.in, s)
		}
		if c.errContain != "" && !strings.Contains(s.KeyError, c.errContain) {
			t.Errorf("%q: key error %q, want %q", c.in, s.KeyError, c.errContain)
		}
	}
}

func TestParseGOFLAGS(t *testing.T) {
	got := goenv.ParseGOFLAGS(`-mod=mod  '-ldflags=-s -w' -trimpath bad`)
	if len(got) != 4 || got[0].Name != "mod" || got[0].Value != "mod" || got[1].Value != "-s -w" || got[2].HasValue || got[3].Error == "" {
		t.Fatalf("got %+v", got)
	}
	if bad := goenv.ParseGOFLAGS(`'-unterminated`); len(bad) != 1 || bad[0].Error == "" {
		t.Fatalf("unterminated quote: %+v", bad)
	}
}
