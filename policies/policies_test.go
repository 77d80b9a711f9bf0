package policies_test

import (
	"context"
	"strings"
	"testing"

	"github.com/gopolicy/gopolicy/pkg/eval"
	"github.com/gopolicy/gopolicy/policies"
)

// TestRego runs every *_test.rego of the built-in bundle.
func TestRego(t *testing.T) {
	results, err := eval.RunTests(context.Background(), []eval.Source{{Name: policies.Name, FS: policies.FS}})
	if err != nil {
		t.Fatal(err)
	}
	if len(results) == 0 {
		t.Fatal("no Rego tests found in the built-in bundle")
	}
	for _, r := range results {
		if !r.Pass {
			t.Errorf("%s.%s (%s:%d) failed: %s", r.Package, r.Name, r.File, r.Line, r.Error)
		}
	}
	t.Logf("%d Rego tests", len(results))
}

// TestEveryPolicyHasTests checks that each policy package has a test
// package with at least one passing and one failing case.
func TestEveryPolicyHasTests(t *testing.T) {
	ctx := context.Background()
	engine, err := eval.New(ctx, eval.Options{Sources: []eval.Source{{Name: policies.Name, FS: policies.FS}}})
	if err != nil {
		t.Fatal(err)
	}
	results, err := eval.RunTests(ctx, []eval.Source{{Name: policies.Name, FS: policies.FS}})
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string][]string{}
	for _, r := range results {
		tests[strings.TrimSuffix(r.Package, "_test")] = append(tests[strings.TrimSuffix(r.Package, "_test")], r.Name)
	}
	for _, p := range engine.Policies() {
		names := tests[p.Package]
		if len(names) < 2 {
			t.Errorf("policy %s (%s) has %d tests; want a passing and a failing case", p.ID, p.Package, len(names))
		}
	}
}
