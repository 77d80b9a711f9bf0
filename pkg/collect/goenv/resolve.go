// Package goenv computes the effective Go environment the way the go command
// does, recording for every variable which layer supplied it.
//
// The go command's rules (cmd/go/internal/cfg): a non-empty process variable
// wins; otherwise the user GOENV file ($GOENV, or os.UserConfigDir()/go/env;
// GOENV=off disables it); otherwise $GOROOT/go.env; otherwise a built-in
// default. An empty process variable does not override the files.
package goenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/gopolicy/gopolicy/internal/safeio"
	"github.com/gopolicy/gopolicy/pkg/facts"
)

// Vars are the variables gopolicy records. The order matters: a default
// may only depend on variables earlier in the list.
var Vars = []string{
	"GOPROXY", "GOSUMDB", "GOPRIVATE", "GONOSUMDB", "GONOPROXY", "GOINSECURE",
	"GOFLAGS", "GOTOOLCHAIN", "GOWORK", "GOVCS", "GOAUTH",
	"GOOS", "GOARCH", "CGO_ENABLED",
	"GOAMD64", "GOARM", "GOARM64", "GO386", "GOMIPS", "GOMIPS64", "GOPPC64", "GORISCV64", "GOWASM",
	"CC", "CXX", "GOEXPERIMENT", "GOFIPS140", "GODEBUG",
	"GOENV", "GOROOT", "GOPATH", "GOMODCACHE",
	"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY",
}

// processOnly are read from the process environment alone: the go command
// never looks them up in its files (GOENV names the file itself; GODEBUG
// and the proxy variables are read by the runtime and net/http).
var processOnly = map[string]bool{
	"GOENV": true, "GODEBUG": true, "HTTP_PROXY": true, "HTTPS_PROXY": true, "NO_PROXY": true,
}

// Input is everything the resolution depends on, so that tests and callers
// control it completely.
type Input struct {
	// Env is the process environment. A key present with an empty value is
	// recorded as an empty process value.
	Env map[string]string
	// GOOS and GOARCH of the machine, used for defaults. Empty means the
	// machine gopolicy runs on.
	HostOS, HostArch string
}

// EnvFromOS returns the current process environment as a map.
func EnvFromOS() map[string]string {
	env := make(map[string]string)
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	return env
}

// Resolved is the outcome of resolution: the facts plus the problems met.
type Resolved struct {
	Env      *facts.GoEnv
	Problems []facts.Problem
	// raw holds the effective values before secrets were redacted from
	// the facts, for comparing with the go command; secrets the redacted
	// strings per variable.
	raw     map[string]string
	secrets map[string][]string
}

// Value returns the effective value of a variable, as the facts record
// it: with any credential it carried redacted.
func (r *Resolved) Value(name string) string { return r.Env.Vars[name].Value }

type fileValue struct {
	value string
	line  int
}

// Resolve computes the effective environment. It reads the two
// configuration files and never runs the go command.
func Resolve(ctx context.Context, in Input) *Resolved {
	hostOS, hostArch := in.HostOS, in.HostArch
	if hostOS == "" {
		hostOS = runtime.GOOS
	}
	if hostArch == "" {
		hostArch = runtime.GOARCH
	}
	res := &Resolved{Env: &facts.GoEnv{Vars: map[string]facts.EnvVar{}}, raw: map[string]string{}}
	env := res.Env
	maxEnv := safeio.LimitsFrom(ctx).EnvFile

	userFile, userFileErr := envFile(in.Env, hostOS)
	env.GOENVFile = userFile
	var user map[string]fileValue
	if userFile != "" {
		var err error
		user, err = readEnvFile(userFile, maxEnv)
		switch {
		case err == nil:
			env.GOENVFileFound = true
		case errors.Is(err, fs.ErrNotExist):
		default:
			res.Problems = append(res.Problems, facts.Problem{Path: userFile, Message: fmt.Sprintf("read GOENV file: %v", err)})
		}
	} else if userFileErr != "GOENV=off" {
		// Like the go command (cfg.EnvFile): without a user configuration
		// directory (a relative $XDG_CONFIG_HOME, no $HOME) there is no
		// user file, and that is not an error.
		env.GOENVFileError = userFileErr
	}

	goroot := findGOROOT(in.Env, user)
	var gorootEnv map[string]fileValue
	if goroot != "" {
		env.GoRootEnvFile = filepath.Join(goroot, "go.env")
		var err error
		gorootEnv, err = readEnvFile(env.GoRootEnvFile, maxEnv)
		switch {
		case err == nil:
			env.GoRootEnvFileFound = true
		case errors.Is(err, fs.ErrNotExist):
		default:
			res.Problems = append(res.Problems, facts.Problem{Path: env.GoRootEnvFile, Message: fmt.Sprintf("read go.env: %v", err)})
		}
	}

	// Variables are resolved in an order where every default only depends on
	// variables already resolved.
	d := defaults{hostOS: hostOS, hostArch: hostArch, env: in.Env, goroot: goroot, goenvFile: userFile}
	for _, name := range Vars {
		v := resolveVar(name, in.Env, user, userFile, gorootEnv, env.GoRootEnvFile)
		if v.Value == "" {
			// cfg.EnvOr: an empty value, from whichever layer, means the
			// built-in default.
			if def, from, ok := d.value(name, env.Vars); ok && def != "" {
				v.Value, v.Source, v.DefaultFrom, v.File, v.Line = def, facts.SourceDefault, from, "", 0
			}
		}
		if name == "GOENV" && v.Value == "off" {
			// Like go env, report the file in use: none.
			v.Value = ""
		}
		v.Origin = origin(v)
		env.Vars[name] = v
		if c, ok := conflict(name, v); ok {
			env.Conflicts = append(env.Conflicts, c)
		}
	}
	env.GoProxy = ParseGOPROXY(env.Vars["GOPROXY"].Value)
	env.GoSumDB = ParseGOSUMDB(env.Vars["GOSUMDB"].Value)
	env.GoFlags = ParseGOFLAGS(env.Vars["GOFLAGS"].Value)
	env.ModFlag = ModFlagOf(env.GoFlags)
	env.Toolchain = parseGOTOOLCHAIN(env.Vars["GOTOOLCHAIN"].Value, func(name string) string { return LookPath(name, in.Env) })
	if env.Conflicts == nil {
		env.Conflicts = []facts.EnvConflict{}
	}
	env.GoCommand.Disagreements = []facts.EnvDisagreement{}
	for name, v := range env.Vars {
		res.raw[name] = v.Value
	}
	res.secrets = redactEnv(env)
	return res
}

