// Package gosum parses go.sum and checks it against go.mod: malformed
// lines, conflicting hashes, and required modules without their hashes.
package gosum

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"

	"github.com/gopolicy/gopolicy/pkg/collect/gomod"
	"github.com/gopolicy/gopolicy/pkg/facts"
)

// Parse reads go.sum content. It never fails: every line is either an
// entry or a malformed line with its reason, the way the go command would
// reject it.
func Parse(data []byte) (entries []facts.SumEntry, malformed []facts.SumProblem, lines int) {
	entries = []facts.SumEntry{}
	malformed = []facts.SumProblem{}
	for len(data) > 0 {
		lines++
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		text := strings.TrimSuffix(string(line), "\r")
		f := strings.Fields(text)
		if len(f) == 0 {
			continue
		}
		if len(f) != 3 {
			malformed = append(malformed, facts.SumProblem{Line: lines, Text: text, Reason: fmt.Sprintf("wrong number of fields %d", len(f))})
			continue
		}
		e := facts.SumEntry{Module: f[0], Version: f[1], Hash: f[2], Line: lines}
		if v, ok := strings.CutSuffix(e.Version, "/go.mod"); ok {
			e.Version, e.GoMod = v, true
		}
		if reason := check(e); reason != "" {
			malformed = append(malformed, facts.SumProblem{Line: lines, Text: text, Reason: reason})
			continue
		}
		entries = append(entries, e)
	}
	return entries, malformed, lines
}

func check(e facts.SumEntry) string {
	if err := module.Check(e.Module, e.Version); err != nil {
		// module.Check rejects paths that are valid in go.sum for gopkg.in
		// and +incompatible forms only when they are truly malformed.
		return err.Error()
	}
	alg, sum, ok := strings.Cut(e.Hash, ":")
	if !ok || alg == "" {
		return "hash is not of the form alg:base64"
	}
	if alg == "h1" {
		raw, err := base64.StdEncoding.DecodeString(sum)
		if err != nil || len(raw) != 32 {
			return "h1 hash is not a base64 SHA-256 digest"
		}
	}
	return ""
}

type sumKey struct {
	path, version string
	gomod         bool
}

// Collect reads the module's go.sum and checks it against go.mod.
func Collect(ctx context.Context, m *gomod.Module) (*facts.GoSum, []facts.Problem) {
	s := &facts.GoSum{File: m.SumFile, Entries: []facts.SumEntry{}, Malformed: []facts.SumProblem{}, Conflicts: []facts.SumConflict{}, Missing: []facts.SumMissing{}}
	data, err := os.ReadFile(m.SumFile)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// A module without dependencies needs no go.sum; Missing says
		// whether this one does.
	case err != nil:
		return nil, []facts.Problem{{Path: m.SumFile, Message: "read go.sum: " + err.Error()}}
	default:
		s.Found = true
		s.Entries, s.Malformed, s.Lines = Parse(data)
	}
	s.Conflicts = Conflicts(s.Entries)
	s.Missing = Missing(m.File, s.Entries)
	var problems []facts.Problem
	for _, bad := range s.Malformed {
		problems = append(problems, facts.Problem{Path: m.SumFile, Line: bad.Line, Message: "malformed go.sum line: " + bad.Reason})
	}
	return s, problems
}

// Conflicts finds module versions recorded with more than one hash.
func Conflicts(entries []facts.SumEntry) []facts.SumConflict {
	byKey := map[sumKey][]facts.SumEntry{}
	var order []sumKey
	for _, e := range entries {
		k := sumKey{e.Module, e.Version, e.GoMod}
		if _, ok := byKey[k]; !ok {
			order = append(order, k)
		}
		byKey[k] = append(byKey[k], e)
	}
	out := []facts.SumConflict{}
	for _, k := range order {
		list := byKey[k]
		distinct := map[string]bool{}
		for _, e := range list {
			distinct[e.Hash] = true
		}
		if len(distinct) > 1 {
			out = append(out, facts.SumConflict{Module: k.path, Version: k.version, GoMod: k.gomod, Hashes: list})
		}
	}
	return out
}

// Missing lists requirements whose go.sum lines are absent. A requirement
// replaced by a directory needs none; one replaced by another module needs
// the replacement's lines. Every other requirement needs both its zip hash
// (h1) and its go.mod hash: since Go 1.17 go.mod lists every module the
// build loads packages from, and `go mod tidy` records both for each.
func Missing(f *modfile.File, entries []facts.SumEntry) []facts.SumMissing {
	have := make(map[sumKey]bool, len(entries))
	for _, e := range entries {
		have[sumKey{e.Module, e.Version, e.GoMod}] = true
	}
	out := []facts.SumMissing{}
	for _, r := range f.Require {
		path, version, line := r.Mod.Path, r.Mod.Version, r.Syntax.Start.Line
		if rep := gomod.Replacement(f, path, version); rep != nil {
			if gomod.IsLocalReplacement(rep.New.Path, rep.New.Version) {
				continue
			}
			path, version, line = rep.New.Path, rep.New.Version, rep.Syntax.Start.Line
		}
		if !have[sumKey{path, version, false}] {
			out = append(out, facts.SumMissing{Module: path, Version: version, Kind: "h1", RequireLine: line})
		}
		if !have[sumKey{path, version, true}] {
			out = append(out, facts.SumMissing{Module: path, Version: version, Kind: "go.mod", RequireLine: line})
		}
	}
	return out
}
