package gopolicy_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/gopolicy/gopolicy/internal/corpus"
	"github.com/gopolicy/gopolicy/internal/gotest"
	"github.com/gopolicy/gopolicy/pkg/facts/check"
	"github.com/gopolicy/gopolicy/pkg/gopolicy"
)

// mobyFacts is moby's facts document (300 vendored modules, ~1,000 go.sum
// lines), or a small module's without the corpus.
func mobyFacts(b *testing.B) []byte {
	b.Helper()
	dir := b.TempDir()
	if root, ok := corpus.Optional(b); ok {
		dir = filepath.Join(root, "moby")
	} else {
		gotest.WriteTree(b, dir, gotest.App)
	}
	doc, err := gopolicy.Collect(context.Background(), gopolicy.Config{NoGoCommand: true}, gopolicy.Subject{Dir: dir, Env: gotest.Env(b)})
	if err != nil {
		b.Fatal(err)
	}
	data, err := json.Marshal(doc)
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// BenchmarkJudgeFacts is a stored document judged in process: schema
// check, evaluation of every built-in policy, waivers.
func BenchmarkJudgeFacts(b *testing.B) {
	data := mobyFacts(b)
	p := newPipeline(b, gopolicy.Config{Profile: "prod"})
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.JudgeFacts(context.Background(), data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheckDocument is the share of BenchmarkJudgeFacts spent
// decoding and validating the document against the schema.
func BenchmarkCheckDocument(b *testing.B) {
	data := mobyFacts(b)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := check.Document(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEvaluateDocument is the policies' share: one decoded document
// judged again and again, as a server judging one image under several
// profiles would.
func BenchmarkEvaluateDocument(b *testing.B) {
	data := mobyFacts(b)
	doc, err := check.Document(data)
	if err != nil {
		b.Fatal(err)
	}
	p := newPipeline(b, gopolicy.Config{Profile: "prod"})
	for b.Loop() {
		if _, err := p.Engine().EvaluateDocument(context.Background(), doc, "prod"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNew is the once-per-process cost: load and compile the
// built-in bundle.
func BenchmarkNew(b *testing.B) {
	for b.Loop() {
		newPipeline(b, gopolicy.Config{Profile: "prod"})
	}
}

// BenchmarkEvaluateGoSumSize shows the policies' cost does not grow with
// go.sum: the same document with 10 and 100 times as many go.sum lines
// (no policy iterates them without binaries to compare).
func BenchmarkEvaluateGoSumSize(b *testing.B) {
	data := mobyFacts(b)
	p := newPipeline(b, gopolicy.Config{Profile: "prod"})
	for _, factor := range []int{1, 10, 100} {
		doc, err := check.Document(data)
		if err != nil {
			b.Fatal(err)
		}
		sum := doc["gosum"].(map[string]any)
		entries := sum["entries"].([]any)
		grown := make([]any, 0, len(entries)*factor)
		for range factor {
			grown = append(grown, entries...)
		}
		sum["entries"] = grown
		b.Run(fmt.Sprintf("entries=%d", len(grown)), func(b *testing.B) {
			for b.Loop() {
				if _, err := p.Engine().EvaluateDocument(context.Background(), doc, "prod"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
