package goenv

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gopolicy/gopolicy/internal/quoted"
	"github.com/gopolicy/gopolicy/pkg/facts"
)

// goFlagNames are the flags of every go1.26 subcommand: base.InitGOFLAGS
// refuses a GOFLAGS entry that names none of them, and then every go
// command fails. The list was taken from cmd/go and each name checked
// with the go command (GOFLAGS=-NAME=1 go version); TestGoFlagNames
// checks it again against the installed go command.
var goFlagNames = set(`C a artifacts asan asmflags bench benchmem benchtime blockprofile
		blockprofilerate buildmode buildvcs c cache changed compat compiled compiler count cover covermode
		coverpkg coverprofile cpu cpuprofile d debug-actiongraph debug-runtime-trace debug-trace deps diff
		dropexclude dropgodebug dropignore dropreplace droprequire dropretract droptool dropuse e exclude exec
		export f failfast find fix fmt fullpath fuzz fuzzcache fuzzminimizetime fuzztime gccgoflags gcflags go
		godebug i ignore insecure installsuffix json ldflags linkshared list m memprofile memprofilerate mod
		modcache modcacherw modfile module msan mutexprofile mutexprofilefraction n o outputdir overlay p
		parallel pgo pkgdir print r race replace require retract retracted reuse run short shuffle skip t tags
		test testcache timeout tool toolchain toolexec trace trimpath u use v vendor versions vet w work x
		test.artifacts test.bench test.benchmem test.benchtime test.blockprofile test.blockprofilerate
		test.count test.coverprofile test.cpu test.cpuprofile test.failfast test.fullpath test.fuzz
		test.fuzzminimizetime test.fuzztime test.list test.memprofile test.memprofilerate test.mutexprofile
		test.mutexprofilefraction test.outputdir test.parallel test.run test.short test.shuffle test.skip
		test.timeout test.trace test.v`)

// buildBoolFlags and buildValueFlags are go build's flags (go1.26), by
// kind: the go command sets every GOFLAGS entry a command has, so for
// go build a boolean one with a value that is not a boolean, or a value
// one without "=value", fails every build. Flags only other commands take
// (go list's -f and -e, go test's) fail only those commands: their
// values are not judged.
var (
	buildBoolFlags  = set("a asan buildvcs cover json linkshared modcacherw msan n race trimpath v work x")
	buildValueFlags = set("C asmflags buildmode compiler covermode coverpkg debug-actiongraph debug-runtime-trace debug-trace gccgoflags gcflags installsuffix ldflags mod modfile o overlay p pgo pkgdir tags toolexec")
)

func set(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// GoFlagNames lists the flag names the go command accepts in GOFLAGS.
func GoFlagNames() []string {
	out := make([]string, 0, len(goFlagNames))
	for n := range goFlagNames {
		out = append(out, n)
	}
	return out
}

// ParseGOFLAGS splits GOFLAGS with the go command's quoting rules
// (space-separated; single or double quotes group a word) and marks every
// entry the go command refuses, as base.InitGOFLAGS and go build's flag
// set do: a word that is not a flag ("-", "--", "---mod=mod", "-=x",
// "mod=mod"), a flag no go command has ("-typoflag"), -C (it must come
// first on a command line), a go build flag that needs a value without
// one or a boolean one with another value, -p that is not a number, and
// -mod with a mode the go command does not support.
func ParseGOFLAGS(v string) []facts.GoFlag {
	flags := []facts.GoFlag{}
	words, err := quoted.Split(v)
	if err != nil {
		return append(flags, facts.GoFlag{Raw: v, Error: "parsing $GOFLAGS: " + err.Error()})
	}
	for _, w := range words {
		f := facts.GoFlag{Raw: w}
		if !strings.HasPrefix(w, "-") || w == "-" || w == "--" || strings.HasPrefix(w, "---") || strings.HasPrefix(w, "-=") || strings.HasPrefix(w, "--=") {
			f.Error = fmt.Sprintf("parsing $GOFLAGS: non-flag %q", w)
			flags = append(flags, f)
			continue
		}
		name := strings.TrimPrefix(w[1:], "-")
		if n, val, ok := strings.Cut(name, "="); ok {
			name, f.Value, f.HasValue = n, val, true
		}
		f.Name = name
		switch {
		case !goFlagNames[name]:
			f.Error = "parsing $GOFLAGS: unknown flag -" + name
		case name == "C":
			f.Error = fmt.Sprintf("invalid value %q for flag -C (from $GOFLAGS): -C flag must be first flag on command line", f.Value)
		case buildValueFlags[name] && !f.HasValue:
			f.Error = fmt.Sprintf("flag needs an argument: -%s (from $GOFLAGS)", name)
		case buildBoolFlags[name] && f.HasValue && !isBool(f.Value) && !(name == "buildvcs" && f.Value == "auto"):
			f.Error = fmt.Sprintf("invalid boolean value %q for flag -%s (from $GOFLAGS)", f.Value, name)
		case name == "p" && !isInt(f.Value):
			f.Error = fmt.Sprintf("invalid value %q for flag -p (from $GOFLAGS): parse error", f.Value)
		case name == "mod" && f.Value != "" && f.Value != "mod" && f.Value != "readonly" && f.Value != "vendor":
			f.Error = fmt.Sprintf("-mod=%s not supported (can be '', 'mod', 'readonly', or 'vendor')", f.Value)
		}
		flags = append(flags, f)
	}
	return flags
}

func isBool(v string) bool {
	_, err := strconv.ParseBool(v)
	return err == nil
}

func isInt(v string) bool {
	_, err := strconv.ParseInt(v, 0, strconv.IntSize)
	return err == nil
}

// ModFlagOf returns the -mod GOFLAGS sets: the last one wins, as when a
// flag is repeated on a command line; nil when there is none. An empty
// -mod= after a value leaves the go command in an undocumented state
// (the flag counts as given, with no mode); it is reported with an empty
// value.
func ModFlagOf(flags []facts.GoFlag) *facts.ModFlag {
	var m *facts.ModFlag
	for i, f := range flags {
		if f.Name == "mod" && f.HasValue {
			if f.Value == "" && m == nil {
				continue // -mod= alone is the default
			}
			m = &facts.ModFlag{Value: f.Value, Index: i}
		}
	}
	return m
}
