package policydoc_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gopolicy/gopolicy/pkg/eval"
	"github.com/gopolicy/gopolicy/pkg/policydoc"
	"github.com/gopolicy/gopolicy/policies"
)

var update = flag.Bool("update", false, "rewrite docs/policies from the built-in policies")

// TestReferenceIsCurrent keeps docs/policies in step with the built-in
// policies' METADATA; go test ./pkg/policydoc -update regenerates it.
func TestReferenceIsCurrent(t *testing.T) {
	e, err := eval.New(context.Background(), eval.Options{Sources: []eval.Source{{Name: policies.Name, FS: policies.FS}}})
	if err != nil {
		t.Fatal(err)
	}
	pages := policydoc.Render(e.Policies(), e.Profiles(), e.Bundles())
	if len(pages) != len(e.Policies())+1 {
		t.Fatalf("%d pages for %d policies", len(pages), len(e.Policies()))
	}
	dir := filepath.Join("..", "..", "docs", "policies")
	if *update {
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, data := range pages {
			if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(pages) {
		t.Errorf("docs/policies has %d files, want %d (run: go test ./pkg/policydoc -update)", len(entries), len(pages))
	}
	for name, want := range pages {
		have, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || !bytes.Equal(have, want) {
			t.Errorf("docs/policies/%s is out of date (run: go test ./pkg/policydoc -update)", name)
		}
	}
	for _, p := range e.Policies() {
		page := string(pages[p.ID+".md"])
		if !strings.Contains(page, p.Remediation[:min(40, len(p.Remediation))]) || !strings.Contains(string(pages[policydoc.IndexName]), "["+p.ID+"]("+p.ID+".md)") {
			t.Errorf("%s: page lacks its remediation or its index entry", p.ID)
		}
	}
}
