package eval

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/open-policy-agent/opa/v1/bundle"
	"github.com/open-policy-agent/opa/v1/loader/filter"

	"github.com/gopolicy/gopolicy/internal/safeio"
)

// Limits caps what one policy bundle may hold. Every bundle, a .tar.gz,
// a directory or the embedded library, is read by gopolicy itself,
// streaming and within these caps, before OPA parses a byte of it; OPA
// then reads the checked copy in memory. A zero field takes its default.
type Limits struct {
	// MaxArchiveBytes caps a .tar.gz file as stored (compressed).
	MaxArchiveBytes int64
	// MaxFileBytes caps each file in the bundle, uncompressed.
	MaxFileBytes int64
	// MaxTotalBytes caps all files of the bundle together, uncompressed.
	// The tar stream out of gzip (headers and padding included) may be
	// this plus 8 KiB per allowed entry: more is a decompression bomb.
	MaxTotalBytes int64
	// MaxEntries caps the number of files and directories.
	MaxEntries int
	// MaxPathLength caps a path inside the bundle, in bytes.
	MaxPathLength int
}

// Default bundle caps: far beyond a real policy bundle (the built-in
// library is under 100 files and 200 KiB), far below what would strain
// memory.
const (
	DefaultMaxArchiveBytes = 32 << 20
	DefaultMaxFileBytes    = 8 << 20
	DefaultMaxTotalBytes   = 32 << 20
	DefaultMaxEntries      = 10000
	DefaultMaxPathLength   = 1024
)

// DefaultLimits returns the default bundle caps.
func DefaultLimits() Limits {
	return Limits{
		MaxArchiveBytes: DefaultMaxArchiveBytes,
		MaxFileBytes:    DefaultMaxFileBytes,
		MaxTotalBytes:   DefaultMaxTotalBytes,
		MaxEntries:      DefaultMaxEntries,
		MaxPathLength:   DefaultMaxPathLength,
	}
}

// orDefault fills the zero fields of l from the defaults.
func (l Limits) orDefault() Limits {
	d := DefaultLimits()
	if l.MaxArchiveBytes <= 0 {
		l.MaxArchiveBytes = d.MaxArchiveBytes
	}
	if l.MaxFileBytes <= 0 {
		l.MaxFileBytes = d.MaxFileBytes
	}
	if l.MaxTotalBytes <= 0 {
		l.MaxTotalBytes = d.MaxTotalBytes
	}
	if l.MaxEntries <= 0 {
		l.MaxEntries = d.MaxEntries
	}
	if l.MaxPathLength <= 0 {
		l.MaxPathLength = d.MaxPathLength
	}
	return l
}

// maxStream is how much the gzip stream of a tarball may decompress to.
func (l Limits) maxStream() int64 { return l.MaxTotalBytes + int64(l.MaxEntries)*(8<<10) }

// bundleFile is one checked file of a bundle: its slash path relative
// to the bundle root (no leading slash, no "." or ".." element) and its
// content.
type bundleFile struct {
	name string
	data []byte
}

// bundleTree is a bundle read into memory and checked.
type bundleTree struct {
	files []bundleFile
}

// counter enforces the entry, size and path caps while a bundle is read.
type counter struct {
	l       Limits
	entries int
	total   int64
}

func (c *counter) entry(name string) error {
	c.entries++
	if c.entries > c.l.MaxEntries {
		return fmt.Errorf("entry %s: the bundle has more than %d entries (limit)", quoteName(name), c.l.MaxEntries)
	}
	if len(name) > c.l.MaxPathLength {
		return fmt.Errorf("entry %s: path of %d bytes is longer than the %d-byte limit", quoteName(name), len(name), c.l.MaxPathLength)
	}
	return nil
}

// file checks a file's declared size before anything is read.
func (c *counter) file(name string, size int64) error {
	if size < 0 {
		return fmt.Errorf("entry %s: negative size", quoteName(name))
	}
	if size > c.l.MaxFileBytes {
		return fmt.Errorf("entry %s: file of %s is larger than the %s limit per file", quoteName(name), safeio.Size(size), safeio.Size(c.l.MaxFileBytes))
	}
	if c.total+size > c.l.MaxTotalBytes {
		return fmt.Errorf("entry %s: files add up to more than the %s limit per bundle", quoteName(name), safeio.Size(c.l.MaxTotalBytes))
	}
	c.total += size
	return nil
}

// quoteName quotes a path for a message, shortened when very long.
func quoteName(name string) string {
	if len(name) > 120 {
		return fmt.Sprintf("%q…", name[:120])
	}
	return fmt.Sprintf("%q", name)
}

