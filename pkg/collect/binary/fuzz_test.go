package binary_test

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gopolicy/gopolicy/internal/gotest"
	"github.com/gopolicy/gopolicy/pkg/collect/binary"
	"github.com/gopolicy/gopolicy/pkg/facts"
)

// FuzzAnalyse feeds truncated and corrupted executables to the parsers:
// every input must give a fact, never a panic or a hang.
func FuzzAnalyse(f *testing.F) {
	env := gotest.Env(f)
	src := f.TempDir()
	gotest.WriteTree(f, src, gotest.Stamped)
	out := f.TempDir()
	for name, e := range map[string]map[string]string{
		"elf":   {"CGO_ENABLED": "0"},
		"pe":    {"CGO_ENABLED": "0", "GOOS": "windows"},
		"macho": {"CGO_ENABLED": "0", "GOOS": "darwin", "GOARCH": "arm64"},
	} {
		p := gotest.Build(f, env, src, filepath.Join(out, name), e, "-ldflags=-X main.version=1")
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		// Headers and load commands live at the start; seeds stay small.
		for _, n := range []int{64, 512, 4096, 65536} {
			f.Add(data[:min(n, len(data))])
		}
	}
	f.Add([]byte("\x7fELF\x02\x01\x01"))
	f.Add([]byte("MZ"))
	f.Add([]byte("\xcf\xfa\xed\xfe"))
	f.Fuzz(func(t *testing.T, data []byte) {
		done := make(chan facts.Binary, 1)
		go func() {
			b := facts.Binary{Format: facts.FormatUnknown}
			// The inner function: Analyse recovers panics for production,
			// which would hide them from the fuzzer.
			binary.AnalyseNoRecover(bytes.NewReader(data), &b, binary.Options{Stamps: []string{"main.version"}})
			done <- b
		}()
		select {
		case b := <-done:
			if b.Format == facts.FormatUnknown && b.Error == "" {
				t.Fatal("unknown format without an error")
			}
		case <-time.After(5 * time.Second):
			// A hang is a failure the fuzzer can record and replay.
			buf := make([]byte, 1<<16)
			t.Fatalf("analysis did not finish in 5s:\n%s", buf[:runtime.Stack(buf, true)])
		}
	})
}

// formatSeeds builds a small program for GOOS/GOARCH and returns seeds cut
// from its start.
func formatSeeds(f *testing.F, extra map[string]string) {
	env := gotest.Env(f)
	src := f.TempDir()
	gotest.WriteTree(f, src, gotest.Stamped)
	e := map[string]string{"CGO_ENABLED": "0"}
	for k, v := range extra {
		e[k] = v
	}
	p := gotest.Build(f, env, src, filepath.Join(f.TempDir(), "app"), e, "-ldflags=-X main.version=1")
	data, err := os.ReadFile(p)
	if err != nil {
		f.Fatal(err)
	}
	for _, n := range []int{64, 512, 4096, 65536} {
		f.Add(data[:min(n, len(data))])
	}
}

// FuzzPE feeds the PE parser directly, with the symbol and section reads
// a stamp makes.
func FuzzPE(f *testing.F) {
	formatSeeds(f, map[string]string{"GOOS": "windows", "GOARCH": "amd64"})
	f.Add([]byte("MZ"))
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := binary.ReadPE(bytes.NewReader(data))
		if err == nil && info == nil {
			t.Fatal("no info and no error")
		}
	})
}

// FuzzMachO feeds the Mach-O parser (thin and fat) directly.
func FuzzMachO(f *testing.F) {
	formatSeeds(f, map[string]string{"GOOS": "darwin", "GOARCH": "arm64"})
	f.Add([]byte("\xca\xfe\xba\xbe\x00\x00\x00\x01"))
	f.Add([]byte("\xcf\xfa\xed\xfe"))
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := binary.ReadMachO(bytes.NewReader(data))
		if err == nil && info == nil {
			t.Fatal("no info and no error")
		}
	})
}

var rewrittenRE = regexp.MustCompile(`'[^']*\[redacted: \d+ characters\]'|"[^"]*\[redacted: \d+ characters\]"`)

// FuzzRedactLDFlags: whatever the -ldflags string, a value the detector
// calls a secret appears neither in the assignments nor in the rewritten
// string, and the rewritten string parses to as many assignments.
func FuzzRedactLDFlags(f *testing.F) {
	for _, s := range []string{
		"-s -w -X main.version=1.2.3",
		"-X 'main.apiToken=a b c' -X=main.k=AKIAABCDEFGHIJKLMNOP",
		`--X "main.secret=x'y" -X main.dsn=postgres://u:p@h/db`,
		"-X main.token=x 'unterminated",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, xs, _, _ := binary.RedactLDFlags(s)
		raw, _, _ := binary.ParseLDFlags(s)
		if len(raw) != len(xs) {
			t.Fatalf("%d assignments redacted, %d parsed", len(xs), len(raw))
		}
		if _, whole := facts.Redacted(out); whole {
			return // a malformed string holding a secret, replaced whole
		}
		again, _, _ := binary.ParseLDFlags(out)
		if len(again) != len(xs) {
			t.Fatalf("rewritten %q parses to %d assignments, want %d", out, len(again), len(xs))
		}
		for i, x := range raw {
			if secret, _ := binary.LooksSecret(x.Symbol, x.Value); !secret {
				continue
			}
			if xs[i].Value != facts.Redact(x.Value) {
				t.Fatalf("secret %q kept as %q", x.Value, xs[i].Value)
			}
			// Every word holding it was rewritten: the rest of the string
			// (without the rewritten, quoted words) holds it fewer times
			// than the original did.
			rest := rewrittenRE.ReplaceAllString(out, "")
			if strings.Count(rest, x.Value) >= strings.Count(s, x.Value) {
				t.Fatalf("secret %q left in %q", x.Value, out)
			}
		}
	})
}
