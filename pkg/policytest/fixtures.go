// Package policytest checks policies against captured facts: a fixture is
// a facts document (from `gopolicy collect`) and the findings a policy
// author expects from it.
package policytest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/gopolicy/gopolicy/pkg/decision"

	"go.yaml.in/yaml/v3"

	"github.com/gopolicy/gopolicy/internal/fileline"
	"github.com/gopolicy/gopolicy/pkg/eval"
)

// Suffixes pair a fixture's files: NAME.facts.json and NAME.expect.yaml.
const (
	FactsSuffix  = ".facts.json"
	ExpectSuffix = ".expect.yaml"
)

// Expectation is one expected finding.
type Expectation struct {
	Policy string `yaml:"policy"`
	Level  string `yaml:"level"`
	// Subject, when set, must equal the finding's subject.
	Subject string `yaml:"subject"`
	Line    int    `yaml:"-"`
}

// Fixture is one facts document and what it should produce.
type Fixture struct {
	Name    string
	Facts   string
	Expect  string
	Profile string
	Expects []Expectation
}

// Result is one fixture's outcome.
type Result struct {
	Name    string   `json:"name"`
	Profile string   `json:"profile"`
	Pass    bool     `json:"pass"`
	Errors  []string `json:"errors,omitempty"`
}

// InputError is a fixture that cannot be read, located at file:line.
type InputError = fileline.Error

var levels = []string{decision.LevelDeny, decision.LevelWarn, decision.LevelError, decision.LevelPass, decision.LevelSkip, decision.LevelOff}

// Load finds the fixtures in dir. A facts document without expectations,
// or expectations without facts, is an error: a fixture that silently
// does not run tests nothing.
func Load(dir string) ([]Fixture, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read fixtures: %w", err)
	}
	names := map[string]int{}
	for _, e := range entries {
		switch n := e.Name(); {
		case strings.HasSuffix(n, FactsSuffix):
			names[strings.TrimSuffix(n, FactsSuffix)] |= 1
		case strings.HasSuffix(n, ExpectSuffix):
			names[strings.TrimSuffix(n, ExpectSuffix)] |= 2
		}
	}
	var out []Fixture
	for _, name := range slices.Sorted(maps.Keys(names)) {
		f := Fixture{Name: name, Facts: filepath.Join(dir, name+FactsSuffix), Expect: filepath.Join(dir, name+ExpectSuffix)}
		switch names[name] {
		case 1:
			return nil, &InputError{File: f.Facts, Msg: "no " + name + ExpectSuffix + " beside it says what to expect"}
		case 2:
			return nil, &InputError{File: f.Expect, Msg: "no " + name + FactsSuffix + " beside it (capture one with gopolicy collect)"}
		}
		data, err := os.ReadFile(f.Expect)
		if err != nil {
			return nil, fmt.Errorf("read fixture: %w", err)
		}
		if err := parseExpect(f.Expect, data, &f); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

func parseExpect(file string, data []byte, f *Fixture) error {
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return &InputError{File: file, Msg: "empty expectations"}
		}
		return &InputError{File: file, Msg: err.Error()}
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return &InputError{File: file, Line: root.Line, Msg: "want a mapping with profile and expect"}
	}
	f.Profile = "ci"
	seenExpect := false
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch k.Value {
		case "profile":
			if v.Kind != yaml.ScalarNode || v.Value == "" {
				return &InputError{File: file, Line: v.Line, Msg: "profile must be a profile name"}
			}
			f.Profile = v.Value
		case "expect":
			seenExpect = true
			if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
				return &InputError{File: file, Line: v.Line, Msg: "expect must list findings ({policy, level, subject})"}
			}
			for _, item := range v.Content {
				var e Expectation
				if err := item.Decode(&e); err != nil || item.Kind != yaml.MappingNode {
					return &InputError{File: file, Line: item.Line, Msg: "an expectation is a mapping with policy, level and optionally subject"}
				}
				for j := 0; j < len(item.Content); j += 2 {
					if key := item.Content[j].Value; key != "policy" && key != "level" && key != "subject" {
						return &InputError{File: file, Line: item.Content[j].Line, Msg: fmt.Sprintf("unknown expectation field %q (known: policy, level, subject)", key)}
					}
				}
				if e.Policy == "" {
					return &InputError{File: file, Line: item.Line, Msg: "expectation has no policy"}
				}
				if !slices.Contains(levels, e.Level) {
					return &InputError{File: file, Line: item.Line, Msg: fmt.Sprintf("level %q is not one of %s", e.Level, strings.Join(levels, ", "))}
				}
				e.Line = item.Line
				f.Expects = append(f.Expects, e)
			}
		default:
			return &InputError{File: file, Line: k.Line, Msg: fmt.Sprintf("unknown key %q (known: profile, expect)", k.Value)}
		}
	}
	if !seenExpect {
		return &InputError{File: file, Line: root.Line, Msg: "no expect list"}
	}
	return nil
}

