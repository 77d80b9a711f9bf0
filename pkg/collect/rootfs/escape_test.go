package rootfs_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/gopolicy/gopolicy/internal/gotest"
	"github.com/gopolicy/gopolicy/pkg/collect/libc"
	"github.com/gopolicy/gopolicy/pkg/collect/rootfs"
	"github.com/gopolicy/gopolicy/pkg/collect/runner"
	"github.com/gopolicy/gopolicy/pkg/facts"
)

// sentinel is a tree outside the image that looks like a system: its
// os-release, ld.so.conf, libc and musl loader say "host". Nothing may
// open or list anything in it while an image is read.
const sentinel = `-- etc/os-release --
ID=host-sentinel
VERSION_ID=666
-- etc/ld.so.conf --
/sentinel/ldsoconf
-- etc/ld.so.conf.d/sentinel.conf --
/sentinel/ldsoconfd
-- etc/shadow --
root:secret:::
-- lib/ld-musl-x86_64.so.1 --
musl libc (x86_64)
Version 6.6.6
-- ssl/certs/ca-certificates.crt --
-----BEGIN CERTIFICATE-----
`

// watch reports every open or read of a file or directory under dir
// (inotify): an image reader that leaves its root is caught even when it
// reads nothing useful.
func watch(t *testing.T, dir string) func() []string {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("inotify is Linux only")
	}
	fd, err := syscall.InotifyInit1(syscall.IN_NONBLOCK | syscall.IN_CLOEXEC)
	if err != nil {
		t.Skipf("inotify: %v", err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	names := map[int]string{}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			wd, err := syscall.InotifyAddWatch(fd, p, syscall.IN_OPEN|syscall.IN_ACCESS)
			if err != nil {
				t.Fatal(err)
			}
			names[wd] = p
		}
		return nil
	})
	read := func() []string {
		var events []string
		buf := make([]byte, 1<<16)
		for {
			n, err := syscall.Read(fd, buf)
			if n <= 0 || err != nil {
				return events
			}
			for off := 0; off+syscall.SizeofInotifyEvent <= n; {
				ev := (*syscall.InotifyEvent)(unsafe.Pointer(&buf[off]))
				name := strings.TrimRight(string(buf[off+syscall.SizeofInotifyEvent:off+syscall.SizeofInotifyEvent+int(ev.Len)]), "\x00")
				events = append(events, filepath.Join(names[int(ev.Wd)], name))
				off += syscall.SizeofInotifyEvent + int(ev.Len)
			}
		}
	}
	read() // the walk above
	return read
}

type collected struct {
	img      *facts.Rootfs
	problems []facts.Problem
	err      error
}

func collect(t *testing.T, root string) collected {
	t.Helper()
	return gotest.Within(t, 20*time.Second, func() collected {
		img, problems, err := rootfs.Collect(context.Background(), root)
		return collected{img, problems, err}
	})
}

