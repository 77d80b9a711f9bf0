// Package gocompat compares gopolicy's module judgements with the go
// command's own. The go command's testscripts
// ($GOROOT/src/cmd/go/testdata/script) are a corpus of module layouts its
// authors wrote to exercise every rule; this package turns each script
// into scenarios (the tree of files, the environment and the directory in
// force before a go command runs), runs the real go command on each
// scenario hermetically, and records what it said, so that a test can
// judge the same tree with gopolicy and compare.
package gocompat

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/rogpeppe/go-internal/txtar"
)

// Scenario is one state of a script's files and environment, taken just
// before a go command of the script runs.
type Scenario struct {
	// ID is "script:line", the script's name and the line of the go
	// command the state was taken before.
	ID string
	// Script is the script's file name.
	Script string
	// Line is the line of the go command.
	Line int
	// Command is the go command's line as written.
	Command string
	// Files maps paths relative to $WORK to their contents.
	Files map[string][]byte
	// Env holds the variables the script set before this point.
	Env map[string]string
	// Dir is the working directory relative to $WORK.
	Dir string
}

// gopathSrc is where the go command's script engine unpacks files and
// starts: $WORK/gopath/src.
const gopathSrc = "gopath/src"

// readOnlyGo are go subcommands that read go.mod and go.sum without
// changing them (in readonly or vendor mode): a state before one is a
// scenario, and the script can be followed past it.
var readOnlyGo = map[string]bool{
	"build": true, "list": true, "vet": true, "run": true, "test": true, "install": true,
	"version": true, "doc": true, "env": true, "mod verify": true, "mod why": true, "mod graph": true,
}

// inertCommands only inspect the tree or the last command's output.
var inertCommands = map[string]bool{
	"stdout": true, "stderr": true, "exists": true, "cmp": true, "cmpenv": true, "grep": true,
	"skip": true, "wait": true, "sleep": true, "echo": true, "help": true, "chmod": true,
}

// ParseScripts reads the scripts in dir whose names start with one of
// prefixes and returns every distinct scenario, in script order.
func ParseScripts(dir string, prefixes []string) ([]Scenario, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []Scenario
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".txt") || !slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(name, p) }) {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		out = append(out, Scenarios(strings.TrimSuffix(name, ".txt"), data)...)
	}
	return out, nil
}

// Scenarios follows one script as far as it can be followed without
// running the go command: env, cd, cp, rm, mkdir and mv are applied to an
// in-memory tree; before each go command the state is recorded. The
// walk stops at the first command whose effect cannot be known without
// running it (a go command that edits go.mod or go.sum, exec, a
// conditional change of state, cp from stdout).
func Scenarios(script string, data []byte) []Scenario {
	ar := txtar.Parse(data)
	st := &state{files: map[string][]byte{}, env: map[string]string{}, dir: gopathSrc}
	for _, f := range ar.Files {
		name := f.Name
		if rest, ok := strings.CutPrefix(name, "$WORK/"); ok {
			name = rest
		} else {
			name = path.Join(gopathSrc, name)
		}
		if name = path.Clean(name); strings.HasPrefix(name, "..") {
			continue
		}
		st.files[name] = f.Data
	}
	var out []Scenario
	seen := map[string]bool{}
	for i, raw := range strings.Split(string(ar.Comment), "\n") {
		words, conds, ok := splitLine(raw, st)
		if !ok || len(words) == 0 {
			continue
		}
		cmd := words[0]
		switch {
		case cmd == "go":
			sub := goSubcommand(words[1:])
			key := st.key()
			if !seen[key] {
				seen[key] = true
				out = append(out, Scenario{
					ID: fmt.Sprintf("%s:%d", script, i+1), Script: script, Line: i + 1,
					Command: strings.TrimSpace(raw), Files: st.snapshot(), Env: maps(st.env), Dir: st.dir,
				})
			}
			if !readOnlyGo[sub] || sub == "env" && slices.ContainsFunc(words, func(w string) bool { return w == "-w" || w == "-u" }) ||
				slices.ContainsFunc(words, func(w string) bool { return strings.HasPrefix(w, "-mod=mod") }) ||
				strings.Contains(st.env["GOFLAGS"], "-mod=mod") {
				return out
			}
		case inertCommands[cmd]:
		case cmd == "stop":
			return out
		case len(conds) > 0:
			// A change of state that depends on the platform or the
			// builder: the rest of the script cannot be followed.
			return out
		default:
			if !st.apply(words) {
				return out
			}
		}
	}
	return out
}

// goSubcommand names the go subcommand ("mod tidy", "build").
func goSubcommand(args []string) string {
	for i, a := range args {
		if strings.HasPrefix(a, "-") {
			continue
		}
		if (a == "mod" || a == "work") && i+1 < len(args) {
			return a + " " + args[i+1]
		}
		return a
	}
	return ""
}

type state struct {
	files map[string][]byte
	env   map[string]string
	dir   string
}

