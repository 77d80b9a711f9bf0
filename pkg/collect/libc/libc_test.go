package libc_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gopolicy/gopolicy/pkg/collect/libc"
	"github.com/gopolicy/gopolicy/pkg/facts"
)

func TestCompareVersions(t *testing.T) {
	cases := []struct {
		a, b string
		want int
	}{
		{"2.3.2", "2.34", -1}, {"2.34", "2.4", 1}, {"2.17", "2.17.0", 0}, {"2.28", "2.31", -1}, {"1.2.10", "1.2.9", 1},
	}
	for _, c := range cases {
		if got := libc.CompareVersions(c.a, c.b); got != c.want {
			t.Errorf("Compare(%s, %s) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
	for v, ok := range map[string]bool{"2.34": true, "2": true, "2.": false, "": false, "PRIVATE": false, "2.x": false} {
		if libc.IsVersion(v) != ok {
			t.Errorf("IsVersion(%q) != %v", v, ok)
		}
	}
}

// TestShellDecides: a glibc machine with the musl loader installed (as
// Debian's musl-tools does) is still a glibc machine.
func TestShellDecides(t *testing.T) {
	sh, err := os.ReadFile("/bin/sh")
	if err != nil {
		t.Skip("no /bin/sh")
	}
	host := libc.Detect("/")
	if host.Flavour != facts.LibcGlibc {
		t.Skipf("host libc is %s", host.Flavour)
	}
	root := t.TempDir()
	for p, data := range map[string][]byte{
		"bin/sh":                         sh,
		"lib/ld-musl-x86_64.so.1":        []byte("musl"),
		"lib/x86_64-linux-gnu/libc.so.6": mustRead(t, host.Path),
	} {
		os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o755)
		os.WriteFile(filepath.Join(root, p), data, 0o755)
	}
	if got := libc.Detect(root); got.Flavour != facts.LibcGlibc || got.Version != host.Version {
		t.Fatalf("Detect = %+v, want glibc %s", got, host.Version)
	}
}

func mustRead(t *testing.T, p string) []byte {
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
