// Package binary turns compiled artefacts into facts: identity and hash,
// Go build information, ELF/PE/Mach-O headers, libc needs, hardening, and
// -X stamps read back from the data. Only the hash reads the whole file;
// everything else reads headers and the few sections it needs.
package binary

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/gopolicy/gopolicy/internal/safeio"
	"github.com/gopolicy/gopolicy/pkg/facts"
)

// Options tune collection.
type Options struct {
	// NoHash skips the SHA-256, the only step that reads the whole file.
	NoHash bool
	// Stamps are string variables to read back even when no -X names them
	// (with -trimpath, build info does not record -ldflags).
	Stamps []string
}

// Expand turns the --binary arguments into files. A path named
// explicitly must be a regular file or a directory: anything else (a
// named pipe, socket or device, or a link to one) is the user's error,
// as is a path that does not exist. A directory stands for the
// executables directly in it (Classify: every kind but
// KindNotExecutable, so a README or checksum file is not listed) and for
// the entries in it that are not regular files, which become facts saying
// what they are; subdirectories and dangling links are left out. A
// directory without any of these is an error.
func Expand(paths []string) ([]string, error) {
	files, _, err := Scan(paths, false)
	return files, err
}

// maxScanEntries bounds a recursive scan, so a huge tree cannot stall
// collection.
const maxScanEntries = 200000

// Scan is Expand that can descend into subdirectories (recursive) and
// says what a directory scan left out, so "0 findings" is never read as
// "everything checked": subdirectories not entered, files that are not
// executables, entries that could not be read (dangling links).
func Scan(paths []string, recursive bool) (files, notes []string, err error) {
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, nil, fmt.Errorf("binary %s: %w", p, errors.Unwrap(err))
		}
		if !fi.IsDir() {
			if !fi.Mode().IsRegular() {
				return nil, nil, fmt.Errorf("binary %s: is %s, not a regular file", p, safeio.Describe(fi.Mode()))
			}
			files = append(files, p)
			continue
		}
		var found []string
		var others, subdirs, unreadable, seen int
		walkErr := filepath.WalkDir(p, func(full string, d fs.DirEntry, err error) error {
			if err != nil {
				unreadable++
				if d != nil && d.IsDir() && full != p {
					return fs.SkipDir
				}
				return nil
			}
			if full == p {
				return nil
			}
			if seen++; seen > maxScanEntries {
				return fmt.Errorf("binary directory %s: more than %d entries below it; name the directories to scan", p, maxScanEntries)
			}
			if d.IsDir() {
				if !recursive {
					subdirs++
					return fs.SkipDir
				}
				return nil
			}
			// Links are followed to what they name, as the loader would.
			st, err := os.Stat(full)
			if err != nil {
				unreadable++
				return nil
			}
			if st.IsDir() {
				subdirs++ // a link to a directory is not entered
				return nil
			}
			if kind := classifyPath(full, st.Mode()); kind != "" && !LooksExecutable(kind) {
				others++
				return nil
			}
			found = append(found, full)
			return nil
		})
		if walkErr != nil {
			return nil, nil, walkErr
		}
		if len(found) == 0 {
			if others > 0 {
				return nil, nil, fmt.Errorf("binary directory %s: no executables in it (%d files that are not executables)", p, others)
			}
			return nil, nil, fmt.Errorf("binary directory %s: no files in it", p)
		}
		var left []string
		if subdirs > 0 {
			hint := ""
			if !recursive {
				hint = " (--recursive enters them)"
			}
			left = append(left, fmt.Sprintf("%d %s not entered%s", subdirs, plural(subdirs, "subdirectory", "subdirectories"), hint))
		}
		if others > 0 {
			left = append(left, fmt.Sprintf("%d %s", others, plural(others, "file that is not an executable", "files that are not executables")))
		}
		if unreadable > 0 {
			left = append(left, fmt.Sprintf("%d %s that could not be read (dangling links, permissions)", unreadable, plural(unreadable, "entry", "entries")))
		}
		if len(left) > 0 {
			notes = append(notes, fmt.Sprintf("scan of %s left out %s", p, strings.Join(left, ", ")))
		}
		sort.Strings(found)
		files = append(files, found...)
	}
	return files, notes, nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Collect analyses one file. It never panics and never blocks on or
