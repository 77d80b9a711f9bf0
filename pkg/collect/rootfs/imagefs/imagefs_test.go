package imagefs_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"

	"github.com/gopolicy/gopolicy/internal/safeio"
	"github.com/gopolicy/gopolicy/pkg/collect/rootfs/imagefs"
)

func tree(t *testing.T) (*imagefs.FS, string) {
	t.Helper()
	root := t.TempDir()
	for p, data := range map[string]string{
		"usr/lib/os-release":         "ID=image\n",
		"etc/ld.so.conf.d/a.conf":    "/a\n",
		"etc/ld.so.conf.d/.hidden":   "/h\n",
		"etc/ld.so.conf.d/b.conf":    "/b\n",
		"usr/lib/x86_64/libc.so.6":   "libc",
		"usr/lib/x86_64/libm.so.6":   "libm",
		"opt/deep/er/still/file.txt": "x",
	} {
		p = filepath.Join(root, p)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(data), 0o644)
	}
	for from, to := range map[string]string{
		"etc/os-release": "../usr/lib/os-release",
		"lib":            "/usr/lib",
		"lib64":          "lib",
		"loop":           "loop",
		"up":             "../../../../..",
		"host":           "/etc",
	} {
		os.Symlink(to, filepath.Join(root, from))
	}
	fsys, err := imagefs.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fsys.Close() })
	return fsys, root
}

func TestResolve(t *testing.T) {
	fsys, _ := tree(t)
	for in, want := range map[string]string{
		"/etc/os-release":           "/usr/lib/os-release",
		"etc/os-release":            "/usr/lib/os-release",
		"/lib64/x86_64/libc.so.6":   "/usr/lib/x86_64/libc.so.6",
		"/up/usr/lib/os-release":    "/usr/lib/os-release",
		"/../../usr/lib":            "/usr/lib",
		"/lib/../lib/x86_64/.":      "/usr/lib/x86_64",
		"/":                         "/",
		"/host/ld.so.conf.d/a.conf": "/etc/ld.so.conf.d/a.conf",
	} {
		if got, err := fsys.Resolve(in); err != nil || got != want {
			t.Errorf("Resolve(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := fsys.Resolve("/loop/x"); !errors.Is(err, imagefs.ErrTooManyLinks) {
		t.Errorf("loop: %v", err)
	}
	if _, err := fsys.Resolve("/nope/x"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing: %v", err)
	}
}

func TestGlob(t *testing.T) {
	fsys, _ := tree(t)
	got, err := fsys.Glob("/etc/ld.so.conf.d/*", 10)
	if err != nil || !slices.Equal(got, []string{"/etc/ld.so.conf.d/a.conf", "/etc/ld.so.conf.d/b.conf"}) {
		t.Errorf("glob: %v %v", got, err)
	}
	got, _ = fsys.Glob("/lib*/x86_64/lib?.so.6", 10)
	if !slices.Equal(got, []string{"/lib/x86_64/libc.so.6", "/lib/x86_64/libm.so.6", "/lib64/x86_64/libc.so.6", "/lib64/x86_64/libm.so.6"}) {
		t.Errorf("glob through links: %v", got)
	}
	if got, err := fsys.Glob("/lib*/x86_64/*", 3); !errors.Is(err, imagefs.ErrTooMany) || len(got) != 3 {
		t.Errorf("bound: %v %v", got, err)
	}
	if _, err := fsys.Glob("/etc/[", 3); err == nil {
		t.Error("bad pattern accepted")
	}
}

func TestOpenRegularOnly(t *testing.T) {
	fsys, root := tree(t)
	if data, err := fsys.ReadFile("/etc/os-release", 100); err != nil || string(data) != "ID=image\n" {
		t.Errorf("%q %v", data, err)
	}
	if _, err := fsys.ReadFile("/etc/os-release", 3); !errors.Is(err, safeio.ErrTooLarge) {
		t.Errorf("limit: %v", err)
	}
	if err := syscall.Mkfifo(filepath.Join(root, "fifo"), 0o644); err != nil {
		t.Skip(err)
	}
	_, err := fsys.Open("/fifo")
	if !errors.Is(err, safeio.ErrNotRegular) || err.Error() != filepath.Join(root, "fifo")+": is a named pipe (FIFO), not a regular file" {
		t.Errorf("fifo: %v", err)
	}
	if _, err := fsys.ReadDirNames("/fifo", 10); err == nil {
		t.Error("fifo listed as a directory")
	}
	if _, err := fsys.Open("/usr"); !errors.Is(err, safeio.ErrNotRegular) {
		t.Errorf("directory: %v", err)
	}
}