// envFile mirrors cfg.EnvFile: $GOENV, else the user config dir.
func envFile(env map[string]string, goos string) (string, string) {
	if file := env["GOENV"]; file != "" {
		if file == "off" {
			return "", "GOENV=off"
		}
		return file, ""
	}
	dir, err := userConfigDir(env, goos)
	if err != nil {
		return "", err.Error()
	}
	return filepath.Join(dir, "go", "env"), ""
}

// userConfigDir mirrors os.UserConfigDir over an explicit environment.
func userConfigDir(env map[string]string, goos string) (string, error) {
	switch goos {
	case "windows":
		if dir := env["AppData"]; dir != "" {
			return dir, nil
		}
		return "", errors.New("%AppData% is not defined")
	case "darwin", "ios":
		if dir := env["HOME"]; dir != "" {
			return filepath.Join(dir, "Library", "Application Support"), nil
		}
		return "", errors.New("$HOME is not defined")
	case "plan9":
		if dir := env["home"]; dir != "" {
			return filepath.Join(dir, "lib"), nil
		}
		return "", errors.New("$home is not defined")
	}
	if dir := env["XDG_CONFIG_HOME"]; dir != "" {
		if !filepath.IsAbs(dir) {
			return "", errors.New("path in $XDG_CONFIG_HOME is relative")
		}
		return dir, nil
	}
	if dir := env["HOME"]; dir != "" {
		return filepath.Join(dir, ".config"), nil
	}
	return "", errors.New("neither $XDG_CONFIG_HOME nor $HOME are defined")
}

// readEnvFile reads a go env file (a regular file of at most max bytes)
// and parses it with ParseEnvFile.
func readEnvFile(path string, max int64) (map[string]fileValue, error) {
	data, err := safeio.ReadFile(path, max)
	if err != nil {
		return nil, err
	}
	return parseEnvFile(data), nil
}

// EnvFileEntry is one KEY=VALUE line of a go env file.
type EnvFileEntry struct {
	Key, Value string
	Line       int
}

// ParseEnvFile parses a go env file (the GOENV file or $GOROOT/go.env)
// exactly as the go command does (cfg.readEnvFile): a line is KEY=VALUE
// with KEY starting in A-Z; anything else is ignored; values are taken
// literally, and a later line for the same key wins.
func ParseEnvFile(data []byte) []EnvFileEntry {
	m := parseEnvFile(data)
	out := make([]EnvFileEntry, 0, len(m))
	for k, v := range m {
		out = append(out, EnvFileEntry{Key: k, Value: v.value, Line: v.line})
	}
	return out
}

func parseEnvFile(data []byte) map[string]fileValue {
	m := make(map[string]fileValue)
	lineNo := 0
	for len(data) > 0 {
		lineNo++
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = line[:i], data[i+1:]
		} else {
			data = nil
		}
		i := bytes.IndexByte(line, '=')
		if i < 0 || line[0] < 'A' || 'Z' < line[0] {
			continue
		}
		m[string(line[:i])] = fileValue{value: string(line[i+1:]), line: lineNo}
	}
	return m
}

