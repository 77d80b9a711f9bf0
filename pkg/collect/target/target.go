// Package target turns the user's description of where an artefact will
// run (--target, --target-libc, --target-static) into facts.
package target

import (
	"fmt"
	"strings"

	"github.com/gopolicy/gopolicy/pkg/collect/libc"
	"github.com/gopolicy/gopolicy/pkg/facts"
)

// knownOS and knownArch are the values the go command accepts for GOOS and
// GOARCH (go tool dist list).
var knownOS = set("aix", "android", "darwin", "dragonfly", "freebsd", "illumos", "ios", "js", "linux", "netbsd", "openbsd", "plan9", "solaris", "wasip1", "windows")
var knownArch = set("386", "amd64", "arm", "arm64", "loong64", "mips", "mips64", "mips64le", "mipsle", "ppc64", "ppc64le", "riscv64", "s390x", "wasm")

func set(vals ...string) map[string]bool {
	m := make(map[string]bool, len(vals))
	for _, v := range vals {
		m[v] = true
	}
	return m
}

// Spec is what the user said about the target.
type Spec struct {
	Platform string // "linux/amd64"
	Libc     string // "glibc:2.31", "glibc", "musl", "none"
	Static   bool
	Source   string // "flag" or "config"
}

// Build validates a Spec and returns the target facts. An empty Spec
// yields an unspecified target.
func Build(s Spec) (*facts.Target, error) {
	t := &facts.Target{Libc: facts.Libc{Flavour: facts.LibcUnknown}, Static: s.Static}
	if s.Platform == "" && s.Libc == "" && !s.Static {
		return t, nil
	}
	t.Specified = true
	t.Source = s.Source
	if s.Platform != "" {
		goos, goarch, ok := strings.Cut(s.Platform, "/")
		if !ok || !knownOS[goos] || !knownArch[goarch] {
			return nil, fmt.Errorf("invalid target %q: want GOOS/GOARCH such as linux/amd64", s.Platform)
		}
		t.OS, t.Arch = goos, goarch
	}
	if s.Libc != "" {
		l, err := ParseLibc(s.Libc)
		if err != nil {
			return nil, err
		}
		t.Libc = l
	}
	return t, nil
}

// ParseLibc parses "glibc:2.31", "glibc", "musl", "musl:1.2.4" or "none".
func ParseLibc(s string) (facts.Libc, error) {
	flavour, ver, hasVer := strings.Cut(s, ":")
	switch flavour {
	case facts.LibcGlibc, facts.LibcMusl:
	case facts.LibcNone:
		if hasVer {
			return facts.Libc{}, fmt.Errorf("invalid target libc %q: none takes no version", s)
		}
	default:
		return facts.Libc{}, fmt.Errorf("invalid target libc %q: want glibc[:VERSION], musl[:VERSION] or none", s)
	}
	if hasVer && !libc.IsVersion(ver) {
		return facts.Libc{}, fmt.Errorf("invalid target libc %q: version must be dotted numbers such as 2.31", s)
	}
	return facts.Libc{Flavour: flavour, Version: ver}, nil
}