// Run evaluates each fixture and compares. For every policy an expectation
// names, the policy's findings must be exactly the expected ones: an
// expectation without a subject matches a finding of any subject, and a
// finding no expectation accounts for is a failure. Policies no
// expectation names are not checked.
func Run(ctx context.Context, engine *eval.Engine, fixtures []Fixture) ([]Result, error) {
	var out []Result
	for _, f := range fixtures {
		facts, err := os.ReadFile(f.Facts)
		if err != nil {
			return nil, fmt.Errorf("read fixture: %w", err)
		}
		d, err := engine.Evaluate(ctx, facts, f.Profile)
		if err != nil {
			return nil, fmt.Errorf("fixture %s: %w", f.Facts, err)
		}
		out = append(out, compare(f, d))
	}
	return out, nil
}

func compare(f Fixture, d *decision.Decision) Result {
	r := Result{Name: f.Name, Profile: f.Profile}
	byPolicy := map[string][]decision.Finding{}
	for _, fd := range d.Findings {
		byPolicy[fd.Policy] = append(byPolicy[fd.Policy], fd)
	}
	expected := map[string][]Expectation{}
	for _, e := range f.Expects {
		expected[e.Policy] = append(expected[e.Policy], e)
	}
	for _, policy := range slices.Sorted(maps.Keys(expected)) {
		actual := byPolicy[policy]
		if len(actual) == 0 {
			r.Errors = append(r.Errors, fmt.Sprintf("%s:%d: no policy %s was evaluated", f.Expect, expected[policy][0].Line, policy))
			continue
		}
		used := make([]bool, len(actual))
		// Expectations with a subject claim their finding first, so one
		// without a subject cannot take it from them.
		exps := slices.Clone(expected[policy])
		sort.SliceStable(exps, func(i, j int) bool { return exps[i].Subject != "" && exps[j].Subject == "" })
		for _, e := range exps {
			found := false
			for i, a := range actual {
				if !used[i] && a.Level == e.Level && (e.Subject == "" || e.Subject == a.Subject) {
					used[i], found = true, true
					break
				}
			}
			if !found {
				r.Errors = append(r.Errors, fmt.Sprintf("%s:%d: expected %s %s%s; got %s", f.Expect, e.Line, policy, e.Level, subjectText(e.Subject), describe(actual)))
			}
		}
		for i, a := range actual {
			if !used[i] {
				r.Errors = append(r.Errors, fmt.Sprintf("%s: unexpected %s %s%s: %s", f.Expect, policy, a.Level, subjectText(a.Subject), a.Message))
			}
		}
	}
	r.Pass = len(r.Errors) == 0
	return r
}

func subjectText(s string) string {
	if s == "" {
		return ""
	}
	return " [" + s + "]"
}

func describe(findings []decision.Finding) string {
	var parts []string
	for _, f := range findings {
		parts = append(parts, f.Level+subjectText(f.Subject))
	}
	return strings.Join(parts, ", ")
}
