// Package rootfs describes an unpacked container image or sysroot: its
// distribution, C library, CA certificates, and how a binary's libraries
// resolve inside it the way the dynamic loader would.
package rootfs

import (
	"bufio"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/gopolicy/gopolicy/pkg/collect/libc"
	"github.com/gopolicy/gopolicy/pkg/collect/runner"
	"github.com/gopolicy/gopolicy/pkg/facts"
)

// caFiles and caDirs are where Go's crypto/x509 looks for roots on Linux.
var caFiles = []string{
	"/etc/ssl/certs/ca-certificates.crt",
	"/etc/pki/tls/certs/ca-bundle.crt",
	"/etc/ssl/ca-bundle.pem",
	"/etc/pki/tls/cacert.pem",
	"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
	"/etc/ssl/cert.pem",
}
var caDirs = []string{"/etc/ssl/certs", "/etc/pki/tls/certs"}

// elfGOARCH maps the image's ELF machine to GOARCH.
var elfGOARCH = map[elf.Machine]string{
	elf.EM_X86_64: "amd64", elf.EM_386: "386", elf.EM_AARCH64: "arm64", elf.EM_ARM: "arm",
	elf.EM_RISCV: "riscv64", elf.EM_PPC64: "ppc64le", elf.EM_S390: "s390x",
}

