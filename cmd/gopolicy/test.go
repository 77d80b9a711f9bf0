package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gopolicy/gopolicy/pkg/eval"
	"github.com/gopolicy/gopolicy/pkg/policytest"
)

func (a *app) testCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "test [DIR...]",
		Short: "Run the Rego unit tests and facts fixtures of policy bundles",
		Long: `test runs the Rego unit tests (test_* rules in *_test.rego files) of each
policy bundle DIR (a directory or .tar.gz) with the same sandboxed builtins
gopolicy eval uses, and checks its fixtures. Without DIR it tests the
built-in policies. The built-in bundle is loaded beside DIR so policies
can import data.gopolicy.lib; its own tests run only with --builtin-tests.

A fixture is a facts document captured with 'gopolicy collect' and the
findings it must produce. In DIR/fixtures (or --fixtures DIR):

  NAME.facts.json    gopolicy collect --dir ./sample > NAME.facts.json
  NAME.expect.yaml   profile: prod
                     expect:
                       - {policy: ACME-MOD-001, level: deny, subject: example.com/dep}
                       - {policy: GP-ENV-001, level: pass}

For every policy an expectation names, the policy's findings must be
exactly the expected ones (an expectation without a subject matches any).

Exit status: 0 every test passed; 1 a test failed, no tests were found, or
coverage is under --threshold; 2 a policy or fixture could not be read.`,
		Example: `  gopolicy test ./org-policies
  gopolicy test ./org-policies --coverage --threshold 90
  gopolicy test --coverage`,
		RunE: a.runTest,
	}
	f := cmd.Flags()
	f.Bool("coverage", false, "report which policy lines the tests evaluate")
	f.String("run", "", "run only the tests whose name (package.test_name) matches `REGEXP`, as go test -run does")
	f.Float64("threshold", 0, "fail when coverage is under this percentage (implies --coverage)")
	f.StringArray("fixtures", nil, "fixture `DIR` (repeatable; default: DIR/fixtures of each DIR that has one)")
	f.Bool("builtin-tests", false, "also run the built-in policies' tests")
	f.Bool("no-builtin", false, "do not load the built-in policies beside DIR")
	f.String("format", "text", "output `FORMAT`: text or json")
	f.BoolP("verbose", "v", false, "list every test, not only failures")
	return cmd
}

type testOutcome struct {
	Tests    []eval.TestResult   `json:"tests"`
	Fixtures []policytest.Result `json:"fixtures"`
	Coverage *eval.Coverage      `json:"coverage,omitempty"`
	Pass     bool                `json:"pass"`
	Problems []string            `json:"problems,omitempty"`
}

