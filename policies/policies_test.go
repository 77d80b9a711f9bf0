package policies_test

import (
	"context"
	"strings"
	"testing"

	"github.com/gopolicy/gopolicy/pkg/eval"
	"github.com/gopolicy/gopolicy/policies"
)

// minBuiltinCoverage is the share of built-in policy lines the Rego tests
// must evaluate.
const minBuiltinCoverage = 95.0

// TestRego runs every *_test.rego of the built-in bundle.
func TestRego(t *testing.T) {
	report, err := eval.RunTests(context.Background(), []eval.Source{{Name: policies.Name, FS: policies.FS}}, eval.TestOptions{Coverage: true})
	if err != nil {
		t.Fatal(err)
	}
	results := report.Results
	if len(results) == 0 {
		t.Fatal("no Rego tests found in the built-in bundle")
	}
	for _, r := range results {
		if !r.Pass {
			t.Errorf("%s.%s (%s:%d) failed: %s", r.Package, r.Name, r.File, r.Line, r.Error)
		}
	}
	t.Logf("%d Rego tests, %.1f%% coverage", len(results), report.Coverage.Percent)
	// The built-in policies are the product: keep them covered.
	if report.Coverage.Percent < minBuiltinCoverage {
		for _, f := range report.Coverage.Files {
			t.Logf("%s %.1f%% uncovered %v", f.File, f.Percent, f.Uncovered)
		}
		t.Errorf("built-in policy coverage %.1f%% is under %.0f%%", report.Coverage.Percent, minBuiltinCoverage)
	}
}

// TestEveryPolicyHasTests checks that each policy package has a test
// package with at least one passing and one failing case.
func TestEveryPolicyHasTests(t *testing.T) {
	ctx := context.Background()
	engine, err := eval.New(ctx, eval.Options{Sources: []eval.Source{{Name: policies.Name, FS: policies.FS}}})
	if err != nil {
		t.Fatal(err)
	}
	report, err := eval.RunTests(ctx, []eval.Source{{Name: policies.Name, FS: policies.FS}})
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string][]string{}
	for _, r := range report.Results {
		tests[strings.TrimSuffix(r.Package, "_test")] = append(tests[strings.TrimSuffix(r.Package, "_test")], r.Name)
	}
	for _, p := range engine.Policies() {
		names := tests[p.Package]
		if len(names) < 2 {
			t.Errorf("policy %s (%s) has %d tests; want a passing and a failing case", p.ID, p.Package, len(names))
		}
	}
}
