package main

import (
	"debug/elf"
	"encoding/binary"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/rogpeppe/go-internal/testscript"
)

// Script commands for the hostile-input scripts (security_binary_*,
// security_rootfs_*): files that a txtar archive cannot hold.

// mkfifo PATH makes a named pipe; nothing ever writes to it, so a plain
// open for reading blocks forever.
func cmdMkfifo(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: mkfifo PATH")
	}
	p := ts.MkAbs(args[0])
	ts.Check(os.MkdirAll(filepath.Dir(p), 0o755))
	ts.Check(syscall.Mkfifo(p, 0o755))
}

// mksock PATH leaves a Unix socket file at PATH (no one listens on it).
func cmdMksock(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: mksock PATH")
	}
	p := ts.MkAbs(args[0])
	ts.Check(os.MkdirAll(filepath.Dir(p), 0o755))
	// Socket paths are short: listen from the directory.
	wd, err := os.Getwd()
	ts.Check(err)
	ts.Check(os.Chdir(filepath.Dir(p)))
	defer os.Chdir(wd)
	l, err := net.Listen("unix", filepath.Base(p))
	ts.Check(err)
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	ts.Check(l.Close())
}

// cutfile IN N OUT writes the first N bytes of IN to OUT, executable: a
// truncated download or an interrupted copy.
func cmdCutfile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: cutfile IN N OUT")
	}
	data, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	n, err := strconv.Atoi(args[1])
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[2]), data[:min(n, len(data))], 0o755))
}

// elfbreak IN OUT past-eof|bad-shstrndx|no-sections writes IN to OUT
// with its section table moved past the end of the file, its section name
// table index out of range, or removed (as sstrip does). The program
// headers, all the loader reads, are untouched: OUT still runs.
func cmdElfbreak(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: elfbreak IN OUT past-eof|bad-shstrndx|no-sections")
	}
	data, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	f, err := elf.NewFile(bytesReaderAt(data))
	ts.Check(err)
	if f.Class != elf.ELFCLASS64 || f.ByteOrder != binary.LittleEndian {
		ts.Fatalf("elfbreak handles 64-bit little-endian files only")
	}
	le := binary.LittleEndian
	switch args[2] {
	case "past-eof":
		le.PutUint64(data[0x28:], uint64(len(data))+4096)
	case "bad-shstrndx":
		le.PutUint16(data[0x3e:], 0xfff0)
	case "no-sections":
		le.PutUint64(data[0x28:], 0)
		le.PutUint16(data[0x3c:], 0)
		le.PutUint16(data[0x3e:], 0)
	default:
		ts.Fatalf("unknown breakage %q", args[2])
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), data, 0o755))
}

type bytesReaderAt []byte

func (b bytesReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(b)) {
		return 0, os.ErrInvalid
	}
	n := copy(p, b[off:])
	if n < len(p) {
		return n, os.ErrInvalid
	}
	return n, nil
}
