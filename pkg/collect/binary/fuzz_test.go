package binary_test

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
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
			binary.Analyse(bytes.NewReader(data), &b, binary.Options{Stamps: []string{"main.version"}})
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
