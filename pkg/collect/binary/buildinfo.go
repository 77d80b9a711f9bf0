package binary

import (
	"debug/buildinfo"
	"io"
	"regexp"
	"runtime/debug"
	"strings"

	"github.com/gopolicy/gopolicy/internal/quoted"
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
		g.Settings = append(g.Settings, facts.BuildSetting{Key: s.Key, Value: s.Value})
		applySetting(g, s.Key, s.Value)
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
	case "-ldflags":
		g.LDFlags = value
		g.LDFlagsRecorded = true
		g.XAssignments, g.StripSymbols, g.StripDWARF = ParseLDFlags(value)
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
func ParseLDFlags(s string) (xs []facts.XAssignment, stripSymbols, stripDWARF bool) {
	xs = []facts.XAssignment{}
	words, err := quoted.Split(s)
	if err != nil {
		words = strings.Fields(s)
	}
	for i := 0; i < len(words); i++ {
		w := strings.TrimPrefix(words[i], "-")
		w = strings.TrimPrefix(w, "-")
		var arg string
		switch {
		case w == "X" && i+1 < len(words):
			i++
			arg = words[i]
		case strings.HasPrefix(w, "X="):
			arg = w[2:]
		case w == "s" || w == "s=true":
			stripSymbols, stripDWARF = true, true
			continue
		case w == "w" || w == "w=true":
			stripDWARF = true
			continue
		default:
			continue
		}
		if sym, val, ok := strings.Cut(arg, "="); ok {
			xs = append(xs, facts.XAssignment{Symbol: sym, Value: val})
		}
	}
	return xs, stripSymbols, stripDWARF
}