// findGOROOT mirrors cfg.findGOROOT: the user file's GOROOT, then the
// process GOROOT, then the directory of the go command on PATH.
func findGOROOT(env map[string]string, user map[string]fileValue) string {
	if v := user["GOROOT"].value; v != "" {
		return filepath.Clean(v)
	}
	if v := env["GOROOT"]; v != "" {
		return filepath.Clean(v)
	}
	goExe := LookGo(env)
	if goExe == "" {
		return ""
	}
	if real, err := filepath.EvalSymlinks(goExe); err == nil {
		goExe = real
	}
	for _, up := range []string{"../..", "../../.."} {
		dir := filepath.Join(goExe, up)
		if fi, err := os.Stat(filepath.Join(dir, "pkg", "tool")); err == nil && fi.IsDir() {
			return dir
		}
	}
	return ""
}

// LookGo finds the go command on the PATH of env; "" when there is none.
func LookGo(env map[string]string) string {
	return lookPath("go", env["PATH"])
}

func lookPath(name, pathList string) string {
	if strings.ContainsRune(name, os.PathSeparator) {
		if isExecutable(name) {
			return name
		}
		return ""
	}
	for _, dir := range filepath.SplitList(pathList) {
		if dir == "" {
			continue
		}
		p := filepath.Join(dir, name)
		if runtime.GOOS == "windows" {
			p += ".exe"
		}
		if isExecutable(p) {
			return p
		}
	}
	return ""
}

// LookPath finds a command on the PATH of env without consulting the
// process environment, so resolution stays hermetic.
func LookPath(name string, env map[string]string) string { return lookPath(name, env["PATH"]) }

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	if err != nil || fi.IsDir() {
		return false
	}
	return runtime.GOOS == "windows" || fi.Mode()&0o111 != 0
}

func resolveVar(name string, env map[string]string, user map[string]fileValue, userFile string, goroot map[string]fileValue, gorootFile string) facts.EnvVar {
	v := facts.EnvVar{Source: facts.SourceUnset, Layers: []facts.EnvLayer{}}
	procVal, procSet := env[name]
	if procSet {
		v.Layers = append(v.Layers, facts.EnvLayer{Source: facts.SourceProcess, Value: procVal})
	}
	if !processOnly[name] {
		if fv, ok := user[name]; ok {
			v.Layers = append(v.Layers, facts.EnvLayer{Source: facts.SourceGoEnv, Value: fv.value, File: userFile, Line: fv.line})
		}
		if fv, ok := goroot[name]; ok && name != "GOROOT" {
			v.Layers = append(v.Layers, facts.EnvLayer{Source: facts.SourceGoRoot, Value: fv.value, File: gorootFile, Line: fv.line})
		}
	}
	for _, l := range v.Layers {
		// An empty process value does not count (cfg.Getenv). A file line
		// does, even an empty one: `go env -w GOPROXY=` writes one, which
		// hides $GOROOT/go.env's value (cfg.readEnvFile).
		if l.Source == facts.SourceProcess && l.Value == "" {
			continue
		}
		v.Value, v.Source, v.File, v.Line = l.Value, l.Source, l.File, l.Line
		break
	}
	return v
}

type defaults struct {
	hostOS, hostArch string
	env              map[string]string
	goroot           string
	goenvFile        string
}

// value returns the go command's built-in default for name, and the
// variable it was derived from when it copies another one.
func (d defaults) value(name string, resolved map[string]facts.EnvVar) (string, string, bool) {
	switch name {
	case "GOENV":
		if d.goenvFile != "" {
			return d.goenvFile, "", true
		}
		return "off", "", true
	case "GONOPROXY", "GONOSUMDB":
		if p := resolved["GOPRIVATE"].Value; p != "" {
			return p, "GOPRIVATE", true
		}
	case "GOOS":
		return d.hostOS, "", true
	case "GOARCH":
		return d.hostArch, "", true
	case "GOAUTH":
		return "netrc", "", true
	case "GOAMD64":
		return "v1", "", true
	case "GOARM":
		return "7", "", true
	case "GOARM64":
		return "v8.0", "", true
	case "GO386":
		return "sse2", "", true
	case "GOMIPS", "GOMIPS64":
		return "hardfloat", "", true
	case "GOPPC64":
		return "power8", "", true
	case "GORISCV64":
		return "rva20u64", "", true
	case "GOFIPS140":
		return "off", "", true
	case "CC":
		return defaultCC(resolved["GOOS"].Value), "", true
	case "CXX":
		return defaultCXX(resolved["GOOS"].Value), "", true
	case "CGO_ENABLED":
		return d.cgoDefault(resolved), "", true
	case "GOROOT":
		if d.goroot != "" {
			return d.goroot, "", true
		}
	case "GOPATH":
		if home := d.home(); home != "" {
			return filepath.Join(home, "go"), "", true
		}
	case "GOMODCACHE":
		if gp := filepath.SplitList(resolved["GOPATH"].Value); len(gp) > 0 && gp[0] != "" {
			return filepath.Join(gp[0], "pkg", "mod"), "", true
		}
	}
	return "", "", false
}

