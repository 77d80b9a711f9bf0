// Package libc identifies the C library of a filesystem tree (the machine's
// own root, or an unpacked image) from the files themselves: the musl
// loader's presence, or the GLIBC_x.y versions that libc.so.6 defines.
//
// Every file is read inside the tree (package imagefs): an image's links,
// absolute or relative, never lead to the host's own libraries, and only
// regular files of bounded size are opened.
package libc

import (
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strconv"
	"strings"

	"github.com/gopolicy/gopolicy/internal/safeio"
	"github.com/gopolicy/gopolicy/pkg/collect/rootfs/imagefs"
	"github.com/gopolicy/gopolicy/pkg/facts"
)

// SearchDirs are where distributions install libc, multiarch first.
var SearchDirs = []string{
	"lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu",
	"lib/aarch64-linux-gnu", "usr/lib/aarch64-linux-gnu",
	"lib/arm-linux-gnueabihf", "usr/lib/arm-linux-gnueabihf",
	"lib/i386-linux-gnu", "usr/lib/i386-linux-gnu",
	"lib/powerpc64le-linux-gnu", "lib/s390x-linux-gnu", "lib/riscv64-linux-gnu",
	"lib64", "usr/lib64", "lib", "usr/lib",
}

// Detect reports the libc under root ("/" for this machine). The system's
// own shell says which C library the system uses: a glibc machine may
// carry the musl loader too (Debian's musl-tools), and the reverse.
func Detect(root string) facts.Libc {
	fsys, err := imagefs.Open(root)
	if err != nil {
		return facts.Libc{Flavour: facts.LibcNone}
	}
	defer fsys.Close()
	l, _ := DetectFS(context.Background(), fsys)
	return l
}

// DetectFS is Detect inside an open tree. Files that exist but cannot be
// read (a named pipe where libc.so.6 should be, a file over the size
// limit) are problems; the detection goes on without them. Libc.Path is
// the host path of the file that decided.
func DetectFS(ctx context.Context, fsys *imagefs.FS) (facts.Libc, []facts.Problem) {
	d := &detector{fsys: fsys, max: safeio.LimitsFrom(ctx).Binary}
	switch d.shellLibc() {
	case facts.LibcMusl:
		if l, ok := d.musl(); ok {
			return l, d.problems
		}
	case facts.LibcGlibc:
		if l, ok := d.glibc(); ok {
			return l, d.problems
		}
	}
	if l, ok := d.glibc(); ok {
		return l, d.problems
	}
	if l, ok := d.musl(); ok {
		return l, d.problems
	}
	return facts.Libc{Flavour: facts.LibcNone}, d.problems
}

type detector struct {
	fsys     *imagefs.FS
	max      int64
	problems []facts.Problem
	reported map[string]bool
}

// open opens a regular file inside the tree; a file that exists but is
// not one, or is too large, is a problem (once).
func (d *detector) open(p string) (*os.File, bool) {
	f, err := d.fsys.Open(p)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			d.problem(p, err)
		}
		return nil, false
	}
	if fi, err := f.Stat(); err != nil || fi.Size() > d.max {
		f.Close()
		if err == nil {
			err = &safeio.LimitError{Path: d.fsys.HostPath(p), Kind: "a " + safeio.Size(fi.Size()) + " file", Max: d.max, Err: safeio.ErrTooLarge}
		}
		d.problem(p, err)
		return nil, false
	}
	return f, true
}

func (d *detector) problem(p string, err error) {
	if d.reported == nil {
		d.reported = map[string]bool{}
	}
	if d.reported[p] {
		return
	}
	d.reported[p] = true
	msg := err.Error()
	host := d.fsys.HostPath(p)
	// The error usually names the host path already.
	msg = strings.TrimPrefix(strings.TrimPrefix(msg, "open "+host+": "), host+": ")
	d.problems = append(d.problems, facts.Problem{Path: host, Message: msg})
}

// shellLibc reads the interpreter of the image's shell, following links
// inside the image (/bin/sh is usually a link to dash or busybox).
func (d *detector) shellLibc() string {
	for _, sh := range []string{"/bin/sh", "/usr/bin/sh", "/bin/busybox", "/usr/bin/env"} {
		if !d.fsys.IsRegular(sh) {
			continue
		}
		f, ok := d.open(sh)
		if !ok {
			continue
		}
		interp := Interpreter(f)
		f.Close()
		switch {
		case strings.Contains(interp, "ld-musl"):
			return facts.LibcMusl
		case interp != "":
			return facts.LibcGlibc
		}
	}
	return ""
}

