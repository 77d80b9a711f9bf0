// Package sumfile reads go.sum files (go.sum, vendor.sum, go.work.sum)
// exactly as the go command does (cmd/go/internal/modfetch.readGoSum and
// HaveSum): a line is three fields; only a line with another number of
// fields is malformed; only h1: hashes count. It depends on no other
// collector, so the module and the workspace collectors share it.
package sumfile

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"unsafe"

	"github.com/gopolicy/gopolicy/internal/safeio"
	"github.com/gopolicy/gopolicy/pkg/facts"
)

// EmptyGoModHash is the hash of an empty go.mod, written by an old bug;
// the go command drops lines carrying it.
const EmptyGoModHash = "h1:G7mAYYxgmS0lVkHyy2hEOLQCFB0DlQFTMLWggykrydY="

// maxText bounds the text of a malformed line kept in the facts.
const maxText = 256

// File is one parsed sum file.
type File struct {
	Path    string
	Found   bool
	Lines   int
	Entries []facts.SumEntry
	// Malformed lists the first maxProblems malformed lines; More counts
	// the rest.
	Malformed []facts.SumProblem
	More      int
}

// Read reads and parses a sum file: a regular file no larger than the
// context's SumFile limit. A file that does not exist is not an error
// (Found is false): a module without dependencies needs none.
func Read(ctx context.Context, path string) (*File, error) {
	f := &File{Path: path, Entries: []facts.SumEntry{}, Malformed: []facts.SumProblem{}}
	lim := safeio.LimitsFrom(ctx)
	data, err := safeio.ReadFile(path, lim.SumFile)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return f, nil
	case err != nil:
		return nil, err
	}
	f.Found = true
	// The buffer was just read and nothing else holds it: the entries
	// can share it instead of a copy.
	f.Entries, f.Malformed, f.Lines, f.More = parse(unsafe.String(unsafe.SliceData(data), len(data)), lim.Problems)
	return f, nil
}

// Problems are the file's malformed lines as collector problems (the go
// command refuses the whole file: "malformed go.sum"), the first ones
// with their line and a last one counting the rest.
func (f *File) Problems() []facts.Problem {
	var out []facts.Problem
	for _, bad := range f.Malformed {
		out = append(out, facts.Problem{Path: f.Path, Line: bad.Line, Message: "malformed go.sum line: " + bad.Reason})
	}
	if f.More > 0 {
		out = append(out, facts.Problem{Path: f.Path, Message: fmt.Sprintf("%d more malformed lines", f.More)})
	}
	return out
}

// Parse reads sum file content. It never fails: a line of three fields
// is an entry, whatever the fields hold (the go command does not check
// them; a hash it cannot match shows up when it verifies the module); a
// line of another number of fields is malformed, and only the first
// maxProblems of those are listed, the rest counted. Blank lines and the
// go command's old empty go.mod hash are skipped. The entries share one
// copy of the content.
func Parse(data []byte, maxProblems int) (entries []facts.SumEntry, malformed []facts.SumProblem, lines, more int) {
	return parse(string(data), maxProblems)
}

func parse(text string, maxProblems int) (entries []facts.SumEntry, malformed []facts.SumProblem, lines, more int) {
	entries = []facts.SumEntry{}
	malformed = []facts.SumProblem{}
	for len(text) > 0 {
		lines++
		line := text
		if i := strings.IndexByte(text, '\n'); i >= 0 {
			line, text = text[:i], text[i+1:]
		} else {
			text = ""
		}
		var f [3]string
		n := 0
		for rest := line; ; {
			rest = strings.TrimLeft(rest, " \t\r\v\f")
			if rest == "" {
				break
			}
			end := strings.IndexAny(rest, " \t\r\v\f")
			if end < 0 {
				end = len(rest)
			}
			if n < 3 {
				f[n] = rest[:end]
			}
			n++
			rest = rest[end:]
		}
		if n == 0 {
			continue
		}
		if n != 3 {
			if len(malformed) < maxProblems {
				t := strings.TrimSuffix(line, "\r")
				if len(t) > maxText {
					t = t[:maxText] + "…"
				}
				malformed = append(malformed, facts.SumProblem{Line: lines, Text: t, Reason: fmt.Sprintf("wrong number of fields %d", n)})
			} else {
				more++
			}
			continue
		}
		if f[2] == EmptyGoModHash {
			continue
		}
		e := facts.SumEntry{Module: f[0], Version: f[1], Hash: f[2], Line: lines}
		if v, ok := strings.CutSuffix(e.Version, "/go.mod"); ok {
			e.Version, e.GoMod = v, true
		}
		entries = append(entries, e)
	}
	return entries, malformed, lines, more
}

// Key is a module version's zip (GoMod false) or go.mod hash.
type Key struct {
	Path, Version string
	GoMod         bool
}

// Set answers modfetch.HaveSum: whether some h1: line records a key.
// Lines with other algorithms (h2:, h4:) are lines, but not hashes the
// go command can check: a file with only those lacks the hash.
type Set map[Key]bool

// NewSet indexes the h1: entries of some sum files.
func NewSet(files ...[]facts.SumEntry) Set {
	s := Set{}
	for _, entries := range files {
		for _, e := range entries {
			if strings.HasPrefix(e.Hash, "h1:") {
				s[Key{e.Module, e.Version, e.GoMod}] = true
			}
		}
	}
	return s
}

// Has reports whether the set holds an h1: hash for the key.
func (s Set) Has(path, version string, gomod bool) bool {
	return s[Key{path, version, gomod}]
}

// Source is one file's entries, for conflicts across files.
type Source struct {
	File    string
	Entries []facts.SumEntry
}

// Conflicts finds module versions recorded with more than one h1: hash,
// in one file or across several (a workspace's go.sum files and
// go.work.sum, which the go command checks together: a module whose hash
// differs from one of them is a "SECURITY ERROR"). Other algorithms
// never conflict: the go command ignores them. Each hash carries its
// line, and File when several files are compared.
func Conflicts(sources ...Source) []facts.SumConflict {
	byKey := map[Key][]facts.SumEntry{}
	var order []Key
	for _, src := range sources {
		for _, e := range src.Entries {
			if !strings.HasPrefix(e.Hash, "h1:") {
				continue
			}
			k := Key{e.Module, e.Version, e.GoMod}
			list, ok := byKey[k]
			if !ok {
				order = append(order, k)
			}
			if len(sources) > 1 {
				e.File = src.File
			}
			byKey[k] = append(list, e)
		}
	}
	out := []facts.SumConflict{}
	for _, k := range order {
		list := byKey[k]
		if len(list) < 2 {
			continue
		}
		for _, e := range list[1:] {
			if e.Hash != list[0].Hash {
				out = append(out, facts.SumConflict{Module: k.Path, Version: k.Version, GoMod: k.GoMod, Hashes: list})
				break
			}
		}
	}
	return out
}