// TestImageNeverReadsTheHost builds images whose links and includes point
// out of the image, every way an image can, next to a sentinel tree
// outside it, and checks that nothing in the sentinel is opened or listed
// and nothing of it reaches the facts: links resolve inside the image as
// they do in a container.
func TestImageNeverReadsTheHost(t *testing.T) {
	base := t.TempDir()
	outside := filepath.Join(base, "outside")
	gotest.WriteTree(t, outside, sentinel)
	if p := hostLibPath("libc.so.6"); p != "" {
		copyFile(t, p, filepath.Join(outside, "lib/x86_64-linux-gnu/libc.so.6"))
	}
	cases := []struct {
		name  string
		links map[string]string // image path -> link target
		files string            // txtar
	}{
		{"absolute os-release link", map[string]string{"etc/os-release": filepath.Join(outside, "etc/os-release")}, ""},
		{"relative ../.. os-release link", map[string]string{"etc/os-release": "../../outside/etc/os-release"}, ""},
		{"usr/lib/os-release link", map[string]string{"usr/lib/os-release": "../../../outside/etc/os-release"}, ""},
		{"etc directory link", map[string]string{"etc": filepath.Join(outside, "etc")}, ""},
		{"relative etc directory link", map[string]string{"etc": "../outside/etc"}, ""},
		{"lib linked to the sentinel's lib", map[string]string{"lib": filepath.Join(outside, "lib"), "usr/lib": filepath.Join(outside, "lib")}, ""},
		{"ld.so.conf link", map[string]string{"etc/ld.so.conf": filepath.Join(outside, "etc/ld.so.conf")}, "-- etc/os-release --\nID=image\n"},
		{"include with ..", nil, "-- etc/ld.so.conf --\ninclude /../outside/etc/*.conf\ninclude /../outside/etc/ld.so.conf.d/*.conf\ninclude ../../outside/etc/*.conf\n"},
		{"glob include through a directory link", map[string]string{"etc/ld.so.conf.d": filepath.Join(outside, "etc/ld.so.conf.d")}, "-- etc/ld.so.conf --\ninclude /etc/ld.so.conf.d/*.conf\n"},
		{"glob include of a relative link", map[string]string{"etc/conf": "../../outside/etc"}, "-- etc/ld.so.conf --\ninclude conf/*.conf\ninclude /etc/conf/ld.so.conf.d/*\n"},
		{"CA directory link", map[string]string{"etc/ssl": filepath.Join(outside, "ssl")}, ""},
		{"shell link", map[string]string{"bin/sh": "/../../../../../../../bin/sh"}, ""},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Every image sits next to the sentinel, so a relative link's
			// ".." steps would reach it on the host.
			img := filepath.Join(base, fmt.Sprintf("img%d", i))
			os.MkdirAll(img, 0o755)
			if c.files != "" {
				gotest.WriteTree(t, img, c.files)
			}
			for from, to := range c.links {
				p := filepath.Join(img, from)
				os.MkdirAll(filepath.Dir(p), 0o755)
				if err := os.Symlink(to, p); err != nil {
					t.Fatal(err)
				}
			}
			events := watch(t, outside)
			got := collect(t, img)
			if got.err != nil {
				t.Fatal(got.err)
			}
			ev := events()
			if len(ev) > 0 {
				t.Errorf("read outside the image: %v", ev)
			}
			r := got.img
			if r.Distro.ID == "host-sentinel" || strings.HasPrefix(r.Distro.File, outside) {
				t.Errorf("distro from outside the image: %+v", r.Distro)
			}
			if r.Libc.Flavour != facts.LibcNone || r.Libc.Version != "" {
				t.Errorf("libc from outside the image: %+v", r.Libc)
			}
			if r.CABundleFound {
				t.Errorf("CA bundle from outside the image: %s", r.CABundle)
			}
			for _, d := range r.LibraryDirs {
				if strings.HasPrefix(d, "/sentinel") {
					t.Errorf("library directory from outside the image: %s", d)
				}
			}
			bin := &facts.ELFInfo{Class: "ELFCLASS64", Machine: "EM_X86_64", Interpreter: "/lib/ld-musl-x86_64.so.1", Needed: []string{"libc.so.6"}}
			res := rootfs.Libraries(r, bin)
			if res.InterpreterFound || len(res.Resolved) != 0 {
				t.Errorf("libraries found outside the image: %+v", res)
			}
			if ev := events(); len(ev) > 0 {
				t.Errorf("library resolution read outside the image: %v", ev)
			}
		})
	}
}

// TestImageLibLinkedToHostLib is the common hostile (or careless) image
// whose /lib is a link to "/lib": inside the image that is a loop, never
// the host's C library.
func TestImageLibLinkedToHostLib(t *testing.T) {
	if hostLibPath("libc.so.6") == "" {
		t.Skip("no host glibc to be fooled by")
	}
	img := t.TempDir()
	gotest.WriteTree(t, img, "-- etc/os-release --\nID=image\n")
	for _, d := range []string{"lib", "lib64", "usr"} {
		os.Symlink("/"+d, filepath.Join(img, d))
	}
	got := collect(t, img)
	if got.err != nil {
		t.Fatal(got.err)
	}
	if got.img.Libc.Flavour != facts.LibcNone {
		t.Fatalf("the host's C library reported as the image's: %+v", got.img.Libc)
	}
	if got.img.Distro.ID != "image" {
		t.Fatalf("distro %+v", got.img.Distro)
	}
}

// TestRuntimeReadOSReleaseStaysInRoot: the runner's reader is the same.
func TestRuntimeReadOSReleaseStaysInRoot(t *testing.T) {
	base := t.TempDir()
	gotest.WriteTree(t, filepath.Join(base, "outside"), sentinel)
	img := filepath.Join(base, "img")
	os.MkdirAll(filepath.Join(img, "etc"), 0o755)
	os.Symlink(filepath.Join(base, "outside/etc/os-release"), filepath.Join(img, "etc/os-release"))
	if d := runner.ReadOSRelease(img); d.ID != "" {
		t.Fatalf("runner.ReadOSRelease followed a link out of the root: %+v", d)
	}
	if l := libc.Detect(img); l.Flavour != facts.LibcNone {
		t.Fatalf("libc.Detect: %+v", l)
	}
}

