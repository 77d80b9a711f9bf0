package libc_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/gopolicy/gopolicy/pkg/collect/libc"
	"github.com/gopolicy/gopolicy/pkg/collect/rootfs/imagefs"
	"github.com/gopolicy/gopolicy/pkg/facts"
)

// FuzzDetect feeds the files libc detection reads (the shell whose
// interpreter decides, libc.so.6's version definitions, the musl loader's
// version text) from an image whose files hold the fuzzed bytes.
func FuzzDetect(f *testing.F) {
	for _, p := range []string{"/bin/sh", "/bin/ls"} {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data[:min(len(data), 8192)])
		}
	}
	if host := libc.Detect("/"); host.Path != "" {
		if data, err := os.ReadFile(host.Path); err == nil {
			f.Add(data[:min(len(data), 16384)])
		}
	}
	f.Add([]byte("musl libc (x86_64)\nVersion 1.2.5\n"))
	f.Add([]byte("\x7fELF\x02\x01\x01"))
	root := f.TempDir()
	for _, d := range []string{"bin", "lib/x86_64-linux-gnu"} {
		os.MkdirAll(filepath.Join(root, d), 0o755)
	}
	fsys, err := imagefs.Open(root)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if v := libc.MuslVersion(data); v != "" && !libc.IsVersion(v) {
			t.Fatalf("musl version %q", v)
		}
		if v, err := libc.GlibcVersionOf(bytes.NewReader(data)); err == nil && !libc.IsVersion(v) {
			t.Fatalf("glibc version %q", v)
		}
		libc.Interpreter(bytes.NewReader(data))
		for _, p := range []string{"bin/sh", "lib/x86_64-linux-gnu/libc.so.6", "lib/ld-musl-x86_64.so.1"} {
			if err := os.WriteFile(filepath.Join(root, p), data, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		l, _ := libc.DetectFS(context.Background(), fsys)
		if l.Flavour != facts.LibcGlibc && l.Flavour != facts.LibcMusl {
			t.Fatalf("libc.so.6 and the musl loader are there: %+v", l)
		}
		if l.Version != "" && !libc.IsVersion(l.Version) {
			t.Fatalf("version %q", l.Version)
		}
	})
}