func (d defaults) home() string {
	if d.hostOS == "windows" {
		return d.env["USERPROFILE"]
	}
	return d.env["HOME"]
}

// cgoDefault mirrors the go command: off when cross-compiling, otherwise on
// when the platform supports cgo and (CC being unset) the default C
// compiler is on PATH.
func (d defaults) cgoDefault(resolved map[string]facts.EnvVar) string {
	goos, goarch := resolved["GOOS"].Value, resolved["GOARCH"].Value
	if goos != d.hostOS || goarch != d.hostArch {
		return "0"
	}
	if !cgoSupported(goos, goarch) {
		return "0"
	}
	if d.env["CC"] == "" && lookPath(defaultCC(goos), d.env["PATH"]) == "" {
		return "0"
	}
	return "1"
}

func defaultCC(goos string) string {
	switch goos {
	case "darwin", "ios", "freebsd", "openbsd":
		return "clang"
	}
	return "gcc"
}

func defaultCXX(goos string) string {
	switch goos {
	case "darwin", "ios", "freebsd", "openbsd":
		return "clang++"
	}
	return "g++"
}

// cgoSupported is the go command's platform table, reduced to what varies
// on the platforms Go ships first-class ports for.
func cgoSupported(goos, goarch string) bool {
	switch goos {
	case "js", "wasip1", "plan9":
		return false
	}
	switch goarch {
	case "wasm":
		return false
	}
	return true
}

// origin explains in words where a value came from, and what it overrides.
func origin(v facts.EnvVar) string {
	var b strings.Builder
	switch v.Source {
	case facts.SourceProcess:
		b.WriteString("process environment")
		if v.Value == "" {
			b.WriteString(" (GOENV=off: no user configuration file)")
		}
	case facts.SourceGoEnv:
		b.WriteString("GOENV file " + v.File)
	case facts.SourceGoRoot:
		b.WriteString("GOROOT go.env " + v.File)
	case facts.SourceDefault:
		if v.DefaultFrom != "" {
			b.WriteString("default: copied from " + v.DefaultFrom)
		} else {
			b.WriteString("built-in default")
		}
	default:
		b.WriteString("not set")
	}
	winner := true
	for _, l := range v.Layers {
		if winner && l.Source == v.Source && l.Value == v.Value {
			winner = false
			continue
		}
		switch {
		case l.Value == "" && l.Source == facts.SourceProcess:
			b.WriteString("; empty in the process environment, which does not override the files")
		case l.Value == "":
			fmt.Fprintf(&b, "; set empty in %s", layerName(l))
		case l.Value != v.Value:
			fmt.Fprintf(&b, "; overrides %q from %s", l.Value, layerName(l))
		}
	}
	return b.String()
}

func layerName(l facts.EnvLayer) string {
	switch l.Source {
	case facts.SourceGoEnv:
		return "GOENV file " + l.File
	case facts.SourceGoRoot:
		return "GOROOT go.env " + l.File
	case facts.SourceProcess:
		return "process environment"
	}
	return l.Source
}

// conflict reports the two ways layers mislead users: a `go env -w` value
// hidden by the shell, and an empty shell value that leaves it in force.
func conflict(name string, v facts.EnvVar) (facts.EnvConflict, bool) {
	var proc, file *facts.EnvLayer
	for i := range v.Layers {
		l := &v.Layers[i]
		switch l.Source {
		case facts.SourceProcess:
			proc = l
		case facts.SourceGoEnv:
			if file == nil {
				file = l
			}
		}
	}
	if proc == nil || file == nil || file.Value == "" && proc.Value == "" {
		return facts.EnvConflict{}, false
	}
	switch {
	case proc.Value == "":
		return facts.EnvConflict{Var: name, Kind: facts.ConflictEmptyIgnored, Winner: *file, Shadowed: *proc}, true
	case proc.Value != file.Value:
		return facts.EnvConflict{Var: name, Kind: facts.ConflictShadowed, Winner: *proc, Shadowed: *file}, true
	}
	return facts.EnvConflict{}, false
}

var errNoGo = errors.New("no go command on PATH")

// exitDetail turns an exec error into a one-line reason.
func exitDetail(err error, stderr []byte) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if msg := strings.TrimSpace(string(stderr)); msg != "" {
			return strings.SplitN(msg, "\n", 2)[0]
		}
	}
	return err.Error()
}
