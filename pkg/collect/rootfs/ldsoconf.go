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
	"github.com/gopolicy/gopolicy/pkg/collect/libc"
	"github.com/gopolicy/gopolicy/pkg/collect/rootfs/imagefs"
	"github.com/gopolicy/gopolicy/pkg/facts"
)

// Bounds on ld.so.conf and its includes. Real systems have one file and a
// directory of a few dozen; an image can hold files that include each
// other, or a glob over thousands of files.
const (
	// ldsoMaxDepth is how deeply includes nest.
	ldsoMaxDepth = 8
	// ldsoMaxFiles is how many files are read in all.
	ldsoMaxFiles = 128
)

// LDSOLine is one meaningful line of ld.so.conf.
type LDSOLine struct {
	// Include is true for "include PATTERN"; Value is then the pattern,
	// otherwise a library directory.
	Include bool
	Value   string
	Line    int
}

// ParseLDSOConf reads ld.so.conf syntax: one directory per line,
// "include PATTERN" lines, "#" comments. "hwcap" lines (old glibc) name no
// directory and are left out.
func ParseLDSOConf(data []byte) []LDSOLine {
	var out []LDSOLine
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), len(data)+1)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		word, rest, _ := strings.Cut(strings.ReplaceAll(line, "\t", " "), " ")
		switch word {
		case "include":
			for _, pattern := range strings.Fields(rest) {
				out = append(out, LDSOLine{Include: true, Value: pattern, Line: n})
			}
		case "hwcap":
		default:
			out = append(out, LDSOLine{Value: line, Line: n})
		}
	}
	return out
}

type ldsoReader struct {
	ctx      context.Context
	fsys     *imagefs.FS
	max      int64
	dirs     []string
	seen     map[string]bool
	read     map[string]bool // resolved files already read
	cycles   map[string]bool // files reported as including themselves
	files    int
	problems []facts.Problem
	stopped  bool
}

// ldsoConf lists the directories ld.so searches: /etc/ld.so.conf with its
// includes, then the multiarch and default directories. Every file is
// resolved inside the image and read once; nesting deeper than
// ldsoMaxDepth, more than ldsoMaxFiles files, and files that cannot be
// read are problems.
func ldsoConf(ctx context.Context, fsys *imagefs.FS) ([]string, []facts.Problem) {
	r := &ldsoReader{ctx: ctx, fsys: fsys, max: safeio.LimitsFrom(ctx).SystemFile, seen: map[string]bool{}, read: map[string]bool{}, cycles: map[string]bool{}}
	r.file("/etc/ld.so.conf", nil)
	for _, d := range libc.SearchDirs {
		r.add(d)
	}
	return r.dirs, r.problems
}

func (r *ldsoReader) add(d string) {
	d = path.Clean("/" + d)
	if !r.seen[d] {
		r.seen[d] = true
		r.dirs = append(r.dirs, d)
	}
}

func (r *ldsoReader) problem(p, msg string) {
	r.problems = append(r.problems, facts.Problem{Path: r.fsys.HostPath(p), Message: msg})
}

// file reads one configuration file; chain is the files including it.
func (r *ldsoReader) file(p string, chain []string) {
	if r.stopped || r.ctx.Err() != nil {
		return
	}
	resolved, err := r.fsys.Resolve(p)
	if err != nil {
		// A missing /etc/ld.so.conf is normal (distroless, alpine); a
		// link to nothing inside the image is not.
		if !errors.Is(err, os.ErrNotExist) {
			r.problem(p, err.Error())
		} else if pr, ok := dangling(r.fsys, p); ok {
			r.problems = append(r.problems, pr)
		}
		return
	}
	for _, c := range chain {
		if c == resolved {
			if !r.cycles[resolved] {
				r.cycles[resolved] = true
				r.problem(p, fmt.Sprintf("ld.so.conf include cycle: %s includes itself (%s -> %s); ldconfig would not finish", p, strings.Join(chain, " -> "), resolved))
			}
			return
		}
	}
	if r.read[resolved] {
		return
	}
	if len(chain) > ldsoMaxDepth {
		r.problem(p, fmt.Sprintf("ld.so.conf includes nest more than %d deep; not read", ldsoMaxDepth))
		return
	}
	if r.files >= ldsoMaxFiles {
		r.problem(p, fmt.Sprintf("ld.so.conf and its includes name more than %d files; the rest are not read", ldsoMaxFiles))
		r.stopped = true
		return
	}
	r.files++
	r.read[resolved] = true
	data, err := r.fsys.ReadFile(resolved, r.max)
	if err != nil {
		r.problems = append(r.problems, problemOf(r.fsys, p, err))
		return
	}
	chain = append(chain, resolved)
	for _, l := range ParseLDSOConf(data) {
		if !l.Include {
			r.add(l.Value)
			continue
		}
		pattern := l.Value
		if !path.IsAbs(pattern) {
			// As ldconfig does: relative to the including file's directory.
			pattern = path.Join(path.Dir(p), pattern)
		}
		matches, err := r.fsys.Glob(pattern, ldsoMaxFiles)
		if err != nil {
			r.problem(p, fmt.Sprintf("line %d: include %s: %v", l.Line, l.Value, err))
		}
		for _, m := range matches {
			r.file(m, chain)
		}
	}
}