// Collect reads the rootfs facts. A directory that does not exist is the
// user's error.
func Collect(ctx context.Context, dir string) (*facts.Rootfs, []facts.Problem, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("rootfs %s: %w", dir, err)
	}
	if fi, err := os.Stat(abs); err != nil {
		return nil, nil, fmt.Errorf("rootfs %s: %w", dir, errors.Unwrap(err))
	} else if !fi.IsDir() {
		return nil, nil, fmt.Errorf("rootfs %s: not a directory", dir)
	}
	r := &facts.Rootfs{Dir: abs, Distro: runner.ReadOSRelease(abs), LibraryDirs: []string{}}
	r.Libc = libc.Detect(abs)
	for _, probe := range []string{r.Libc.Path, filepath.Join(abs, "bin", "sh"), filepath.Join(abs, "bin", "busybox")} {
		if probe == "" {
			continue
		}
		if host, err := Resolve(abs, strings.TrimPrefix(probe, abs)); err == nil {
			if f, err := elf.Open(host); err == nil {
				r.Arch = elfGOARCH[f.Machine]
				f.Close()
				if r.Arch != "" {
					break
				}
			}
		}
	}
	for _, f := range caFiles {
		if host, err := Resolve(abs, f); err == nil && isFile(host) {
			r.CABundle, r.CABundleFound = f, true
			break
		}
	}
	if !r.CABundleFound {
		for _, d := range caDirs {
			host, err := Resolve(abs, d)
			if err != nil {
				continue
			}
			entries, _ := os.ReadDir(host)
			for _, e := range entries {
				if strings.HasSuffix(e.Name(), ".pem") || strings.HasSuffix(e.Name(), ".crt") {
					r.CABundle, r.CABundleFound = path.Join(d, e.Name()), true
					break
				}
			}
			if r.CABundleFound {
				break
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	dirs, problems := ldsoConf(abs)
	r.LibraryDirs = dirs
	return r, problems, ctx.Err()
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

// ldsoConf lists the directories ld.so searches: /etc/ld.so.conf with its
// includes, then the multiarch and default directories.
func ldsoConf(root string) ([]string, []facts.Problem) {
	var dirs []string
	var problems []facts.Problem
	seen := map[string]bool{}
	add := func(d string) {
		d = path.Clean("/" + d)
		if !seen[d] {
			seen[d] = true
			dirs = append(dirs, d)
		}
	}
	var read func(file string, depth int)
	read = func(file string, depth int) {
		if depth > 8 {
			problems = append(problems, facts.Problem{Path: file, Message: "ld.so.conf includes nest too deeply"})
			return
		}
		host, err := Resolve(root, file)
		if err != nil {
			return
		}
		f, err := os.Open(host)
		if err != nil {
			return
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if i := strings.IndexByte(line, '#'); i >= 0 {
				line = strings.TrimSpace(line[:i])
			}
			if line == "" {
				continue
			}
			if pattern, ok := strings.CutPrefix(line, "include"); ok {
				pattern = strings.TrimSpace(pattern)
				if !path.IsAbs(pattern) {
					pattern = path.Join(path.Dir(file), pattern)
				}
				matches, _ := filepath.Glob(filepath.Join(root, pattern))
				for _, m := range matches {
					rel, _ := filepath.Rel(root, m)
					read("/"+filepath.ToSlash(rel), depth+1)
				}
				continue
			}
			add(line)
		}
	}
	read("/etc/ld.so.conf", 0)
	for _, d := range libc.SearchDirs {
		add(d)
	}
	return dirs, problems
}

// Resolve maps an absolute path inside root to a host path, following
// symbolic links the way they resolve inside the image: an absolute link
// target starts again at root, never at the host's /.
func Resolve(root, p string) (string, error) {
	parts := strings.Split(strings.Trim(path.Clean("/"+filepath.ToSlash(p)), "/"), "/")
	cur := ""
	for hops := 0; len(parts) > 0; {
		part := parts[0]
		parts = parts[1:]
		if part == "" || part == "." {
			continue
		}
		if part == ".." {
			cur = path.Dir(cur)
			if cur == "." || cur == "/" {
				cur = ""
			}
			continue
		}
		next := cur + "/" + part
		host := filepath.Join(root, filepath.FromSlash(next))
		fi, err := os.Lstat(host)
		if err != nil {
			return "", err
		}
		if fi.Mode()&os.ModeSymlink == 0 {
			cur = next
			continue
		}
		hops++
		if hops > 40 {
			return "", fmt.Errorf("%s: too many levels of symbolic links", p)
		}
		target, err := os.Readlink(host)
		if err != nil {
			return "", err
		}
		rest := strings.Split(strings.Trim(filepath.ToSlash(target), "/"), "/")
		if path.IsAbs(filepath.ToSlash(target)) {
			cur = ""
		}
		parts = append(rest, parts...)
	}
	return filepath.Join(root, filepath.FromSlash(cur)), nil
}

// Libraries resolves a binary's interpreter and DT_NEEDED entries inside
// the rootfs: DT_RPATH (when there is no DT_RUNPATH), DT_RUNPATH, then the
// ld.so.conf and default directories; a library of the wrong ELF class or
// machine is skipped, as ld.so skips it.
func Libraries(r *facts.Rootfs, e *facts.ELFInfo) *facts.LibraryResolution {
	res := &facts.LibraryResolution{Resolved: map[string]string{}, Missing: []string{}}
	if e.Interpreter != "" {
		res.Interpreter = e.Interpreter
		if host, err := Resolve(r.Dir, e.Interpreter); err == nil && isFile(host) {
			res.InterpreterFound = true
		} else {
			res.Missing = append(res.Missing, e.Interpreter)
		}
	}
	var search []string
	if len(e.RunPath) == 0 {
		search = append(search, e.RPath...)
	}
	search = append(search, e.RunPath...)
	search = append(search, r.LibraryDirs...)
	for _, lib := range e.Needed {
		if found, ok := findLibrary(r.Dir, lib, search, e); ok {
			res.Resolved[lib] = found
		} else {
			res.Missing = append(res.Missing, lib)
		}
	}
	return res
}

func findLibrary(root, lib string, search []string, e *facts.ELFInfo) (string, bool) {
	candidates := []string{lib}
	if !strings.Contains(lib, "/") {
		candidates = candidates[:0]
		for _, d := range search {
			if strings.Contains(d, "$ORIGIN") || d == "" {
				// The binary's place inside the image is unknown.
				continue
			}
			candidates = append(candidates, path.Join(d, lib))
		}
	}
	for _, c := range candidates {
		host, err := Resolve(root, c)
		if err != nil || !isFile(host) {
			continue
		}
		f, err := elf.Open(host)
		if err != nil {
			continue
		}
		ok := f.Class.String() == e.Class && f.Machine.String() == e.Machine
		f.Close()
		if ok {
			return c, true
		}
	}
	return "", false
}
