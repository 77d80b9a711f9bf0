// Package libc identifies the C library of a filesystem tree (the machine's
// own root, or an unpacked image) from the files themselves: the musl
// loader's presence, or the GLIBC_x.y versions that libc.so.6 defines.
package libc

import (
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

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
	switch shellLibc(root) {
	case facts.LibcMusl:
		if l, ok := detectMusl(root); ok {
			return l
		}
	case facts.LibcGlibc:
		if l, ok := detectGlibc(root); ok {
			return l
		}
	}
	if l, ok := detectGlibc(root); ok {
		return l
	}
	if l, ok := detectMusl(root); ok {
		return l
	}
	return facts.Libc{Flavour: facts.LibcNone}
}

// shellLibc reads the interpreter of the image's shell. Links are not
// followed, so an image's absolute links cannot point outside it.
func shellLibc(root string) string {
	for _, sh := range []string{"bin/sh", "usr/bin/sh", "bin/busybox", "usr/bin/env"} {
		p := filepath.Join(root, sh)
		if fi, err := os.Lstat(p); err != nil || !fi.Mode().IsRegular() {
			continue
		}
		f, err := elf.Open(p)
		if err != nil {
			continue
		}
		interp := ""
		for _, prog := range f.Progs {
			if prog.Type == elf.PT_INTERP && prog.Filesz < 256 {
				buf := make([]byte, prog.Filesz)
				if _, err := prog.ReadAt(buf, 0); err == nil {
					interp = strings.TrimRight(string(buf), "\x00")
				}
			}
		}
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

func detectMusl(root string) (facts.Libc, bool) {
	for _, dir := range []string{"lib", "usr/lib"} {
		matches, _ := filepath.Glob(filepath.Join(root, dir, "ld-musl-*.so.1"))
		if len(matches) > 0 {
			return facts.Libc{Flavour: facts.LibcMusl, Version: muslVersion(matches[0]), Path: matches[0]}, true
		}
	}
	return facts.Libc{}, false
}

func detectGlibc(root string) (facts.Libc, bool) {
	for _, dir := range SearchDirs {
		p := filepath.Join(root, dir, "libc.so.6")
		if _, err := os.Stat(p); err != nil {
			continue
		}
		v, err := GlibcVersion(p)
		if err != nil {
			return facts.Libc{Flavour: facts.LibcGlibc, Path: p}, true
		}
		return facts.Libc{Flavour: facts.LibcGlibc, Version: v, Path: p}, true
	}
	return facts.Libc{}, false
}

// GlibcVersion returns the newest GLIBC_x.y version a libc.so.6 defines,
// which is the glibc release it belongs to.
func GlibcVersion(path string) (string, error) {
	f, err := elf.Open(path)
	if err != nil {
		return "", fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	defs, err := f.DynamicVersions()
	if err != nil {
		return "", fmt.Errorf("read version definitions of %s: %w", path, err)
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
		return "", fmt.Errorf("%s defines no GLIBC_ versions", path)
	}
	return best, nil
}

// muslVersion reads the version string musl embeds in its loader; musl
// has no symbol versions to read it from. Only the first 1 MiB is scanned.
func muslVersion(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	n, _ := f.Read(buf)
	buf = buf[:n]
	// The loader's usage text reads "musl libc (x86_64)\nVersion 1.2.3\n".
	const marker = "Version "
	for i := 0; ; {
		j := strings.Index(string(buf[i:]), marker)
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