func maps(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func (s *state) snapshot() map[string][]byte {
	out := make(map[string][]byte, len(s.files))
	for k, v := range s.files {
		out[k] = v
	}
	return out
}

// key identifies a state: the same files, environment and directory make
// the same scenario however many go commands run in it.
func (s *state) key() string {
	h := sha256.New()
	names := make([]string, 0, len(s.files))
	for n := range s.files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(h, "%s\x00%d\x00", n, len(s.files[n]))
		h.Write(s.files[n])
	}
	keys := make([]string, 0, len(s.env))
	for k := range s.env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(h, "env %s=%s\x00", k, s.env[k])
	}
	fmt.Fprintf(h, "dir %s", s.dir)
	return hex.EncodeToString(h.Sum(nil))
}

// resolve turns a script path into a path relative to $WORK; false when
// it leaves $WORK.
func (s *state) resolve(p string) (string, bool) {
	if rest, ok := strings.CutPrefix(p, "$WORK"); ok {
		p = strings.TrimPrefix(rest, "/")
	} else if !path.IsAbs(p) {
		p = path.Join(s.dir, p)
	} else {
		return "", false
	}
	p = path.Clean(p)
	if p == ".." || strings.HasPrefix(p, "../") {
		return "", false
	}
	return p, true
}

func (s *state) isDir(p string) bool {
	prefix := p + "/"
	if p == "." {
		prefix = ""
	}
	for n := range s.files {
		if strings.HasPrefix(n, prefix) {
			return true
		}
	}
	return false
}

// apply performs a state-changing command; false when it cannot be
// followed.
func (s *state) apply(words []string) bool {
	args := words[1:]
	switch words[0] {
	case "env":
		for _, a := range args {
			if k, v, ok := strings.Cut(a, "="); ok {
				s.env[k] = v
			}
		}
		return true
	case "cd":
		if len(args) != 1 {
			return false
		}
		d, ok := s.resolve(args[0])
		if !ok {
			return false
		}
		s.dir = d
		return true
	case "mkdir":
		return true // directories exist as soon as a file is in them
	case "rm":
		for _, a := range args {
			p, ok := s.resolve(a)
			if !ok {
				return false
			}
			for n := range s.files {
				if n == p || strings.HasPrefix(n, p+"/") {
					delete(s.files, n)
				}
			}
		}
		return true
	case "cp", "mv":
		if len(args) < 2 {
			return false
		}
		dst, ok := s.resolve(args[len(args)-1])
		if !ok {
			return false
		}
		srcs := args[:len(args)-1]
		toDir := len(srcs) > 1 || s.isDir(dst)
		for _, a := range srcs {
			if a == "stdout" || a == "stderr" {
				return false
			}
			src, ok := s.resolve(a)
			if !ok {
				return false
			}
			data, ok := s.files[src]
			if !ok {
				return false
			}
			target := dst
			if toDir {
				target = path.Join(dst, path.Base(src))
			}
			s.files[target] = data
			if words[0] == "mv" {
				delete(s.files, src)
			}
		}
		return true
	}
	return false
}

// splitLine splits a script line into words the way the script engine
// does: # starts a comment, single quotes group, $NAME and ${NAME} expand
// from the script's environment. Leading [condition]s and the ! or ?
// prefix are returned apart.
func splitLine(line string, st *state) (words, conds []string, ok bool) {
	line = strings.TrimSpace(line)
	if line == "" || strings.HasPrefix(line, "#") {
		return nil, nil, false
	}
	var cur strings.Builder
	inWord, quoted := false, false
	flush := func() {
		if inWord {
			words = append(words, cur.String())
			cur.Reset()
			inWord = false
		}
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quoted:
			if c == '\'' {
				if i+1 < len(line) && line[i+1] == '\'' {
					cur.WriteByte('\'')
					i++
				} else {
					quoted = false
				}
			} else {
				cur.WriteByte(c)
			}
		case c == '\'':
			quoted, inWord = true, true
		case c == '#' && !inWord:
			i = len(line)
		case c == ' ' || c == '\t':
			flush()
		case c == '$':
			name, n := varName(line[i+1:])
			if n == 0 {
				cur.WriteByte(c)
			} else {
				cur.WriteString(expand(name, st))
				i += n
			}
			inWord = true
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	flush()
	for len(words) > 0 && strings.HasPrefix(words[0], "[") && strings.HasSuffix(words[0], "]") {
		conds = append(conds, words[0])
		words = words[1:]
	}
	if len(words) > 0 && (words[0] == "!" || words[0] == "?") {
		words = words[1:]
	}
	return words, conds, true
}

func varName(s string) (string, int) {
	if strings.HasPrefix(s, "{") {
		if end := strings.IndexByte(s, '}'); end > 0 {
			return s[1:end], end + 1
		}
		return "", 0
	}
	n := 0
	for n < len(s) && (s[n] == '_' || 'a' <= s[n] && s[n] <= 'z' || 'A' <= s[n] && s[n] <= 'Z' || '0' <= s[n] && s[n] <= '9') {
		n++
	}
	return s[:n], n
}

// expand keeps $WORK and $GOPATH symbolic (resolve understands them) and
// expands what the script set.
func expand(name string, st *state) string {
	switch name {
	case "WORK":
		return "$WORK"
	case "GOPATH":
		return "$WORK/gopath"
	case "/":
		return "/"
	case ":":
		return ":"
	}
	if v, ok := st.env[name]; ok {
		return v
	}
	return "$" + name
}
