// Package safeio opens files that someone else controls: a repository, an
// image, a bundle, a facts document. Every read is of a regular file (a
// FIFO, socket or device named go.mod must not block or stream forever),
// checked without blocking, and bounded in size.
package safeio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// ErrTooLarge is a file over the size cap.
var ErrTooLarge = errors.New("file too large")

// ErrNotRegular is a path that names something other than a regular
// file: a directory, a named pipe, a socket, a device.
var ErrNotRegular = errors.New("not a regular file")

// Limit errors say what the file was and what the cap is.
type LimitError struct {
	Path string
	// Kind describes what the path is ("a named pipe (FIFO)", "a
	// 5.2 GB file") for the message.
	Kind string
	Max  int64
	Err  error
}

func (e *LimitError) Error() string {
	if errors.Is(e.Err, ErrTooLarge) {
		return fmt.Sprintf("%s: %s is larger than the %s limit", e.Path, e.Kind, Size(e.Max))
	}
	return fmt.Sprintf("%s: is %s, not a regular file", e.Path, e.Kind)
}

func (e *LimitError) Unwrap() error { return e.Err }

// Open opens path for reading if it is a regular file. It opens with
// O_NONBLOCK, so opening a FIFO with no writer returns at once instead of
// waiting for one, then refuses anything fstat does not call regular.
// Symbolic links are followed; callers confined to a root resolve the
// path inside it first.
func Open(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, &LimitError{Path: path, Kind: Describe(fi.Mode()), Err: ErrNotRegular}
	}
	return f, nil
}

// ReadFile reads a regular file of at most max bytes. The size is checked
// before reading and the read itself is bounded, so a file that grows, or
// lies about its size, cannot exhaust memory either.
func ReadFile(path string, max int64) ([]byte, error) {
	f, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadAll(f, path, max)
}

// ReadAll reads at most max bytes from r; more is a *LimitError.
func ReadAll(r io.Reader, name string, max int64) ([]byte, error) {
	if f, ok := r.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() > max {
			return nil, &LimitError{Path: name, Kind: "a " + Size(fi.Size()) + " file", Max: max, Err: ErrTooLarge}
		}
	}
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, &LimitError{Path: name, Kind: "input", Max: max, Err: ErrTooLarge}
	}
	return data, nil
}

// Describe names a file mode for a message.
func Describe(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m&fs.ModeIrregular != 0:
		return "an irregular file"
	}
	return "a regular file"
}

// Size renders a byte count for people: 512 B, 64 KiB, 4 MiB, 2 GiB.
func Size(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	v := float64(n) / float64(div)
	if v == float64(int64(v)) {
		return fmt.Sprintf("%d %ciB", int64(v), "KMGTPE"[exp])
	}
	return fmt.Sprintf("%.1f %ciB", v, "KMGTPE"[exp])
}

// Limits caps what gopolicy reads from any one input. The defaults are
// generous for real projects (moby's go.sum is 100 KiB, kubernetes' 80
// KiB) and far below what would exhaust memory.
type Limits struct {
	// ModuleFile: go.mod, vendor.mod, go.work.
	ModuleFile int64 `json:"module_file"`
	// SumFile: go.sum, vendor.sum, go.work.sum.
	SumFile int64 `json:"sum_file"`
	// ModulesTxt: vendor/modules.txt.
	ModulesTxt int64 `json:"modules_txt"`
	// EnvFile: the GOENV file and $GOROOT/go.env.
	EnvFile int64 `json:"env_file"`
	// Config: gopolicy.yaml and waiver files.
	Config int64 `json:"config"`
	// Facts: a facts document.
	Facts int64 `json:"facts"`
	// Key: a PEM key file.
	Key int64 `json:"key"`
	// SystemFile: a rootfs's os-release, ld.so.conf and its includes.
	SystemFile int64 `json:"system_file"`
	// Binary: a binary's size; only hashing reads it whole, and streams.
	Binary int64 `json:"binary"`
	// Problems is how many problems one file reports line by line; the
	// rest are counted.
	Problems int `json:"problems"`
}

// DefaultLimits are the caps when nothing is configured.
func DefaultLimits() Limits {
	return Limits{
		ModuleFile: 16 << 20,
		SumFile:    64 << 20,
		ModulesTxt: 64 << 20,
		EnvFile:    1 << 20,
		Config:     4 << 20,
		Facts:      256 << 20,
		Key:        64 << 10,
		SystemFile: 1 << 20,
		Binary:     8 << 30,
		Problems:   100,
	}
}

// Or fills the zero fields of l from d.
func (l Limits) Or(d Limits) Limits {
	pick := func(a, b int64) int64 {
		if a > 0 {
			return a
		}
		return b
	}
	out := Limits{
		ModuleFile: pick(l.ModuleFile, d.ModuleFile),
		SumFile:    pick(l.SumFile, d.SumFile),
		ModulesTxt: pick(l.ModulesTxt, d.ModulesTxt),
		EnvFile:    pick(l.EnvFile, d.EnvFile),
		Config:     pick(l.Config, d.Config),
		Facts:      pick(l.Facts, d.Facts),
		Key:        pick(l.Key, d.Key),
		SystemFile: pick(l.SystemFile, d.SystemFile),
		Binary:     pick(l.Binary, d.Binary),
		Problems:   l.Problems,
	}
	if out.Problems <= 0 {
		out.Problems = d.Problems
	}
	return out
}

type limitsKey struct{}

// WithLimits returns a context carrying the caps for everything read on
// its behalf; collectors read them with LimitsFrom.
func WithLimits(ctx context.Context, l Limits) context.Context {
	return context.WithValue(ctx, limitsKey{}, l.Or(DefaultLimits()))
}

// LimitsFrom returns the caps a context carries, or the defaults.
func LimitsFrom(ctx context.Context) Limits {
	if l, ok := ctx.Value(limitsKey{}).(Limits); ok {
		return l
	}
	return DefaultLimits()
}