// TestSystemFilesAreBounded: os-release, ld.so.conf and its includes as a
// named pipe, a link to a character device, or an oversized file are
// problems, never a hang or an unbounded read.
func TestSystemFilesAreBounded(t *testing.T) {
	type setup func(t *testing.T, img, p string)
	fifo := func(t *testing.T, img, p string) {
		if err := syscall.Mkfifo(filepath.Join(img, p), 0o644); err != nil {
			t.Skipf("mkfifo: %v", err)
		}
	}
	device := func(t *testing.T, img, p string) {
		// A device node inside the image (an image unpacked as root may
		// hold one); a link to /dev/zero resolves inside the image too.
		os.MkdirAll(filepath.Join(img, "dev"), 0o755)
		if err := syscall.Mknod(filepath.Join(img, "dev/zero"), syscall.S_IFCHR|0o666, 1<<8|5); err != nil {
			t.Skipf("mknod: %v", err)
		}
		os.Symlink("/dev/zero", filepath.Join(img, p))
	}
	hostZero := func(t *testing.T, img, p string) {
		os.Symlink("/dev/zero", filepath.Join(img, p))
	}
	huge := func(t *testing.T, img, p string) {
		f, err := os.Create(filepath.Join(img, p))
		if err != nil {
			t.Fatal(err)
		}
		f.Truncate(2 << 20) // sparse: over the 1 MiB SystemFile limit
		f.Close()
	}
	for _, file := range []string{"etc/os-release", "usr/lib/os-release", "etc/ld.so.conf", "etc/ld.so.conf.d/a.conf"} {
		for name, make := range map[string]setup{"fifo": fifo, "device": device, "link to /dev/zero": hostZero, "oversized": huge} {
			t.Run(file+" "+name, func(t *testing.T) {
				img := t.TempDir()
				gotest.WriteTree(t, img, "-- etc/ld.so.conf --\ninclude /etc/ld.so.conf.d/*.conf\n-- etc/ld.so.conf.d/.keep --\n")
				os.MkdirAll(filepath.Join(img, filepath.Dir(file)), 0o755)
				os.Remove(filepath.Join(img, file))
				make(t, img, file)
				got := collect(t, img)
				if got.err != nil {
					t.Fatal(got.err)
				}
				want := filepath.Join(img, file)
				if name == "link to /dev/zero" {
					// Inside the image there is no /dev/zero: the host's
					// device is never opened, and the link is a problem.
					if !slices.ContainsFunc(got.problems, func(p facts.Problem) bool {
						return p.Path == want && strings.Contains(p.Message, "is a link to /dev/zero, which is not in the image")
					}) {
						t.Fatalf("no problem for the link: %+v", got.problems)
					}
					return
				}
				i := slices.IndexFunc(got.problems, func(p facts.Problem) bool { return p.Path == want })
				if i < 0 {
					t.Fatalf("no problem for %s: %+v", want, got.problems)
				}
				msg := got.problems[i].Message
				if !strings.Contains(msg, "named pipe") && !strings.Contains(msg, "character device") && !strings.Contains(msg, "larger than") {
					t.Errorf("problem does not say what the file is: %q", msg)
				}
			})
		}
	}
}

// TestIncludeFanOutIsBounded: ten files that each include all ten used to
// be read 10^8 times; now each file is read once, and the loop and the
// depth are problems.
func TestIncludeFanOutIsBounded(t *testing.T) {
	img := t.TempDir()
	var tree strings.Builder
	tree.WriteString("-- etc/ld.so.conf --\ninclude /etc/ld.so.conf.d/*.conf\n")
	for i := range 10 {
		tree.WriteString("-- etc/ld.so.conf.d/" + string(rune('a'+i)) + ".conf --\n/opt/" + string(rune('a'+i)) + "\ninclude *.conf\n")
	}
	gotest.WriteTree(t, img, tree.String())
	start := time.Now()
	got := collect(t, img)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
	if len(got.problems) == 0 || !strings.Contains(got.problems[0].Message, "include") {
		t.Fatalf("problems %+v", got.problems)
	}
	if !slices.Contains(got.img.LibraryDirs, "/opt/a") || !slices.Contains(got.img.LibraryDirs, "/opt/h") {
		t.Errorf("dirs %v", got.img.LibraryDirs)
	}

	// Many distinct files: the total is bounded.
	img = t.TempDir()
	tree.Reset()
	tree.WriteString("-- etc/ld.so.conf --\ninclude /etc/ld.so.conf.d/*.conf\n")
	for i := range 300 {
		tree.WriteString("-- etc/ld.so.conf.d/" + strings.Repeat("x", 1+i%7) + string(rune('a'+i%26)) + strings.Repeat("y", i/26) + ".conf --\n/opt/lib\n")
	}
	gotest.WriteTree(t, img, tree.String())
	got = collect(t, img)
	if !slices.ContainsFunc(got.problems, func(p facts.Problem) bool { return strings.Contains(p.Message, "more than") }) {
		t.Fatalf("no bound reported: %+v", got.problems)
	}
}

func hostLibPath(name string) string {
	for _, d := range libc.SearchDirs {
		p := filepath.Join("/", d, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p
		}
	}
	return ""
}
