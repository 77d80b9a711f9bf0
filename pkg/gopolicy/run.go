package gopolicy

import (
	"context"
	"sync"
	"time"

	"github.com/gopolicy/gopolicy/pkg/decision"
	"github.com/gopolicy/gopolicy/pkg/output"
)

// Item is one thing to judge in a run: a subject to collect, or a stored
// facts document.
type Item struct {
	// Name identifies the item in a failure (a path, an image reference).
	Name    string
	Subject Subject
	// Facts, when set, is judged instead of collecting Subject.
	Facts []byte
}

// JudgeAll judges many items with at most workers at a time, streaming
// progress and every decision to h in the items' order, and returns the
// worst outcome. A failure on one item (a missing directory, a malformed
// document) becomes that item's decision, an input error that cannot be
// allowed, and never stops the run.
func (p *Pipeline) JudgeAll(ctx context.Context, items []Item, h output.Handler, workers int) (Outcome, error) {
	if workers < 1 {
		workers = 1
	}
	start := time.Now()
	results := make([]*decision.Decision, len(items))
	ready := make([]chan struct{}, len(items))
	for i := range ready {
		ready[i] = make(chan struct{})
	}
	sem := make(chan struct{}, workers)
	var wg sync.WaitGroup
	go func() {
		for i, it := range items {
			sem <- struct{}{}
			wg.Add(1)
			go func() {
				defer func() { <-sem; wg.Done(); close(ready[i]) }()
				results[i] = p.judgeItem(ctx, it)
			}()
		}
	}()
	worst := Allowed
	prog := output.Progress{Total: len(items)}
	for i := range items {
		<-ready[i]
		d := results[i]
		prog.Done++
		switch o := p.outcome(d); o {
		case Denied:
			prog.Denied++
		case Error:
			prog.Errors++
		}
		worst = worse(worst, p.outcome(d))
		prog.Elapsed = time.Since(start)
		if err := h.Progress(prog); err != nil {
			return Error, err
		}
		if err := h.Decision(d); err != nil {
			return Error, err
		}
		results[i] = nil // stream, don't hold the run in memory
	}
	wg.Wait()
	return worst, h.Flush()
}

func (p *Pipeline) judgeItem(ctx context.Context, it Item) *decision.Decision {
	var res *Result
	var err error
	if it.Facts != nil {
		res, err = p.JudgeFacts(ctx, it.Facts)
	} else {
		res, err = p.Judge(ctx, it.Subject)
	}
	if err != nil {
		return &decision.Decision{
			Profile: p.cfg.Profile, Bundle: p.engine.BundleSummary(), Bundles: p.engine.Bundles(),
			Dir: it.Subject.Dir, Findings: []decision.Finding{}, Overrides: []decision.Override{}, Waivers: []decision.WaiverStatus{},
			InputErrors: []decision.InputError{{Collector: "input", Path: it.Name, Message: err.Error()}},
		}
	}
	return res.Decision
}

func worse(a, b Outcome) Outcome {
	rank := map[Outcome]int{Allowed: 0, Denied: 1, Error: 2}
	if rank[b] > rank[a] {
		return b
	}
	return a
}
