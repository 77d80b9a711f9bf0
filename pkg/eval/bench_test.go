package eval_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/gopolicy/gopolicy/internal/corpus"
	"github.com/gopolicy/gopolicy/internal/gotest"
	"github.com/gopolicy/gopolicy/pkg/collect"
	"github.com/gopolicy/gopolicy/pkg/eval"
)

func benchFacts(b *testing.B) []byte {
	root, ok := corpus.Optional(b)
	dir := filepath.Join(root, "moby")
	if !ok {
		dir = b.TempDir()
		gotest.WriteTree(b, dir, gotest.App)
	}
	doc, err := collect.Collect(context.Background(), collect.Options{Dir: dir, Env: gotest.Env(b), SkipGoCommand: true})
	if err != nil {
		b.Fatal(err)
	}
	data, err := json.Marshal(doc)
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// BenchmarkEvaluate judges one facts document (moby's, ~1,000 go.sum
// entries and 300 vendored modules) with the whole built-in bundle.
func BenchmarkEvaluate(b *testing.B) {
	e, err := eval.New(context.Background(), eval.Options{Sources: []eval.Source{builtin}})
	if err != nil {
		b.Fatal(err)
	}
	facts := benchFacts(b)
	b.SetBytes(int64(len(facts)))
	b.ResetTimer()
	for b.Loop() {
		if _, err := e.Evaluate(context.Background(), facts, "prod"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNewEngine is the one-off cost of loading and compiling the
// built-in bundle.
func BenchmarkNewEngine(b *testing.B) {
	for b.Loop() {
		if _, err := eval.New(context.Background(), eval.Options{Sources: []eval.Source{builtin}}); err != nil {
			b.Fatal(err)
		}
	}
}
