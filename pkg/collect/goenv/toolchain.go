package goenv

import (
	"fmt"
	"go/version"
	"strings"

	"github.com/gopolicy/gopolicy/pkg/facts"
)

// ParseGOTOOLCHAIN reads GOTOOLCHAIN as cmd/go/internal/toolchain.Select
// does: "local", "auto", "path", a toolchain name ("go1.22.3",
// "go1.99.1-bigcorp"), or "local" or a name followed by "+auto" or
// "+path". The go command refuses anything else before running any
// command, and refuses a pinned language version ("go1.21", which names
// no release) when it has to fetch it.
func ParseGOTOOLCHAIN(v string) *facts.Toolchain {
	return parseGOTOOLCHAIN(v, func(string) string { return "" })
}

// parseGOTOOLCHAIN is ParseGOTOOLCHAIN with a PATH lookup: a toolchain
// found on PATH is run from there (toolchain.Exec), so a language version
// on PATH is not refused.
func parseGOTOOLCHAIN(v string, lookPath func(string) string) *facts.Toolchain {
	t := &facts.Toolchain{Raw: v}
	switch v {
	case "", "local":
		// An unset GOTOOLCHAIN (only when $GOROOT/go.env lacks it) also
		// runs the local go command.
		t.Mode = facts.ToolchainLocal
		return t
	case "auto":
		t.Mode = facts.ToolchainAuto
		return t
	case "path":
		t.Mode = facts.ToolchainPath
		return t
	}
	min, suffix, plus := strings.Cut(v, "+")
	if plus && suffix != "auto" && suffix != "path" {
		t.Error = fmt.Sprintf("invalid GOTOOLCHAIN %q: only version suffixes are +auto and +path", v)
		return t
	}
	if min != "local" {
		ver := ToolchainVersion(min)
		switch {
		case ver == "" && plus:
			t.Error = fmt.Sprintf("invalid GOTOOLCHAIN %q: invalid minimum toolchain %q", v, min)
			return t
		case ver == "":
			t.Error = fmt.Sprintf("invalid GOTOOLCHAIN %q", v)
			return t
		}
		t.Name, t.Version = min, ver
		t.OnPath = lookPath(min)
	}
	switch {
	case plus:
		t.Mode = suffix
	case min == "local":
		t.Mode = facts.ToolchainLocal
	default:
		t.Mode = facts.ToolchainPinned
		if !strings.HasPrefix(min, "go1") && !strings.Contains(min, "-go1") {
			t.Error = fmt.Sprintf("invalid GOTOOLCHAIN %q", v)
		} else if IsLanguageVersion(t.Version) && t.OnPath == "" {
			t.Error = fmt.Sprintf("invalid toolchain: %s is a language version but not a toolchain version (%s.x)", min, min)
		}
	}
	return t
}

// ToolchainVersion is the Go version a toolchain name stands for, as
// gover.FromToolchain reads it: "go1.22.3" and "go1.22.3-bigcorp" are
// 1.22.3; "" when the name is not a toolchain.
func ToolchainVersion(name string) string {
	if strings.ContainsAny(name, `\/`) {
		return ""
	}
	v, ok := strings.CutPrefix(name, "go")
	if !ok {
		return ""
	}
	if i := strings.IndexAny(v, " \t-"); i >= 0 {
		v = v[:i]
	}
	if !version.IsValid("go" + v) {
		return ""
	}
	return v
}

// IsLanguageVersion reports whether v ("1.21") names a language version
// rather than a release ("1.21.0", "1.21rc1"); from Go 1.21 on the two
// differ and no toolchain is called by the language version's name.
func IsLanguageVersion(v string) bool {
	return version.Lang("go"+v) == "go"+v && version.Compare("go"+v, "go1.21") >= 0
}