func (a *app) runTest(cmd *cobra.Command, dirs []string) error {
	ctx := cmd.Context()
	flags := cmd.Flags()
	format, _ := flags.GetString("format")
	if format != "text" && format != "json" {
		return fmt.Errorf("unknown format %q (known: json, text)", format)
	}
	threshold, _ := flags.GetFloat64("threshold")
	if threshold < 0 || threshold > 100 {
		return fmt.Errorf("invalid --threshold %v: want a percentage from 0 to 100", threshold)
	}
	coverage, _ := flags.GetBool("coverage")
	coverage = coverage || flags.Changed("threshold")
	builtinTests, _ := flags.GetBool("builtin-tests")
	sources, only, err := a.bundlesUnderTest(cmd, dirs, builtinTests, false)
	if err != nil {
		return err
	}
	run, _ := flags.GetString("run")
	report, err := eval.RunTests(ctx, sources, eval.TestOptions{Only: only, Coverage: coverage, Run: run})
	if err != nil {
		return err
	}

	fixtureDirs, _ := flags.GetStringArray("fixtures")
	if !flags.Changed("fixtures") {
		for _, dir := range dirs {
			if fi, err := os.Stat(filepath.Join(dir, "fixtures")); err == nil && fi.IsDir() {
				fixtureDirs = append(fixtureDirs, filepath.Join(dir, "fixtures"))
			}
		}
	}
	var fixtures []policytest.Fixture
	for _, fd := range fixtureDirs {
		fs, err := policytest.Load(fd)
		if err != nil {
			return err
		}
		fixtures = append(fixtures, fs...)
	}
	out := testOutcome{Tests: report.Results, Fixtures: []policytest.Result{}, Coverage: report.Coverage, Pass: true}
	if len(fixtures) > 0 {
		engine, err := eval.New(ctx, eval.Options{Sources: sources})
		if err != nil {
			return err
		}
		results, err := policytest.Run(ctx, engine, fixtures)
		if err != nil {
			return err
		}
		out.Fixtures = results
	}

	failed := 0
	for _, t := range out.Tests {
		if !t.Pass && !t.Skip {
			failed++
		}
	}
	for _, r := range out.Fixtures {
		if !r.Pass {
			failed++
		}
	}
	if failed > 0 {
		out.Problems = append(out.Problems, fmt.Sprintf("%d of %d tests failed", failed, len(out.Tests)+len(out.Fixtures)))
	}
	if len(out.Tests)+len(out.Fixtures) == 0 {
		out.Problems = append(out.Problems, "no tests found: add test_* rules in *_test.rego files, or fixtures")
	}
	if out.Coverage != nil && flags.Changed("threshold") && out.Coverage.Percent < threshold {
		out.Problems = append(out.Problems, fmt.Sprintf("coverage %.1f%% is under the threshold of %.1f%%", out.Coverage.Percent, threshold))
	}
	out.Pass = len(out.Problems) == 0

	if format == "json" {
		if err := a.writeJSON(out); err != nil {
			return err
		}
	} else {
		verbose, _ := flags.GetBool("verbose")
		a.printTests(out, verbose)
	}
	if !out.Pass {
		return exitStatus(exitDenied)
	}
	return nil
}

func (a *app) printTests(out testOutcome, verbose bool) {
	w := a.stdout
	for _, t := range out.Tests {
		name := strings.TrimPrefix(t.Package, "data.") + "." + t.Name
		switch {
		case t.Skip:
			if verbose {
				fmt.Fprintf(w, "SKIP  %s\n", name)
			}
		case t.Pass:
			if verbose {
				fmt.Fprintf(w, "PASS  %s (%s)\n", name, t.Duration.Round(1000))
			}
		default:
			fmt.Fprintf(w, "FAIL  %s (%s:%d)\n", name, t.File, t.Line)
			if t.Error != "" {
				fmt.Fprintf(w, "      %s\n", t.Error)
			}
		}
	}
	for _, r := range out.Fixtures {
		if r.Pass {
			if verbose {
				fmt.Fprintf(w, "PASS  fixture %s (profile %s)\n", r.Name, r.Profile)
			}
			continue
		}
		fmt.Fprintf(w, "FAIL  fixture %s (profile %s)\n", r.Name, r.Profile)
		for _, e := range r.Errors {
			fmt.Fprintf(w, "      %s\n", e)
		}
	}
	if c := out.Coverage; c != nil {
		fmt.Fprintf(w, "coverage: %.1f%%\n", c.Percent)
		for _, f := range c.Files {
			line := fmt.Sprintf("  %5.1f%%  %s", f.Percent, f.File)
			if len(f.Uncovered) > 0 {
				line += "  (not covered: lines " + strings.Join(f.Uncovered, ", ") + ")"
			}
			fmt.Fprintln(w, line)
		}
	}
	verdict := "PASS"
	if !out.Pass {
		verdict = "FAIL"
	}
	fmt.Fprintf(w, "%s: %d tests, %d fixtures", verdict, len(out.Tests), len(out.Fixtures))
	for _, p := range out.Problems {
		fmt.Fprintf(w, "; %s", p)
	}
	fmt.Fprintln(w)
}
