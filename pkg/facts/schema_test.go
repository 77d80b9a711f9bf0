package facts

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"testing"
)

var update = flag.Bool("update", false, "rewrite facts.v1.schema.json from the Go types")

// TestSchemaIsCurrent fails when the checked-in schema no longer matches
// the types; run `go test ./pkg/facts -update` after changing them.
func TestSchemaIsCurrent(t *testing.T) {
	want, err := json.MarshalIndent(GenerateSchema(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	want = append(want, '\n')
	if *update {
		if err := os.WriteFile("facts.v1.schema.json", want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(want, SchemaJSON) {
		t.Fatal("facts.v1.schema.json is out of date: run go test ./pkg/facts -update")
	}
}

func TestPredates(t *testing.T) {
	for _, c := range []struct {
		version, section string
		want             bool
	}{
		{"0.3.0", "evidence", true},
		{"0.3.9+abc", "evidence", true},
		{"0.4.0", "evidence", false},
		{"0.4.0-rc.1", "evidence", false},
		{"1.0.0", "evidence", false},
		{"0.3.0", "gomod", false},
		{"", "evidence", false},
		{"garbage", "evidence", false},
	} {
		if got := Predates(c.version, c.section); got != c.want {
			t.Errorf("Predates(%q, %q) = %v, want %v", c.version, c.section, got, c.want)
		}
	}
}
