package drift_test

import (
	"context"
	"testing"

	"github.com/gopolicy/gopolicy/pkg/decision"
	"github.com/gopolicy/gopolicy/pkg/drift"
)

// TestBuiltinPolicies compiles the built-in drift policies in the sandbox
// and judges a comparison with and without differences.
func TestBuiltinPolicies(t *testing.T) {
	e, err := drift.Builtin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n := len(e.Policies()); n != 5 {
		t.Fatalf("%d drift policies, want 5", n)
	}
	clean := &drift.Document{Drift: drift.Section{Version: drift.Version, Differences: []drift.Difference{}}}
	d, err := e.Judge(context.Background(), clean, "prod")
	if err != nil {
		t.Fatal(err)
	}
	if !d.Allow || d.Summary.Pass != 5 {
		t.Fatalf("no drift: %+v", d.Summary)
	}
	hashes := &drift.Document{Drift: drift.Section{Version: drift.Version, Differences: []drift.Difference{{
		Category: drift.GoSum, Key: "example.com/m@v1.0.0", Fact: "/gosum/entries/0/hash",
		Values: []drift.Value{{Environment: "a", Present: true, Value: "h1:a="}, {Environment: "b", Present: true, Value: "h1:b="}},
	}}}}
	d, err = e.Judge(context.Background(), hashes, "dev")
	if err != nil {
		t.Fatal(err)
	}
	f := d.Findings[0]
	if d.Allow || f.Policy != "GP-DRIFT-002" || f.Level != decision.LevelDeny || f.Subject != "example.com/m@v1.0.0" || len(f.Evidence) != 2 || f.Evidence[1].Fact != "b#/gosum/entries/0/hash" {
		t.Fatalf("hash drift: %+v", f)
	}
}

func TestCompareNeedsTwo(t *testing.T) {
	if _, err := drift.Compare([]drift.Input{{Name: "a", Data: []byte("{}")}}); err == nil {
		t.Fatal("one document compared")
	}
}
