package collect_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gopolicy/gopolicy/internal/corpus"
	"github.com/gopolicy/gopolicy/internal/gotest"
	"github.com/gopolicy/gopolicy/pkg/collect"
)

// largeModule writes a module with n requirements and a complete go.sum
// of 2n lines.
func largeModule(b *testing.B, n int) string {
	dir := b.TempDir()
	var mod, sum strings.Builder
	mod.WriteString("module example.com/large\n\ngo 1.22\n\nrequire (\n")
	for i := range n {
		path := fmt.Sprintf("github.com/org%d/mod%d", i%37, i)
		fmt.Fprintf(&mod, "\t%s v1.%d.0\n", path, i)
		fmt.Fprintf(&sum, "%s v1.%d.0 h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n", path, i)
		fmt.Fprintf(&sum, "%s v1.%d.0/go.mod h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n", path, i)
	}
	mod.WriteString(")\n")
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte(mod.String()), 0o644)
	os.WriteFile(filepath.Join(dir, "go.sum"), []byte(sum.String()), 0o644)
	return dir
}

// BenchmarkCollect measures a whole collection of a module with 600
// requirements and 1,200 go.sum lines. The go env -json cross-check is
// left out: it measures the go command, not gopolicy.
func BenchmarkCollect(b *testing.B) {
	dir := largeModule(b, 600)
	env := gotest.Env(b)
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		doc, err := collect.Collect(ctx, collect.Options{Dir: dir, Env: env, SkipGoCommand: true})
		if err != nil || len(doc.GoSum.Entries) != 1200 {
			b.Fatalf("%v", err)
		}
	}
}

// BenchmarkCollectMoby is the same on moby's real go.sum and vendor tree.
func BenchmarkCollectMoby(b *testing.B) {
	dir := filepath.Join(corpus.Dir(b), "moby")
	env := gotest.Env(b)
	ctx := context.Background()
	for b.Loop() {
		if _, err := collect.Collect(ctx, collect.Options{Dir: dir, Env: env, SkipGoCommand: true}); err != nil {
			b.Fatal(err)
		}
	}
}