// cleanEntryName turns a tar entry name into a bundle path. OPA's writer
// roots every entry at "/" and `tar -C dir .` prefixes "./"; both mean
// the bundle root (the archive is never extracted, so a leading slash
// cannot reach the host's root). Anything else that is not a clean
// relative path, such as "..", "//etc" or "a/./b", is refused. The root
// itself returns "".
func cleanEntryName(name string, dir bool) (string, error) {
	n := name
	if dir {
		n = strings.TrimRight(n, "/")
	}
	switch {
	case n == "" || n == "." || n == "./" || n == "/":
		if dir {
			return "", nil
		}
		return "", fmt.Errorf("entry %s: a file needs a name", quoteName(name))
	case strings.HasPrefix(n, "./"):
		n = n[2:]
	case strings.HasPrefix(n, "/"):
		n = n[1:]
	}
	if !utf8.ValidString(n) {
		return "", fmt.Errorf("entry %s: name is not valid UTF-8", quoteName(name))
	}
	if strings.ContainsRune(n, '\\') {
		return "", fmt.Errorf("entry %s: backslash in path (paths inside a bundle use /)", quoteName(name))
	}
	if !fs.ValidPath(n) || n == "." {
		for _, el := range strings.Split(n, "/") {
			if el == ".." {
				return "", fmt.Errorf("entry %s: path leads outside the bundle (..)", quoteName(name))
			}
		}
		if strings.HasPrefix(n, "/") {
			return "", fmt.Errorf("entry %s: absolute path", quoteName(name))
		}
		return "", fmt.Errorf("entry %s: not a clean path inside the bundle", quoteName(name))
	}
	return n, nil
}

// tarKind names a tar entry type a bundle may not hold.
func tarKind(h *tar.Header) string {
	switch h.Typeflag {
	case tar.TypeSymlink:
		return fmt.Sprintf("a symbolic link (to %s)", quoteName(h.Linkname))
	case tar.TypeLink:
		return fmt.Sprintf("a hard link (to %s)", quoteName(h.Linkname))
	case tar.TypeChar:
		return "a character device"
	case tar.TypeBlock:
		return "a block device"
	case tar.TypeFifo:
		return "a named pipe (FIFO)"
	case tar.TypeGNUSparse:
		return "a sparse file (GNU sparse format)"
	case tar.TypeCont:
		return "a contiguous file"
	}
	return fmt.Sprintf("an entry of type %q", h.Typeflag)
}

// isSparse reports a PAX-format GNU sparse file, which archive/tar
// reports as a regular file of its full logical size.
func isSparse(h *tar.Header) bool {
	for k := range h.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}

