// Package binary turns compiled artefacts into facts: identity and hash,
// Go build information, ELF/PE/Mach-O headers, libc needs, hardening, and
// -X stamps read back from the data. Only the hash reads the whole file;
// everything else reads headers and the few sections it needs.
package binary

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

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

// Expand turns the --binary arguments into files: a directory stands for
// every regular file directly in it. A path that does not exist is the
// user's error.
func Expand(paths []string) ([]string, error) {
	var files []string
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("binary %s: %w", p, errors.Unwrap(err))
		}
		if !fi.IsDir() {
			files = append(files, p)
			continue
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			return nil, fmt.Errorf("binary directory %s: %w", p, err)
		}
		var found []string
		for _, e := range entries {
			full := filepath.Join(p, e.Name())
			if st, err := os.Stat(full); err == nil && st.Mode().IsRegular() {
				found = append(found, full)
			}
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("binary directory %s: no files in it", p)
		}
		sort.Strings(found)
		files = append(files, found...)
	}
	return files, nil
}

// Collect analyses one file. It never panics. What makes the file
// unreadable (it cannot be opened, read or hashed, or ctx ends) is
// returned as an error and also recorded in the fact's Error; what makes
// it unanalysable (not an executable, malformed headers) is only recorded
// in the fact, for the policies to judge.
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
	f, err := os.Open(path)
	if err != nil {
		return fail(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fail(err)
	}
	b.Size = fi.Size()
	b.Executable = fi.Mode()&0o111 != 0
	if !opts.NoHash {
		h := sha256.New()
		if _, err := io.Copy(h, ctxReader{ctx, f}); err != nil {
			return fail(fmt.Errorf("hash: %w", err))
		}
		b.SHA256 = hex.EncodeToString(h.Sum(nil))
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	Analyse(f, &b, opts)
	return b, nil
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
// can run on bytes in memory (fuzzing) as well as on files.
func Analyse(r io.ReaderAt, b *facts.Binary, opts Options) {
	defer func() {
		if rec := recover(); rec != nil {
			b.Error = fmt.Sprintf("malformed file: the parser failed: %v", rec)
		}
	}()
	var magic [4]byte
	if _, err := r.ReadAt(magic[:], 0); err != nil {
		b.Error = "too short to be an executable"
		return
	}
	var img image
	var err error
	switch {
	case bytes.Equal(magic[:], []byte("\x7fELF")):
		b.Format = facts.FormatELF
		b.ELF, img, err = readELF(r)
	case magic[0] == 'M' && magic[1] == 'Z':
		b.Format = facts.FormatPE
		b.PE, img, err = readPE(r)
	case isMachO(magic):
		b.Format = facts.FormatMachO
		b.MachO, img, err = readMachO(r)
	default:
		b.Error = "not an ELF, PE or Mach-O file"
		return
	}
	if err != nil {
		b.Error = err.Error()
		return
	}
	if closer, ok := img.(io.Closer); ok {
		defer closer.Close()
	}
	b.Go = readBuildInfo(r)
	b.Stamps = readStamps(img, b.Go, opts.Stamps)
}

func isMachO(m [4]byte) bool {
	switch string(m[:]) {
	case "\xfe\xed\xfa\xce", "\xce\xfa\xed\xfe", "\xfe\xed\xfa\xcf", "\xcf\xfa\xed\xfe", "\xca\xfe\xba\xbe":
		return true
	}
	return false
}
