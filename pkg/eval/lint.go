package eval

import (
	"fmt"
	"sort"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/format"
)

// LintProblem is one finding of the policy quality gate, at file:line.
type LintProblem struct {
	File string `json:"file"`
	Line int    `json:"line"`
	Rule string `json:"rule"`
	Msg  string `json:"message"`
}

func (p LintProblem) String() string {
	return fmt.Sprintf("%s:%d: %s: %s", p.File, p.Line, p.Rule, p.Msg)
}

// Lint is the quality gate for policy bundles, beyond what loading them
// already demands (valid METADATA, a clean compile): every file, tests
// included, must be formatted as `opa fmt` writes it, and the modules
// must compile in strict mode (no unused imports, variables or args).
// Only the bundles at the indexes in only are linted; the others are
// loaded so the linted ones can refer to them.
func Lint(sources []Source, only []int) ([]LintProblem, error) {
	set, err := loadAll(sources, true, Limits{})
	if err != nil {
		return nil, err
	}
	linted := map[string]bool{}
	for _, i := range only {
		linted[set.bundles[i].info.Name] = true
	}
	var problems []LintProblem
	for _, lb := range set.bundles {
		if !linted[lb.info.Name] {
			continue
		}
		for _, m := range lb.bundle.Modules {
			formatted, err := format.SourceWithOpts(m.Path, m.Raw, format.Opts{RegoVersion: ast.RegoV1})
			if err != nil {
				return nil, fmt.Errorf("format %s: %w", m.Parsed.Package.Location.File, err)
			}
			if string(formatted) != string(m.Raw) {
				problems = append(problems, LintProblem{File: m.Parsed.Package.Location.File, Line: firstDifference(m.Raw, formatted), Rule: "opa-fmt", Msg: "not formatted as opa fmt writes it (run: gopolicy policies lint --fix)"})
			}
		}
	}
	compiler := ast.NewCompiler().WithCapabilities(Capabilities()).WithStrict(true)
	compiler.Compile(set.modules)
	for _, e := range append(sandboxErrors(set.modules), explainSandbox(compiler.Errors)...) {
		if e.Location == nil || !linted[bundleOfFile(set, e.Location.File)] {
			continue
		}
		problems = append(problems, LintProblem{File: e.Location.File, Line: e.Location.Row, Rule: "strict", Msg: e.Message})
	}
	sort.Slice(problems, func(i, j int) bool {
		if problems[i].File != problems[j].File {
			return problems[i].File < problems[j].File
		}
		return problems[i].Line < problems[j].Line
	})
	return problems, nil
}

func bundleOfFile(set *loadedSet, file string) string {
	for key, m := range set.modules {
		if m.Package.Location != nil && m.Package.Location.File == file {
			return set.moduleOwner[key]
		}
	}
	return ""
}

// firstDifference is the first line where two texts differ.
func firstDifference(a, b []byte) int {
	la, lb := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := range la {
		if i >= len(lb) || la[i] != lb[i] {
			return i + 1
		}
	}
	return len(la)
}
