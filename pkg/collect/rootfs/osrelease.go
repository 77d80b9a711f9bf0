package rootfs

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"strings"

	"github.com/gopolicy/gopolicy/internal/safeio"
	"github.com/gopolicy/gopolicy/pkg/collect/rootfs/imagefs"
	"github.com/gopolicy/gopolicy/pkg/facts"
)

// osReleaseFiles are read in order; the first that exists decides
// (os-release(5): /etc/os-release, else /usr/lib/os-release).
var osReleaseFiles = []string{"/etc/os-release", "/usr/lib/os-release"}

// ReadOSRelease reads the distribution from etc/os-release (or
// usr/lib/os-release) under root, resolving links inside root and reading
// only a regular file of at most the SystemFile limit. A file that exists
// but cannot be read is a problem, and the next one is tried.
func ReadOSRelease(ctx context.Context, root string) (facts.Distro, []facts.Problem) {
	fsys, err := imagefs.Open(root)
	if err != nil {
		return facts.Distro{}, nil
	}
	defer fsys.Close()
	return readOSRelease(ctx, fsys)
}

func readOSRelease(ctx context.Context, fsys *imagefs.FS) (facts.Distro, []facts.Problem) {
	var problems []facts.Problem
	for _, p := range osReleaseFiles {
		data, err := fsys.ReadFile(p, safeio.LimitsFrom(ctx).SystemFile)
		if err != nil {
			if !errors.Is(err, os.ErrNotExist) {
				problems = append(problems, problemOf(fsys, p, err))
			} else if pr, ok := dangling(fsys, p); ok {
				problems = append(problems, pr)
			}
			continue
		}
		d := ParseOSRelease(data)
		d.File = fsys.HostPath(p)
		return d, problems
	}
	return facts.Distro{}, problems
}

// ParseOSRelease reads the ID, VERSION_ID and PRETTY_NAME assignments of
// an os-release file (shell-like KEY=value lines, values optionally
// quoted).
func ParseOSRelease(data []byte) facts.Distro {
	var d facts.Distro
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), len(data)+1)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		v = unquote(strings.TrimSpace(v))
		switch strings.TrimSpace(k) {
		case "ID":
			d.ID = v
		case "VERSION_ID":
			d.VersionID = v
		case "PRETTY_NAME":
			d.PrettyName = v
		}
	}
	return d
}

// unquote removes one pair of matching quotes and, inside double quotes,
// the backslash escapes os-release(5) allows (\" \\ \$ \`).
func unquote(v string) string {
	if len(v) < 2 || (v[0] != '"' && v[0] != '\'') || v[len(v)-1] != v[0] {
		return strings.Trim(v, `"'`)
	}
	q, inner := v[0], v[1:len(v)-1]
	if q == '\'' || !strings.Contains(inner, `\`) {
		return inner
	}
	var b strings.Builder
	for i := 0; i < len(inner); i++ {
		if inner[i] == '\\' && i+1 < len(inner) && strings.IndexByte("\"\\$`", inner[i+1]) >= 0 {
			i++
		}
		b.WriteByte(inner[i])
	}
	return b.String()
}

// problemOf turns a read error into a problem naming the host path once.
func problemOf(fsys *imagefs.FS, p string, err error) facts.Problem {
	host := fsys.HostPath(p)
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "open "+host+": ")
	msg = strings.TrimPrefix(msg, host+": ")
	return facts.Problem{Path: host, Message: msg}
}

// dangling reports a system file whose path leads through a link to
// nothing inside the image (the file, or a directory above it, links to
// /dev/zero or to a host path): the image cannot say what the file holds,
// which is a problem, not an absence.
func dangling(fsys *imagefs.FS, p string) (facts.Problem, bool) {
	c := imagefs.Clean(p)
	for prefix := "/"; prefix != c; {
		rest := strings.TrimPrefix(strings.TrimPrefix(c, prefix), "/")
		next, _, _ := strings.Cut(rest, "/")
		prefix = path.Join(prefix, next)
		fi, err := fsys.Lstat(prefix)
		if err != nil {
			return facts.Problem{}, false
		}
		if fi.Mode()&os.ModeSymlink == 0 {
			continue
		}
		if _, err := fsys.Resolve(prefix); err == nil {
			continue
		}
		target, _ := fsys.Readlink(prefix)
		what := "is a link"
		if prefix != c {
			what = prefix + " is a link"
		}
		return facts.Problem{Path: fsys.HostPath(p), Message: fmt.Sprintf("%s to %s, which is not in the image (links resolve inside the image)", what, target)}, true
	}
	return facts.Problem{}, false
}
