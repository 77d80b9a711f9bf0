package binary

import (
	"bytes"
	"encoding/binary"
	"io"
	"io/fs"

	"github.com/gopolicy/gopolicy/internal/safeio"
	"github.com/gopolicy/gopolicy/pkg/facts"
)

// headerSize is how much of a file classification reads.
const headerSize = 512

// Classify says what a file is from its mode and first bytes (up to
// headerSize), before any parsing:
//
//   - not a regular file: special (never read);
//   - an ELF, PE (MZ) or Mach-O magic number, whatever the mode: an
//     executable (a copy that lost its mode still runs after chmod, and
//     dropping the bit must not hide a binary);
//   - an execute bit and "#!": a script, which the kernel runs;
//   - an execute bit and binary content (a NUL byte in the header): an
//     executable in a format gopolicy does not read;
//   - anything else, including text with an execute bit but no "#!"
//     (execve refuses it; some filesystems mark every file executable):
//     not an executable.
func Classify(header []byte, mode fs.FileMode) string {
	switch {
	case !mode.IsRegular():
		return facts.KindSpecial
	case formatOf(header) != facts.FormatUnknown:
		return facts.KindExecutable
	case mode&0o111 == 0:
		return facts.KindNotExecutable
	case bytes.HasPrefix(header, []byte("#!")):
		return facts.KindScript
	case bytes.IndexByte(header, 0) >= 0:
		return facts.KindOtherExecutable
	}
	return facts.KindNotExecutable
}

// LooksExecutable is true for the kinds a directory scan keeps and an
// unreadable file of which is denied: everything but KindNotExecutable.
func LooksExecutable(kind string) bool { return kind != facts.KindNotExecutable }

// formatOf names the executable format a header's magic number announces.
func formatOf(h []byte) string {
	switch {
	case len(h) >= 4 && bytes.Equal(h[:4], []byte("\x7fELF")):
		return facts.FormatELF
	case len(h) >= 2 && h[0] == 'M' && h[1] == 'Z':
		return facts.FormatPE
	case len(h) >= 4 && isMachO(h):
		return facts.FormatMachO
	}
	return facts.FormatUnknown
}

func isMachO(h []byte) bool {
	switch string(h[:4]) {
	case "\xfe\xed\xfa\xce", "\xce\xfa\xed\xfe", "\xfe\xed\xfa\xcf", "\xcf\xfa\xed\xfe":
		return true
	case "\xca\xfe\xba\xbe":
		// A fat (universal) binary shares its magic with Java class files;
		// file(1) tells them apart by the count that follows: a fat header
		// lists a handful of architectures, a class file's version is 45+.
		if len(h) < 8 {
			return true
		}
		n := binary.BigEndian.Uint32(h[4:8])
		return n > 0 && n < 30
	}
	return false
}

// readHeader reads up to headerSize bytes from the start of r.
func readHeader(r io.ReaderAt) []byte {
	buf := make([]byte, headerSize)
	n, _ := r.ReadAt(buf, 0)
	return buf[:n]
}

// classifyPath classifies a file in a directory scan. A file that cannot
// be opened is kept ("" kind): Collect reports why.
func classifyPath(p string, mode fs.FileMode) string {
	if !mode.IsRegular() {
		return facts.KindSpecial
	}
	f, err := safeio.Open(p)
	if err != nil {
		return ""
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return ""
	}
	return Classify(readHeader(f), fi.Mode())
}