// Interpreter returns an ELF file's PT_INTERP, or "".
func Interpreter(r io.ReaderAt) string {
	f, err := elf.NewFile(r)
	if err != nil {
		return ""
	}
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP && prog.Filesz < 256 {
			buf := make([]byte, prog.Filesz)
			if _, err := prog.ReadAt(buf, 0); err == nil {
				return strings.TrimRight(string(buf), "\x00")
			}
		}
	}
	return ""
}

func (d *detector) musl() (facts.Libc, bool) {
	for _, dir := range []string{"/lib", "/usr/lib"} {
		matches, _ := d.fsys.Glob(path.Join(dir, "ld-musl-*.so.1"), 64)
		for _, m := range matches {
			if !d.fsys.IsRegular(m) {
				continue
			}
			l := facts.Libc{Flavour: facts.LibcMusl, Path: d.fsys.HostPath(m)}
			if f, ok := d.open(m); ok {
				l.Version = muslVersionOf(f)
				f.Close()
			}
			return l, true
		}
	}
	return facts.Libc{}, false
}

func (d *detector) glibc() (facts.Libc, bool) {
	for _, dir := range SearchDirs {
		p := path.Join("/", dir, "libc.so.6")
		if _, err := d.fsys.Stat(p); err != nil {
			continue
		}
		l := facts.Libc{Flavour: facts.LibcGlibc, Path: d.fsys.HostPath(p)}
		f, ok := d.open(p)
		if !ok {
			// It exists but cannot be read: glibc of unknown version.
			return l, true
		}
		l.Version, _ = GlibcVersionOf(f)
		f.Close()
		return l, true
	}
	return facts.Libc{}, false
}

// GlibcVersion returns the newest GLIBC_x.y version a libc.so.6 defines,
// which is the glibc release it belongs to. The file must be a regular
// file within the binary size limit.
func GlibcVersion(p string) (string, error) {
	f, err := safeio.Open(p)
	if err != nil {
		return "", fmt.Errorf("open %s: %w", p, err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > safeio.DefaultLimits().Binary {
		return "", &safeio.LimitError{Path: p, Kind: "a " + safeio.Size(fi.Size()) + " file", Max: safeio.DefaultLimits().Binary, Err: safeio.ErrTooLarge}
	}
	v, err := GlibcVersionOf(f)
	if err != nil {
		return "", fmt.Errorf("%s: %w", p, err)
	}
	return v, nil
}

// GlibcVersionOf reads the newest GLIBC_x.y version definition from an
// ELF image.
func GlibcVersionOf(r io.ReaderAt) (string, error) {
	f, err := elf.NewFile(r)
	if err != nil {
		return "", fmt.Errorf("read ELF headers: %w", err)
	}
	defs, err := f.DynamicVersions()
	if err != nil {
		return "", fmt.Errorf("read version definitions: %w", err)
	}
	best := ""
	for _, d := range defs {
		if v, ok := strings.CutPrefix(d.Name, "GLIBC_"); ok && IsVersion(v) {
			if best == "" || CompareVersions(v, best) > 0 {
				best = v
			}
		}
	}
	if best == "" {
		return "", errors.New("no GLIBC_ version definitions")
	}
	return best, nil
}

// muslScan is how much of the musl loader is searched for its version.
const muslScan = 1 << 20

func muslVersionOf(r io.Reader) string {
	buf, _ := io.ReadAll(io.LimitReader(r, muslScan))
	return MuslVersion(buf)
}

// MuslVersion finds the version string musl embeds in its loader; musl
// has no symbol versions to read it from. The loader's usage text reads
// "musl libc (x86_64)\nVersion 1.2.3\n".
func MuslVersion(buf []byte) string {
	marker := []byte("Version ")
	for i := 0; i < len(buf); {
		j := bytes.Index(buf[i:], marker)
		if j < 0 {
			return ""
		}
		start := i + j + len(marker)
		end := start
		for end < len(buf) && (buf[end] == '.' || (buf[end] >= '0' && buf[end] <= '9')) {
			end++
		}
		if v := string(buf[start:end]); IsVersion(v) {
			return v
		}
		i = start
	}
	return ""
}

// IsVersion reports whether v is dotted decimal ("2.34", "2.3.4").
func IsVersion(v string) bool {
	if v == "" {
		return false
	}
	for _, part := range strings.Split(v, ".") {
		if _, err := strconv.Atoi(part); err != nil || part == "" {
			return false
		}
	}
	return true
}

// CompareVersions compares dotted decimal versions numerically, so that
// 2.3.2 < 2.34 (a string compare gets this wrong).
func CompareVersions(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) || i < len(bs); i++ {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}