// capReader fails once more than max bytes have been read through it.
type capReader struct {
	r   io.Reader
	n   int64
	max int64
	err error
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.n > c.max {
		return 0, c.err
	}
	if rem := c.max + 1 - c.n; int64(len(p)) > rem {
		p = p[:rem]
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.n > c.max {
		return n, c.err
	}
	return n, err
}

// errNotBundle is a path that is neither a directory nor a gzip file.
var errNotBundle = errors.New("not a directory or a .tar.gz bundle")

// readTarball reads and checks a .tar.gz bundle, streaming: the entry
// types, names, sizes and counts are checked from each header before its
// content is read, and the gzip stream is bounded. It returns the files
// and the SHA-256 of the archive as stored.
func readTarball(f *os.File, l Limits) (*bundleTree, string, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, "", err
	}
	if fi.Size() > l.MaxArchiveBytes {
		return nil, "", fmt.Errorf("archive of %s is larger than the %s limit", safeio.Size(fi.Size()), safeio.Size(l.MaxArchiveBytes))
	}
	h := sha256.New()
	raw := &capReader{r: f, max: l.MaxArchiveBytes, err: fmt.Errorf("archive is larger than the %s limit", safeio.Size(l.MaxArchiveBytes))}
	br := bufio.NewReader(io.TeeReader(raw, h))
	if magic, _ := br.Peek(2); len(magic) < 2 || magic[0] != 0x1f || magic[1] != 0x8b {
		if raw.n > l.MaxArchiveBytes {
			return nil, "", raw.err
		}
		return nil, "", errNotBundle
	}
	tree, err := readTarStream(br, l)
	if err != nil {
		return nil, "", err
	}
	// The digest covers the whole file, bytes after the gzip data too.
	if _, err := io.Copy(io.Discard, br); err != nil {
		return nil, "", err
	}
	return tree, "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// readTarStream reads a gzip'd tar stream into a checked bundle tree.
func readTarStream(r io.Reader, l Limits) (*bundleTree, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("read gzip: %w", err)
	}
	stream := &capReader{r: zr, max: l.maxStream(), err: fmt.Errorf("decompresses to more than %s (limit): not a policy bundle", safeio.Size(l.maxStream()))}
	tr := tar.NewReader(stream)
	c := &counter{l: l}
	tree := &bundleTree{}
	seen := map[string]bool{}
	last := ""
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if stream.n > stream.max {
				return nil, stream.err
			}
			if last != "" {
				return nil, fmt.Errorf("read tar after entry %s: %w", quoteName(last), err)
			}
			return nil, fmt.Errorf("read tar: %w", err)
		}
		last = hdr.Name
		if err := c.entry(hdr.Name); err != nil {
			return nil, err
		}
		switch {
		case hdr.Typeflag == tar.TypeXGlobalHeader:
			// PAX global metadata (git archive writes one); no file.
			continue
		case hdr.Typeflag == tar.TypeDir:
			if _, err := cleanEntryName(hdr.Name, true); err != nil {
				return nil, err
			}
			continue
		case hdr.Typeflag != tar.TypeReg:
			return nil, fmt.Errorf("entry %s is %s; a policy bundle holds regular files and directories only", quoteName(hdr.Name), tarKind(hdr))
		case isSparse(hdr):
			return nil, fmt.Errorf("entry %s is a sparse file (GNU sparse format, %s declared); a policy bundle holds regular files and directories only", quoteName(hdr.Name), safeio.Size(hdr.Size))
		}
		name, err := cleanEntryName(hdr.Name, false)
		if err != nil {
			return nil, err
		}
		if seen[name] {
			return nil, fmt.Errorf("entry %s: %s is in the archive twice", quoteName(hdr.Name), name)
		}
		seen[name] = true
		if err := c.file(hdr.Name, hdr.Size); err != nil {
			return nil, err
		}
		data := make([]byte, hdr.Size)
		if _, err := io.ReadFull(tr, data); err != nil {
			if stream.n > stream.max {
				return nil, stream.err
			}
			return nil, fmt.Errorf("entry %s: %w", quoteName(hdr.Name), err)
		}
		tree.files = append(tree.files, bundleFile{name: name, data: data})
	}
	// Read the rest of the gzip stream (the tar's zero padding) so a
	// corrupt stream is refused on its checksum, within the same cap.
	if _, err := io.Copy(io.Discard, stream); err != nil {
		if stream.n > stream.max {
			return nil, stream.err
		}
		return nil, fmt.Errorf("read gzip: %w", err)
	}
	return tree, nil
}

// readDir reads a bundle directory: regular files and directories only,
// within the caps. Files are opened without blocking and checked to be
// the regular file the directory listed, so a FIFO, a device or a
// symbolic link (to /dev/zero, say) is refused instead of read.
func readDir(root string, l Limits) (*bundleTree, error) {
	c := &counter{l: l}
	tree := &bundleTree{}
	var walk func(rel string) error
	walk = func(rel string) error {
		dir := filepath.Join(root, filepath.FromSlash(rel))
		f, err := os.Open(dir)
		if err != nil {
			return err
		}
		defer f.Close()
		var entries []fs.DirEntry
		for {
			batch, err := f.ReadDir(256)
			entries = append(entries, batch...)
			if err == io.EOF {
				break
			}
			if err != nil {
				return err
			}
			if c.entries+len(entries) > l.MaxEntries {
				return fmt.Errorf("directory %s: the bundle has more than %d entries (limit)", quoteName(rel), l.MaxEntries)
			}
		}
		sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
		for _, e := range entries {
			name := path.Join(rel, e.Name())
			if err := c.entry(name); err != nil {
				return err
			}
			// The names a tarball may hold, so both forms hold the same.
			if _, err := cleanEntryName(name, e.IsDir()); err != nil {
				return err
			}
			switch t := e.Type(); {
			case t.IsDir():
				if err := walk(name); err != nil {
					return err
				}
			case t.IsRegular():
				data, err := readRegular(filepath.Join(root, filepath.FromSlash(name)), name, e, c)
				if err != nil {
					return err
				}
				tree.files = append(tree.files, bundleFile{name: name, data: data})
			default:
				kind := safeio.Describe(t)
				if t&fs.ModeSymlink != 0 {
					if target, err := os.Readlink(filepath.Join(root, filepath.FromSlash(name))); err == nil {
						kind += " (to " + quoteName(target) + ")"
					}
				}
				return fmt.Errorf("entry %s is %s; a policy bundle holds regular files and directories only", quoteName(name), kind)
			}
		}
		return nil
	}
	if err := walk(""); err != nil {
		return nil, err
	}
	return tree, nil
}

