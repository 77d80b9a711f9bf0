// Package imagefs reads files inside an unpacked image, a sysroot, or the
// machine's own root, the way a process confined to that root (a
// container) would see them: every symbolic link resolves inside the
// root, an absolute link target starts again at the root, and ".." stops
// at the root. Nothing outside the root is ever opened: the last step of
// every access goes through os.Root, which refuses a path that would leave
// the root even if the tree changes while it is being read.
//
// Paths given to and returned by an FS are image paths: slash-separated
// and absolute ("/etc/os-release"); a relative path is taken from the
// root. HostPath turns one into the host path for messages.
package imagefs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/gopolicy/gopolicy/internal/safeio"
)

// MaxLinks is how many symbolic links one resolution follows, as Linux
// allows (ELOOP after 40).
const MaxLinks = 40

// maxLinkTarget bounds one link's target (Linux's PATH_MAX).
const maxLinkTarget = 4096

// MaxDirEntries bounds the directories Glob lists.
const MaxDirEntries = 1 << 14

// ErrTooManyLinks is a resolution that followed MaxLinks links: a loop.
var ErrTooManyLinks = errors.New("too many levels of symbolic links")

// ErrTooMany is a listing or glob with more entries than its bound.
var ErrTooMany = errors.New("too many entries")

// FS is one root.
type FS struct {
	dir  string
	root *os.Root
}

// Open opens dir as a root. The directory must exist.
func Open(dir string) (*FS, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	r, err := os.OpenRoot(abs)
	if err != nil {
		return nil, err
	}
	return &FS{dir: abs, root: r}, nil
}

// Close releases the root.
func (f *FS) Close() error { return f.root.Close() }

// Dir is the root's absolute host directory.
func (f *FS) Dir() string { return f.dir }

// HostPath is where image path p lies on the host, without following
// links: for messages, never for opening.
func (f *FS) HostPath(p string) string {
	return filepath.Join(f.dir, filepath.FromSlash(Clean(p)))
}

// Clean makes p an absolute, clean image path; ".." cannot climb above /.
func Clean(p string) string { return path.Clean("/" + p) }

// rel turns a clean image path into the name os.Root takes.
func rel(p string) string {
	r := strings.TrimPrefix(p, "/")
	if r == "" {
		return "."
	}
	return r
}

// links is what resolution needs from a tree; os.Root provides it, and
// the fuzz tests a map.
type links interface {
	// Lstat reports the mode of a clean, link-free, relative name.
	Lstat(name string) (fs.FileMode, error)
	// Readlink reads a link's target.
	Readlink(name string) (string, error)
}

type rootLinks struct{ r *os.Root }

func (l rootLinks) Lstat(name string) (fs.FileMode, error) {
	fi, err := l.r.Lstat(name)
	if err != nil {
		return 0, err
	}
	return fi.Mode(), nil
}

func (l rootLinks) Readlink(name string) (string, error) { return l.r.Readlink(name) }

// Resolve returns the image path p names once every symbolic link in it
// is followed inside the root: absolute, clean, and free of links (when
// the tree does not change meanwhile). A missing component is an error.
func (f *FS) Resolve(p string) (string, error) {
	return resolve(rootLinks{f.root}, p)
}

func resolve(l links, p string) (string, error) {
	parts := strings.Split(filepath.ToSlash(p), "/")
	var cur []string // resolved components, none a link
	hops := 0
	for len(parts) > 0 {
		part := parts[0]
		parts = parts[1:]
		switch part {
		case "", ".":
			continue
		case "..":
			if len(cur) > 0 {
				cur = cur[:len(cur)-1]
			}
			continue
		}
		next := append(slices.Clip(cur), part)
		name := strings.Join(next, "/")
		mode, err := l.Lstat(name)
		if err != nil {
			return "", pathErr("stat", "/"+name, err)
		}
		if mode&fs.ModeSymlink == 0 {
			cur = next
			continue
		}
		hops++
		if hops > MaxLinks {
			return "", pathErr("resolve", Clean(p), ErrTooManyLinks)
		}
		target, err := l.Readlink(name)
		if err != nil {
			return "", pathErr("readlink", "/"+name, err)
		}
		if target == "" || len(target) > maxLinkTarget {
			return "", pathErr("readlink", "/"+name, fmt.Errorf("invalid link target of %d bytes", len(target)))
		}
		if strings.HasPrefix(target, "/") {
			// An absolute target starts again at the image's root, as it
			// does for a process running in the image.
			cur = cur[:0:0]
		}
		parts = append(strings.Split(target, "/"), parts...)
	}
	return "/" + strings.Join(cur, "/"), nil
}

// pathErr keeps the underlying error (errors.Is(err, fs.ErrNotExist)
// holds) and names the image path.
func pathErr(op, p string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return &fs.PathError{Op: op, Path: p, Err: err}
}

// Stat follows links inside the root and describes what p names.
func (f *FS) Stat(p string) (fs.FileInfo, error) {
	r, err := f.Resolve(p)
	if err != nil {
		return nil, err
	}
	fi, err := f.root.Lstat(rel(r))
	if err != nil {
		return nil, pathErr("stat", Clean(p), err)
	}
	return fi, nil
}

