// Package rootfs describes an unpacked container image or sysroot: its
// distribution, C library, CA certificates, and how a binary's libraries
// resolve inside it the way the dynamic loader would.
package rootfs

import (
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/gopolicy/gopolicy/internal/safeio"
	"github.com/gopolicy/gopolicy/pkg/collect/libc"
	"github.com/gopolicy/gopolicy/pkg/collect/rootfs/imagefs"
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
// user's error. Every file is read inside the image (package imagefs):
// links resolve as they would in a container, nothing on the host outside
// dir is opened, and only regular files within the size limits are read;
// what cannot be read is a problem.
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
	fsys, err := imagefs.Open(abs)
	if err != nil {
		return nil, nil, fmt.Errorf("rootfs %s: %w", dir, errors.Unwrap(err))
	}
	defer fsys.Close()
	r := &facts.Rootfs{Dir: abs, LibraryDirs: []string{}}
	var problems []facts.Problem
	var probs []facts.Problem
	r.Distro, probs = readOSRelease(ctx, fsys)
	problems = append(problems, probs...)
	r.Libc, probs = libc.DetectFS(ctx, fsys)
	problems = append(problems, probs...)
	max := safeio.LimitsFrom(ctx).Binary
	for _, probe := range []string{imagePath(fsys, r.Libc.Path), "/bin/sh", "/bin/busybox"} {
		if probe == "" {
			continue
		}
		if m, ok := elfMachine(fsys, probe, max); ok {
			if r.Arch = elfGOARCH[m]; r.Arch != "" {
				break
			}
		}
	}
	for _, f := range caFiles {
		if fsys.IsRegular(f) {
			r.CABundle, r.CABundleFound = f, true
			break
		}
	}
	if !r.CABundleFound {
		for _, d := range caDirs {
			names, _ := fsys.ReadDirNames(d, 1<<16)
			for _, n := range names {
				if strings.HasSuffix(n, ".pem") || strings.HasSuffix(n, ".crt") {
					r.CABundle, r.CABundleFound = path.Join(d, n), true
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
	dirs, probs := ldsoConf(ctx, fsys)
	r.LibraryDirs = dirs
	problems = append(problems, probs...)
	return r, problems, ctx.Err()
}

// imagePath turns a host path under the image back into an image path.
func imagePath(fsys *imagefs.FS, host string) string {
	if host == "" {
		return ""
	}
	rel, err := filepath.Rel(fsys.Dir(), host)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return ""
	}
	return "/" + filepath.ToSlash(rel)
}

// elfMachine reads the ELF machine of a regular file inside the image.
func elfMachine(fsys *imagefs.FS, p string, max int64) (elf.Machine, bool) {
	f, err := openELF(fsys, p, max)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	return f.Machine, true
}

// elfFile is an ELF file read from an image, closed with its file.
type elfFile struct {
	*elf.File
	file *os.File
}

func (e elfFile) Close() error { return e.file.Close() }

func openELF(fsys *imagefs.FS, p string, max int64) (elfFile, error) {
	file, err := fsys.Open(p)
	if err != nil {
		return elfFile{}, err
	}
	if fi, err := file.Stat(); err != nil || fi.Size() > max {
		file.Close()
		return elfFile{}, fmt.Errorf("%s: too large or unreadable", p)
	}
	f, err := elf.NewFile(file)
	if err != nil {
		file.Close()
		return elfFile{}, err
	}
	return elfFile{f, file}, nil
}

// Resolve maps an absolute path inside root to a host path, following
// symbolic links the way they resolve inside the image: an absolute link
// target starts again at root, never at the host's /, and ".." stops at
// root. The host path is for messages: open files with package imagefs,
// which cannot leave the root even if the tree changes meanwhile.
func Resolve(root, p string) (string, error) {
	fsys, err := imagefs.Open(root)
	if err != nil {
		return "", err
	}
	defer fsys.Close()
	r, err := fsys.Resolve(p)
	if err != nil {
		return "", err
	}
	return fsys.HostPath(r), nil
}

// Libraries resolves a binary's interpreter and DT_NEEDED entries inside
// the rootfs: DT_RPATH (when there is no DT_RUNPATH), DT_RUNPATH, then the
// ld.so.conf and default directories; a library of the wrong ELF class or
// machine is skipped, as ld.so skips it. Only regular files inside the
// image count.
func Libraries(r *facts.Rootfs, e *facts.ELFInfo) *facts.LibraryResolution {
	res := &facts.LibraryResolution{Resolved: map[string]string{}, Missing: []string{}}
	fsys, err := imagefs.Open(r.Dir)
	if err != nil {
		if e.Interpreter != "" {
			res.Interpreter = e.Interpreter
			res.Missing = append(res.Missing, e.Interpreter)
		}
		res.Missing = append(res.Missing, e.Needed...)
		return res
	}
	defer fsys.Close()
	if e.Interpreter != "" {
		res.Interpreter = e.Interpreter
		if fsys.IsRegular(e.Interpreter) {
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
	max := safeio.DefaultLimits().Binary
	for _, lib := range e.Needed {
		if found, ok := findLibrary(fsys, lib, search, e, max); ok {
			res.Resolved[lib] = found
		} else {
			res.Missing = append(res.Missing, lib)
		}
	}
	return res
}

func findLibrary(fsys *imagefs.FS, lib string, search []string, e *facts.ELFInfo, max int64) (string, bool) {
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
		f, err := openELF(fsys, c, max)
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
