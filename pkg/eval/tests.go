package eval

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/cover"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/tester"
)

// TestResult is one Rego unit test's outcome.
type TestResult struct {
	Package  string        `json:"package"`
	Name     string        `json:"name"`
	File     string        `json:"file"`
	Line     int           `json:"line"`
	Pass     bool          `json:"pass"`
	Skip     bool          `json:"skip,omitempty"`
	Error    string        `json:"error,omitempty"`
	Duration time.Duration `json:"duration_ns"`
}

// TestOptions select what RunTests runs and measures.
type TestOptions struct {
	// Only lists the bundles (by index into the sources) whose tests run;
	// the other bundles are loaded so the tested policies can use them.
	// Nil runs every bundle's tests.
	Only []int
	// Coverage measures which policy lines the tests evaluate.
	Coverage bool
	// Run, when set, runs only the tests whose package-qualified name
	// (package.test_name) matches this regular expression, as go test
	// -run and opa test --run do.
	Run string
	// Limits caps what each bundle may hold; zero fields take their
	// defaults.
	Limits Limits
}

// Coverage is the share of policy lines the tests evaluated.
type Coverage struct {
	Percent float64        `json:"percent"`
	Files   []FileCoverage `json:"files"`
}

// FileCoverage is one policy file's coverage.
type FileCoverage struct {
	File    string  `json:"file"`
	Percent float64 `json:"percent"`
	// Uncovered lists the line ranges no test evaluated, as "12" or "12-14".
	Uncovered []string `json:"uncovered,omitempty"`
}

// TestReport is a test run's outcome.
type TestReport struct {
	Results  []TestResult `json:"results"`
	Coverage *Coverage    `json:"coverage,omitempty"`
}

// RunTests runs the Rego unit tests (test_* rules in *_test.rego files) of
// the bundles, with the same sandboxed builtins the engine uses.
func RunTests(ctx context.Context, sources []Source, opts ...TestOptions) (*TestReport, error) {
	var o TestOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	set, err := loadAll(sources, true, o.Limits)
	if err != nil {
		return nil, err
	}
	tested := map[string]bool{}
	for i, lb := range set.bundles {
		if o.Only == nil || slices.Contains(o.Only, i) {
			tested[lb.info.Name] = true
		}
	}
	// Test modules of bundles not under test stay out: their tests would
	// run too, and they may rely on fixtures of their own.
	modules := map[string]*ast.Module{}
	measured := map[string]*ast.Module{}
	for key, m := range set.modules {
		owner := set.moduleOwner[key]
		if set.testModules[key] && !tested[owner] {
			continue
		}
		modules[key] = m
		if tested[owner] && !set.testModules[key] {
			measured[m.Package.Location.File] = m
		}
	}
	if errs := sandboxErrors(modules); len(errs) > 0 {
		return nil, &CompileError{errs}
	}
	compiler := ast.NewCompiler().WithCapabilities(Capabilities())
	runner := tester.NewRunner().
		SetCompiler(compiler).
		SetStore(inmem.NewFromObject(set.data)).
		RaiseBuiltinErrors(true).
		SetTimeout(time.Minute)
	if o.Run != "" {
		if _, err := regexp.Compile(o.Run); err != nil {
			return nil, fmt.Errorf("invalid --run %q: %w", o.Run, err)
		}
		runner = runner.Filter(o.Run)
	}
	var cov *cover.Cover
	if o.Coverage {
		cov = cover.New()
		runner = runner.SetCoverageQueryTracer(cov)
	}
	ch, err := runner.Run(ctx, modules)
	if err != nil {
		if errs, ok := err.(ast.Errors); ok {
			return nil, &CompileError{explainSandbox(errs)}
		}
		return nil, fmt.Errorf("run policy tests: %w", err)
	}
	report := &TestReport{Results: []TestResult{}}
	for r := range ch {
		tr := TestResult{Package: r.Package, Name: r.Name, Pass: r.Pass(), Skip: r.Skip, Duration: r.Duration}
		if r.Location != nil {
			tr.File, tr.Line = r.Location.File, r.Location.Row
		}
		if r.Error != nil {
			tr.Error = r.Error.Error()
		} else if r.Fail {
			tr.Error = "test failed"
		}
		report.Results = append(report.Results, tr)
	}
	sort.Slice(report.Results, func(i, j int) bool {
		a, b := report.Results[i], report.Results[j]
		if a.Package != b.Package {
			return a.Package < b.Package
		}
		return a.Name < b.Name
	})
	if cov != nil {
		report.Coverage = coverageOf(cov.Report(measured), measured)
	}
	return report, nil
}

// coverageOf reports the policy files under test only: OPA's report also
// counts the lines of the test files themselves, which always run.
func coverageOf(r cover.Report, measured map[string]*ast.Module) *Coverage {
	c := &Coverage{Files: []FileCoverage{}}
	covered, total := 0, 0
	for file := range measured {
		fc := FileCoverage{File: file, Percent: 100}
		if fr := r.Files[file]; fr != nil {
			covered += fr.CoveredLines
			total += fr.CoveredLines + fr.NotCoveredLines
			if n := fr.CoveredLines + fr.NotCoveredLines; n > 0 {
				fc.Percent = 100 * float64(fr.CoveredLines) / float64(n)
			}
			for _, rng := range fr.NotCovered {
				text := fmt.Sprint(rng.Start.Row)
				if rng.Start.Row != rng.End.Row {
					text = fmt.Sprintf("%d-%d", rng.Start.Row, rng.End.Row)
				}
				if !slices.Contains(fc.Uncovered, text) {
					fc.Uncovered = append(fc.Uncovered, text)
				}
			}
		}
		c.Files = append(c.Files, fc)
	}
	sort.Slice(c.Files, func(i, j int) bool { return c.Files[i].File < c.Files[j].File })
	c.Percent = 100
	if total > 0 {
		c.Percent = 100 * float64(covered) / float64(total)
	}
	return c
}