// Lstat describes what p names without following a link in its last
// component (links before it are followed inside the root).
func (f *FS) Lstat(p string) (fs.FileInfo, error) {
	c := Clean(p)
	if c == "/" {
		return f.Stat(c)
	}
	dir, err := f.Resolve(path.Dir(c))
	if err != nil {
		return nil, err
	}
	fi, err := f.root.Lstat(rel(path.Join(dir, path.Base(c))))
	if err != nil {
		return nil, pathErr("lstat", c, err)
	}
	return fi, nil
}

// Readlink reads the target of the link p names (links before its last
// component are followed inside the root).
func (f *FS) Readlink(p string) (string, error) {
	c := Clean(p)
	dir, err := f.Resolve(path.Dir(c))
	if err != nil {
		return "", err
	}
	t, err := f.root.Readlink(rel(path.Join(dir, path.Base(c))))
	if err != nil {
		return "", pathErr("readlink", c, err)
	}
	return t, nil
}

// IsRegular reports whether p names a regular file (after links).
func (f *FS) IsRegular(p string) bool {
	fi, err := f.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

// Open opens p for reading if it is a regular file: a named pipe, socket
// or device is refused (opened without blocking, then checked), as
// safeio.Open does on the host. Errors name the host path.
func (f *FS) Open(p string) (*os.File, error) {
	host := f.HostPath(p)
	r, err := f.Resolve(p)
	if err != nil {
		return nil, hostErr(host, err)
	}
	file, err := f.root.OpenFile(rel(r), os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, hostErr(host, err)
	}
	fi, err := file.Stat()
	if err != nil {
		file.Close()
		return nil, hostErr(host, err)
	}
	if !fi.Mode().IsRegular() {
		file.Close()
		return nil, &safeio.LimitError{Path: host, Kind: safeio.Describe(fi.Mode()), Err: safeio.ErrNotRegular}
	}
	return file, nil
}

func hostErr(host string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return &fs.PathError{Op: "open", Path: host, Err: err}
}

// ReadFile reads a regular file of at most max bytes.
func (f *FS) ReadFile(p string, max int64) ([]byte, error) {
	file, err := f.Open(p)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	return safeio.ReadAll(file, f.HostPath(p), max)
}

// ReadDirNames lists the names in directory p, sorted; more than max
// entries is ErrTooMany (with the first max names).
func (f *FS) ReadDirNames(p string, max int) ([]string, error) {
	r, err := f.Resolve(p)
	if err != nil {
		return nil, err
	}
	// O_DIRECTORY refuses anything else without blocking on it.
	d, err := f.root.OpenFile(rel(r), os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_DIRECTORY, 0)
	if err != nil {
		return nil, pathErr("open", Clean(p), err)
	}
	defer d.Close()
	var names []string
	for {
		batch, err := d.Readdirnames(256)
		names = append(names, batch...)
		if len(names) > max {
			slices.Sort(names)
			return names[:max], pathErr("readdir", Clean(p), ErrTooMany)
		}
		if errors.Is(err, io.EOF) || (err == nil && len(batch) == 0) {
			break
		}
		if err != nil {
			return nil, pathErr("readdir", Clean(p), err)
		}
	}
	slices.Sort(names)
	return names, nil
}

// Glob returns the image paths matching pattern (path.Match syntax per
// component; a "*" does not match a leading dot, as glob(3) does not),
// in order, resolving links inside the root at every step. Patterns are
// cleaned first, so ".." cannot climb above the root. At most max paths
// are returned, and no directory with more than MaxDirEntries entries is
// listed: more is ErrTooMany.
func (f *FS) Glob(pattern string, max int) ([]string, error) {
	parts := strings.Split(strings.TrimPrefix(Clean(pattern), "/"), "/")
	prefixes := []string{"/"}
	for i, part := range parts {
		if part == "" {
			continue
		}
		last := i == len(parts)-1
		var next []string
		for _, pre := range prefixes {
			if !hasMeta(part) {
				cand := path.Join(pre, part)
				if _, err := f.Stat(cand); err == nil {
					next = append(next, cand)
				}
				continue
			}
			if _, err := path.Match(part, ""); err != nil {
				return nil, err
			}
			names, err := f.ReadDirNames(pre, MaxDirEntries)
			if errors.Is(err, ErrTooMany) {
				return nil, err
			}
			for _, n := range names {
				if strings.HasPrefix(n, ".") && !strings.HasPrefix(part, ".") {
					continue
				}
				if ok, _ := path.Match(part, n); ok {
					next = append(next, path.Join(pre, n))
				}
			}
		}
		if !last {
			// Only directories lead anywhere.
			next = slices.DeleteFunc(next, func(p string) bool {
				fi, err := f.Stat(p)
				return err != nil || !fi.IsDir()
			})
		}
		if len(next) > max {
			return next[:max], &fs.PathError{Op: "glob", Path: Clean(pattern), Err: ErrTooMany}
		}
		prefixes = next
	}
	if len(prefixes) == 1 && prefixes[0] == "/" {
		return nil, nil
	}
	return prefixes, nil
}

func hasMeta(s string) bool { return strings.ContainsAny(s, `*?[\`) }
