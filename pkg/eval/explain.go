package eval

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown"
	"github.com/open-policy-agent/opa/v1/topdown/lineage"

	"github.com/gopolicy/gopolicy/pkg/decision"
)

// Explanation is why one policy decided what it did on one document.
type Explanation struct {
	Policy decision.Policy
	// Violations are what the policy's violation rule produced.
	Violations []any
	// Trace is OPA's trace of the evaluation, kept to the policy's own
	// file and the library it calls: the rules that were tried, which
	// facts they read, and where each failed or succeeded.
	Trace string
}

// Explain evaluates one policy on a decoded facts document with tracing.
// It is for people asking "why": it costs far more than Evaluate.
func (e *Engine) Explain(ctx context.Context, doc map[string]any, id string) (*Explanation, error) {
	idx := -1
	for i, p := range e.policies {
		if strings.EqualFold(p.ID, id) {
			idx = i
			break
		}
	}
	if idx < 0 {
		return nil, fmt.Errorf("unknown policy %q (see 'gopolicy policies list')", id)
	}
	p := e.policies[idx]
	tracer := topdown.NewBufferTracer()
	var input ast.Value = ast.LazyObject(doc)
	opts := append(evalOptions(input), rego.EvalQueryTracer(tracer))
	rs, err := e.single[idx].Eval(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("explain %s: %w", p.ID, err)
	}
	ex := &Explanation{Policy: p}
	if len(rs) == 1 {
		ex.Violations, _ = rs[0].Bindings["p0"].([]any)
	}
	events := lineage.Filter(lineage.Full(*tracer), func(ev *topdown.Event) bool {
		return ev.Location != nil && (ev.Location.File == p.File || strings.Contains(ev.Location.File, "/lib/"))
	})
	var buf bytes.Buffer
	topdown.PrettyTraceWithLocation(&buf, events)
	ex.Trace = buf.String()
	return ex, nil
}
