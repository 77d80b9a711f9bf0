package binary

import (
	"debug/buildinfo"
	"io"
	"regexp"
	"runtime/debug"
	"strings"

	"github.com/gopolicy/gopolicy/pkg/facts"
)

var goVersionBase = regexp.MustCompile(`^go\d+\.\d+(\.\d+)?((rc|beta)\d+)?`)

// archLevelVar names the GOARCH-specific variable recorded in build info.
var archLevelVar = map[string]string{
	"amd64": "GOAMD64", "arm": "GOARM", "arm64": "GOARM64", "386": "GO386",
	"mips": "GOMIPS", "mipsle": "GOMIPS", "mips64": "GOMIPS64", "mips64le": "GOMIPS64",
	"ppc64": "GOPPC64", "ppc64le": "GOPPC64", "riscv64": "GORISCV64", "wasm": "GOWASM",
}

// readBuildInfo reads the build-info blob that the go command embeds.
// buildinfo.Read finds it from the headers; it does not scan the file.
func readBuildInfo(r io.ReaderAt) *facts.GoBuild {
	g := &facts.GoBuild{Deps: []facts.ModuleRef{}, Settings: []facts.BuildSetting{}, Tags: []string{}, XAssignments: []facts.XAssignment{}}
	bi, err := buildinfo.Read(r)
	if err != nil {
		g.Error = err.Error()
		return g
	}
	g.IsGo = true
	g.GoVersion = bi.GoVersion
	g.GoVersionBase = goVersionBase.FindString(bi.GoVersion)
	g.Path = bi.Path
	if bi.Main.Path != "" {
		g.HasModuleInfo = true
		m := moduleRef(bi.Main)
		g.Main = &m
	}
	for _, d := range bi.Deps {
		g.Deps = append(g.Deps, moduleRef(*d))
	}
	for _, s := range bi.Settings {
		value := s.Value
		if s.Key == "-ldflags" {
			// Credentials passed with -X are replaced before they are
			// stored anywhere, here and in the setting itself.
			value, g.XAssignments, g.StripSymbols, g.StripDWARF = RedactLDFlags(value)
			g.LDFlags, g.LDFlagsRecorded = value, true
		}
		g.Settings = append(g.Settings, facts.BuildSetting{Key: s.Key, Value: value})
		applySetting(g, s.Key, value)
	}
	if lvl, ok := archLevelVar[g.GOARCH]; ok {
		for _, s := range bi.Settings {
			if s.Key == lvl {
				g.ArchLevel = map[string]string{lvl: s.Value}
			}
		}
	}
	return g
}

func moduleRef(m debug.Module) facts.ModuleRef {
	ref := facts.ModuleRef{Path: m.Path, Version: m.Version, Sum: m.Sum}
	if m.Replace != nil {
		r := moduleRef(*m.Replace)
		ref.Replace = &r
	}
	return ref
}

func applySetting(g *facts.GoBuild, key, value string) {
	switch key {
	case "-buildmode":
		g.BuildMode = value
	case "-compiler":
		g.Compiler = value
	case "CGO_ENABLED":
		g.CGOEnabled = value
	case "GOOS":
		g.GOOS = value
	case "GOARCH":
		g.GOARCH = value
	case "-tags":
		g.Tags = strings.Split(value, ",")
	case "-trimpath":
		g.Trimpath = value == "true"
	case "-gcflags":
		g.GCFlags = value
	case "GOEXPERIMENT":
		g.GOEXPERIMENT = value
	case "DefaultGODEBUG":
		g.DefaultGODEBUG = map[string]string{}
		for _, kv := range strings.Split(value, ",") {
			if k, v, ok := strings.Cut(kv, "="); ok {
				g.DefaultGODEBUG[k] = v
			}
		}
	case "vcs":
		g.VCS = value
	case "vcs.revision":
		g.VCSRevision = value
	case "vcs.time":
		g.VCSTime = value
	case "vcs.modified":
		g.VCSModified = value
	}
}

// ParseLDFlags extracts -X assignments and the strip flags from the
// -ldflags value as build info records it (the go command's quoting).
// The values are as recorded: collection uses RedactLDFlags.
func ParseLDFlags(s string) (xs []facts.XAssignment, stripSymbols, stripDWARF bool) {
	args, stripSymbols, stripDWARF := parseLDFlags(s)
	xs = make([]facts.XAssignment, 0, len(args))
	for _, a := range args {
		xs = append(xs, a.x)
	}
	return xs, stripSymbols, stripDWARF
}