// readRegular reads one file a directory listing called regular. It is
// opened with O_NONBLOCK and must still be that same regular file once
// open: a file swapped for a FIFO or a link in between is refused.
func readRegular(p, name string, e fs.DirEntry, c *counter) ([]byte, error) {
	listed, err := e.Info()
	if err != nil {
		return nil, fmt.Errorf("entry %s: %w", quoteName(name), err)
	}
	f, err := safeio.Open(p)
	if err != nil {
		var le *safeio.LimitError
		if errors.As(err, &le) {
			return nil, fmt.Errorf("entry %s is %s; a policy bundle holds regular files and directories only", quoteName(name), le.Kind)
		}
		return nil, fmt.Errorf("entry %s: %w", quoteName(name), err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("entry %s: %w", quoteName(name), err)
	}
	if !os.SameFile(listed, fi) {
		return nil, fmt.Errorf("entry %s changed while the bundle was read", quoteName(name))
	}
	if err := c.file(name, fi.Size()); err != nil {
		return nil, err
	}
	// The file may grow after the check: read at most what was counted.
	data, err := io.ReadAll(io.LimitReader(f, fi.Size()+1))
	if err != nil {
		return nil, fmt.Errorf("entry %s: %w", quoteName(name), err)
	}
	if int64(len(data)) != fi.Size() {
		return nil, fmt.Errorf("entry %s changed while the bundle was read", quoteName(name))
	}
	return data, nil
}

// readFS reads a bundle tree from an fs.FS (the embedded library) with
// the same checks.
func readFS(fsys fs.FS, l Limits) (*bundleTree, error) {
	c := &counter{l: l}
	tree := &bundleTree{}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == "." {
			return nil
		}
		if err := c.entry(p); err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return nil
		case !d.Type().IsRegular():
			return fmt.Errorf("entry %s is %s; a policy bundle holds regular files and directories only", quoteName(p), safeio.Describe(d.Type()))
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if err := c.file(p, fi.Size()); err != nil {
			return err
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		if int64(len(data)) != fi.Size() {
			return fmt.Errorf("entry %s changed while the bundle was read", quoteName(p))
		}
		tree.files = append(tree.files, bundleFile{name: p, data: data})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return tree, nil
}

// digest hashes a directory or embedded tree: every file's path and
// content in path order, so the digest is the same on every machine.
func (t *bundleTree) digest() string {
	files := slices.Clone(t.files)
	sort.Slice(files, func(i, j int) bool { return files[i].name < files[j].name })
	h := sha256.New()
	for _, f := range files {
		writeFileDigest(h, f)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

func writeFileDigest(h hash.Hash, f bundleFile) {
	fmt.Fprintf(h, "%s\x00%d\x00", path.Clean(f.name), len(f.data))
	h.Write(f.data)
}

// loader hands the checked files to OPA's bundle reader. Every path is
// rooted at "/", as OPA's tarball writer lays them out, whatever form the
// bundle came in: so a signed tarball and the same files unpacked into a
// directory verify alike (OPA's own directory loader strips the leading
// dot of ".signatures.json" when the root is ".", and then finds no
// signature).
func (t *bundleTree) loader(skip func(name string) bool) bundle.DirectoryLoader {
	return &memLoader{files: t.files, skip: skip}
}

type memLoader struct {
	files  []bundleFile
	idx    int
	skip   func(name string) bool
	filter filter.LoaderFilter
}

func (m *memLoader) NextFile() (*bundle.Descriptor, error) {
	for m.idx < len(m.files) {
		f := m.files[m.idx]
		m.idx++
		if m.skip != nil && m.skip(f.name) {
			continue
		}
		if m.filter != nil && m.filter("/"+f.name, memFileInfo{f}, strings.Count(f.name, "/")+1) {
			continue
		}
		p := "/" + f.name
		return bundle.NewDescriptor(p, p, bytes.NewBuffer(f.data)), nil
	}
	return nil, io.EOF
}

func (m *memLoader) WithFilter(f filter.LoaderFilter) bundle.DirectoryLoader {
	m.filter = f
	return m
}
func (m *memLoader) WithPathFormat(bundle.PathFormat) bundle.DirectoryLoader { return m }
func (m *memLoader) WithSizeLimitBytes(int64) bundle.DirectoryLoader         { return m }
func (m *memLoader) WithFollowSymlinks(bool) bundle.DirectoryLoader          { return m }

type memFileInfo struct{ f bundleFile }

func (i memFileInfo) Name() string       { return path.Base(i.f.name) }
func (i memFileInfo) Size() int64        { return int64(len(i.f.data)) }
func (i memFileInfo) Mode() fs.FileMode  { return 0o444 }
func (i memFileInfo) ModTime() time.Time { return time.Time{} }
func (i memFileInfo) IsDir() bool        { return false }
func (i memFileInfo) Sys() any           { return nil }
