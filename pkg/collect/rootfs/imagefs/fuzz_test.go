package imagefs

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
)

// memTree is a tree of links, directories and files in memory, parsed
// from lines "name=>target" (a link), "name/" (a directory) or "name" (a
// file).
type memTree struct {
	links map[string]string
	dirs  map[string]bool
	files map[string]bool
}

func parseTree(spec string) memTree {
	m := memTree{links: map[string]string{}, dirs: map[string]bool{}, files: map[string]bool{}}
	for _, line := range strings.Split(spec, "\n") {
		name, target, isLink := strings.Cut(line, "=>")
		dir := strings.HasSuffix(name, "/")
		name = strings.TrimPrefix(path.Clean("/"+name), "/")
		if name == "" {
			continue
		}
		for p := path.Dir(name); p != "."; p = path.Dir(p) {
			m.dirs[p] = true
		}
		switch {
		case isLink:
			m.links[name] = target
		case dir:
			m.dirs[name] = true
		default:
			m.files[name] = true
		}
	}
	return m
}

func (m memTree) Lstat(name string) (fs.FileMode, error) {
	if _, ok := m.links[name]; ok {
		return fs.ModeSymlink, nil
	}
	if m.dirs[name] {
		return fs.ModeDir, nil
	}
	if m.files[name] {
		return 0, nil
	}
	return 0, fs.ErrNotExist
}

func (m memTree) Readlink(name string) (string, error) { return m.links[name], nil }

var resolveSeeds = [][2]string{
	{"etc/os-release=>/usr/lib/os-release\nusr/lib/os-release", "/etc/os-release"},
	{"etc=>../../../../host/etc\nhost/etc/passwd", "/etc/passwd"},
	{"lib=>/lib", "/lib/libc.so.6"},
	{"a=>b\nb=>a", "/a/x"},
	{"usr/lib/x86_64-linux-gnu/libc.so.6\nlib=>usr/lib\nlib64=>/lib/x86_64-linux-gnu", "/lib64/../lib/x86_64-linux-gnu/./libc.so.6"},
	{"d/\nd/l=>../../..//d", "/d/l/l/l/l"},
}

// FuzzResolve: resolution never panics or loops, and what it returns is
// an absolute, clean image path whose every component exists and is not
// a link: it cannot name anything outside the root.
func FuzzResolve(f *testing.F) {
	for _, s := range resolveSeeds {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, spec, query string) {
		m := parseTree(spec)
		got, err := resolve(m, query)
		if err != nil {
			return
		}
		if !strings.HasPrefix(got, "/") || path.Clean(got) != got {
			t.Fatalf("resolve(%q) = %q: not a clean absolute path", query, got)
		}
		rel := strings.TrimPrefix(got, "/")
		if rel == "" {
			return
		}
		parts := strings.Split(rel, "/")
		for i := range parts {
			name := strings.Join(parts[:i+1], "/")
			mode, err := m.Lstat(name)
			if err != nil || mode&fs.ModeSymlink != 0 || parts[i] == ".." {
				t.Fatalf("resolve(%q) = %q: component %q is %v %v", query, got, name, mode, err)
			}
		}
	})
}

// FuzzOpenInRoot builds the tree on disk next to a sentinel file outside
// the root ($OUT in a link target is the sentinel's directory, so links
// can name it by its host path) and checks that neither Open, Stat,
// ReadDirNames nor Glob ever reaches it.
func FuzzOpenInRoot(f *testing.F) {
	for _, s := range resolveSeeds {
		f.Add(s[0], s[1])
	}
	f.Add("etc=>$OUT\netc/x", "/etc/SENTINEL")
	f.Add("l=>$OUT/SENTINEL", "/l")
	f.Add("up=>../../..", "/up/outside/SENTINEL")
	f.Add("d/\nd/l=>../../outside", "/d/l/*")
	f.Fuzz(func(t *testing.T, spec, query string) {
		base := t.TempDir()
		root, out := filepath.Join(base, "root"), filepath.Join(base, "outside")
		os.MkdirAll(root, 0o755)
		os.MkdirAll(out, 0o755)
		if err := os.WriteFile(filepath.Join(out, "SENTINEL"), []byte("outside"), 0o644); err != nil {
			t.Fatal(err)
		}
		m := parseTree(strings.ReplaceAll(spec, "$OUT", out))
		n := 0
		for name, target := range m.links {
			if n++; n > 32 || strings.Contains(name, "SENTINEL") {
				continue
			}
			p := filepath.Join(root, name)
			os.MkdirAll(filepath.Dir(p), 0o755)
			os.Symlink(target, p)
		}
		for name := range m.dirs {
			if n++; n < 64 && !strings.Contains(name, "SENTINEL") {
				os.MkdirAll(filepath.Join(root, name), 0o755)
			}
		}
		for name := range m.files {
			if n++; n < 96 && !strings.Contains(name, "SENTINEL") {
				os.WriteFile(filepath.Join(root, name), []byte("inside"), 0o644)
			}
		}
		fsys, err := Open(root)
		if err != nil {
			t.Fatal(err)
		}
		defer fsys.Close()
		check := func(p string) {
			if data, err := fsys.ReadFile(p, 64); err == nil && string(data) == "outside" {
				t.Fatalf("%q read the sentinel outside the root", p)
			}
			if names, err := fsys.ReadDirNames(p, 64); err == nil {
				for _, n := range names {
					if n == "SENTINEL" {
						t.Fatalf("%q listed the directory outside the root", p)
					}
				}
			}
			if fi, err := fsys.Stat(p); err == nil && os.SameFile(fi, sentinelInfo(t, out)) {
				t.Fatalf("%q stats the sentinel outside the root", p)
			}
		}
		check(query)
		matches, err := fsys.Glob(query, 64)
		if err == nil {
			for _, p := range matches {
				if !strings.HasPrefix(p, "/") || path.Clean(p) != p {
					t.Fatalf("glob %q gave %q", query, p)
				}
				check(p)
			}
		}
	})
}

func sentinelInfo(t *testing.T, out string) fs.FileInfo {
	fi, err := os.Stat(filepath.Join(out, "SENTINEL"))
	if err != nil {
		t.Fatal(err)
	}
	return fi
}