// streams from something that is not a regular file. What makes the file
// unreadable (it cannot be opened, read or hashed, or ctx ends) is
// returned as an error and also recorded in the fact's Error; what makes
// it unanalysable (not a regular file, larger than the Binary limit, not
// an executable, malformed headers) is only recorded in the fact, for the
// policies to judge.
func Collect(ctx context.Context, path string, opts Options) (b facts.Binary, readErr error) {
	b = facts.Binary{Path: path, Format: facts.FormatUnknown}
	defer func() {
		if r := recover(); r != nil {
			b.Error = fmt.Sprintf("malformed file: the parser failed: %v", r)
		}
	}()
	fail := func(err error) (facts.Binary, error) {
		b.Error = err.Error()
		return b, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return fail(err)
	}
	if !fi.Mode().IsRegular() {
		special(&b, safeio.Describe(fi.Mode()))
		return b, nil
	}
	f, err := safeio.Open(path)
	if err != nil {
		var le *safeio.LimitError
		if errors.As(err, &le) && errors.Is(err, safeio.ErrNotRegular) {
			// Replaced between the stat and the open.
			special(&b, le.Kind)
			return b, nil
		}
		return fail(err)
	}
	defer f.Close()
	fi, err = f.Stat()
	if err != nil {
		return fail(err)
	}
	b.Size = fi.Size()
	b.Executable = fi.Mode()&0o111 != 0
	header := readHeader(f)
	b.Kind = Classify(header, fi.Mode())
	max := safeio.LimitsFrom(ctx).Binary
	if b.Size > max {
		b.Format = formatOf(header)
		b.Error = fmt.Sprintf("a %s file is larger than the %s limit: not hashed or analysed", safeio.Size(b.Size), safeio.Size(max))
		return b, nil
	}
	if !opts.NoHash {
		h := sha256.New()
		n, err := io.Copy(h, ctxReader{ctx, io.LimitReader(f, max+1)})
		if err != nil {
			return fail(fmt.Errorf("hash: %w", err))
		}
		if n > max {
			b.Format = formatOf(header)
			b.Error = fmt.Sprintf("grew past the %s limit while it was hashed: not analysed", safeio.Size(max))
			return b, nil
		}
		b.SHA256 = hex.EncodeToString(h.Sum(nil))
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	Analyse(f, &b, opts)
	if b.Kind == facts.KindScript && b.Error != "" {
		b.Error += " (a #! script: gopolicy checks compiled binaries only)"
	}
	return b, nil
}

// special records a path that is not a regular file; it is never read.
func special(b *facts.Binary, what string) {
	b.Kind, b.FileType = facts.KindSpecial, what
	b.Error = fmt.Sprintf("is %s, not a regular file: not read", what)
}

// ctxReader stops a long read (hashing a large file) when ctx ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// Analyse fills in everything but identity and hash from a reader, so it
// can run on bytes in memory as well as on files. A parser panic on a
// hostile file is recorded in b.Error, never raised.
func Analyse(r io.ReaderAt, b *facts.Binary, opts Options) {
	defer func() {
		if rec := recover(); rec != nil {
			b.Error = fmt.Sprintf("malformed file: the parser failed: %v", rec)
		}
	}()
	analyse(r, b, opts)
}

// analyse is Analyse without the recover, for the fuzz tests: a panic
// there is a bug to fix, not a fact.
func analyse(r io.ReaderAt, b *facts.Binary, opts Options) {
	var magic [8]byte
	n, _ := r.ReadAt(magic[:], 0)
	if n < 4 {
		b.Error = "too short to be an executable"
		return
	}
	var img image
	var err error
	info := r // what build information is read from
	switch b.Format = formatOf(magic[:n]); b.Format {
	case facts.FormatELF:
		b.ELF, img, info, err = readELF(r)
	case facts.FormatPE:
		b.PE, img, err = readPE(r)
	case facts.FormatMachO:
		b.MachO, img, err = readMachO(r)
	default:
		b.Error = "not an ELF, PE or Mach-O file"
		return
	}
	if err != nil {
		b.Error = err.Error()
		if img == nil {
			return
		}
		// A partial read (an ELF file whose section table is unreadable):
		// what the program headers give is still recorded, and the file
		// stays in error.
	}
	if closer, ok := img.(io.Closer); ok {
		defer closer.Close()
	}
	b.Go = readBuildInfo(info)
	b.Stamps = readStamps(img, b.Go, opts.Stamps)
}
