package rootfs_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"testing"

	"github.com/gopolicy/gopolicy/internal/gotest"
	"github.com/gopolicy/gopolicy/pkg/collect/binary"
	"github.com/gopolicy/gopolicy/pkg/collect/libc"
	"github.com/gopolicy/gopolicy/pkg/collect/rootfs"
	"github.com/gopolicy/gopolicy/pkg/facts"
)

// hostLib finds one of this machine's libraries to copy into a test image.
func hostLib(t *testing.T, name string) string {
	for _, d := range libc.SearchDirs {
		p := filepath.Join("/", d, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() || err == nil {
			return p
		}
	}
	t.Skipf("no %s on this machine", name)
	return ""
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o755); err != nil {
		t.Fatal(err)
	}
}

// TestMinimalImage builds a tiny Debian-like image (glibc and its loader
// copied from this machine, multiarch layout, /lib64 as an absolute
// symlink), a real cgo binary, and resolves the binary's needs in it.
func TestMinimalImage(t *testing.T) {
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skip("needs a linux/amd64 host")
	}
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("no gcc")
	}
	root := t.TempDir()
	libcPath := hostLib(t, "libc.so.6")
	copyFile(t, libcPath, filepath.Join(root, "lib/x86_64-linux-gnu/libc.so.6"))
	copyFile(t, hostLib(t, "ld-linux-x86-64.so.2"), filepath.Join(root, "lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"))
	os.MkdirAll(filepath.Join(root, "lib64"), 0o755)
	os.Symlink("/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", filepath.Join(root, "lib64/ld-linux-x86-64.so.2"))
	gotest.WriteTree(t, root, "-- etc/os-release --\nID=debian\nVERSION_ID=\"12\"\n-- etc/ld.so.conf --\ninclude /etc/ld.so.conf.d/*.conf\n-- etc/ld.so.conf.d/local.conf --\n/opt/lib\n")

	img, problems, err := rootfs.Collect(context.Background(), root)
	if err != nil || len(problems) != 0 {
		t.Fatal(err, problems)
	}
	want, _ := libc.GlibcVersion(libcPath)
	if img.Libc.Flavour != facts.LibcGlibc || img.Libc.Version != want || img.Arch != "amd64" || img.Distro.ID != "debian" {
		t.Fatalf("image %+v", img)
	}
	if img.CABundleFound {
		t.Error("CA bundle found in an image without one")
	}
	if !slices.Contains(img.LibraryDirs, "/opt/lib") {
		t.Errorf("ld.so.conf include not read: %v", img.LibraryDirs)
	}

	env := gotest.Env(t)
	src := t.TempDir()
	gotest.WriteTree(t, src, gotest.Stamped)
	bin := gotest.Build(t, env, src, filepath.Join(t.TempDir(), "app"), map[string]string{"CGO_ENABLED": "1"})
	b, _ := binary.Collect(context.Background(), bin, binary.Options{NoHash: true})
	res := rootfs.Libraries(img, b.ELF)
	if len(res.Missing) != 0 || !res.InterpreterFound || res.Resolved["libc.so.6"] == "" {
		t.Fatalf("resolution %+v", res)
	}

	os.Remove(filepath.Join(root, "lib/x86_64-linux-gnu/libc.so.6"))
	img, _, _ = rootfs.Collect(context.Background(), root)
	res = rootfs.Libraries(img, b.ELF)
	if !slices.Contains(res.Missing, "libc.so.6") {
		t.Fatalf("missing libc not reported: %+v", res)
	}

	gotest.WriteTree(t, root, "-- etc/ssl/certs/ca-certificates.crt --\n-----BEGIN CERTIFICATE-----\n")
	img, _, _ = rootfs.Collect(context.Background(), root)
	if !img.CABundleFound || img.CABundle != "/etc/ssl/certs/ca-certificates.crt" {
		t.Errorf("CA bundle: %+v", img)
	}
}

func TestResolveStaysInsideRoot(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "a"), 0o755)
	os.Symlink("/etc", filepath.Join(root, "a/etc"))
	os.Symlink("../../../../../../", filepath.Join(root, "a/up"))
	os.Symlink("loop", filepath.Join(root, "loop"))
	if p, err := rootfs.Resolve(root, "/a/etc/passwd"); err == nil || filepath.Dir(p) == "/etc" {
		t.Errorf("absolute link escaped the root: %q %v", p, err)
	}
	if p, _ := rootfs.Resolve(root, "/a/up/a"); p != filepath.Join(root, "a") {
		t.Errorf("relative link above the root: %q", p)
	}
	if _, err := rootfs.Resolve(root, "/loop/x"); err == nil {
		t.Error("symlink loop resolved")
	}
}

func TestMuslImage(t *testing.T) {
	root := t.TempDir()
	gotest.WriteTree(t, root, "-- lib/ld-musl-x86_64.so.1 --\nmusl libc (x86_64)\nVersion 1.2.4\n-- etc/ssl/certs/ca.pem --\npem\n")
	img, _, err := rootfs.Collect(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	if img.Libc.Flavour != facts.LibcMusl || img.Libc.Version != "1.2.4" || !img.CABundleFound {
		t.Fatalf("%+v", img)
	}
	if _, _, err := rootfs.Collect(context.Background(), filepath.Join(root, "missing")); err == nil {
		t.Error("missing rootfs accepted")
	}
}
