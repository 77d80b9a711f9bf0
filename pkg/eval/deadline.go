package eval

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"time"

	"github.com/gopolicy/gopolicy/internal/safeio"
)

// Why an evaluation was stopped; the context's cause.
var (
	errDeadline = errors.New("evaluation deadline passed")
	errMemory   = errors.New("evaluation memory limit reached")
)

// evalTime is the wall-clock time every evaluation sees. No builtin the
// sandbox allows reads it; pinning it makes sure that stays true of any
// OPA change: a clock-reading builtin would see the same instant on
// every run, never the real clock.
var evalTime = time.Unix(0, 0).UTC()

// zeroSeed is the randomness every evaluation sees, for the same reason.
type zeroSeed struct{}

func (zeroSeed) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

var _ io.Reader = zeroSeed{}

// memCheckInterval is how often a running evaluation's heap is checked.
const memCheckInterval = 10 * time.Millisecond

// heapBytes is the Go heap in use: live objects and garbage not yet
// swept. Reading it does not stop the world.
func heapBytes() int64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return int64(s[0].Value.Uint64())
}

// memoryGuard cancels a context, with errMemory as the cause, when the
// heap has grown by more than max since the guard started. The check
// runs on a timer, so an evaluation that ends within 10 ms costs one
// timer; over the limit, a garbage collection runs first, so only
// memory still in use counts. The heap is the process's: concurrent
// judgements count against each other, which errs on the side of
// stopping.
type memoryGuard struct {
	cancel  context.CancelCauseFunc
	base    int64
	max     int64
	mu      sync.Mutex
	timer   *time.Timer
	stopped bool
}

// guardMemory returns a context that memory growth beyond max cancels,
// and the function that stops the guard (call it when the evaluation
// ends). max <= 0 guards nothing.
func guardMemory(parent context.Context, max int64) (context.Context, func()) {
	if max <= 0 {
		return parent, func() {}
	}
	ctx, cancel := context.WithCancelCause(parent)
	g := &memoryGuard{cancel: cancel, base: heapBytes(), max: max}
	g.mu.Lock()
	g.timer = time.AfterFunc(memCheckInterval, g.check)
	g.mu.Unlock()
	return ctx, func() {
		g.mu.Lock()
		g.stopped = true
		g.timer.Stop()
		g.mu.Unlock()
		cancel(nil)
	}
}

func (g *memoryGuard) check() {
	if heapBytes()-g.base > g.max {
		runtime.GC()
		if heapBytes()-g.base > g.max {
			g.cancel(errMemory)
			return
		}
	}
	g.mu.Lock()
	if !g.stopped {
		g.timer.Reset(memCheckInterval)
	}
	g.mu.Unlock()
}

// stopped reports whether ctx was stopped by the deadline or the memory
// guard.
func stopped(ctx context.Context) bool {
	c := context.Cause(ctx)
	return errors.Is(c, errDeadline) || errors.Is(c, errMemory)
}

// describeEvalError words an evaluation error for a finding: a policy
// stopped by the deadline or the memory guard says so, with OPA's own
// words on what it was doing when they are more than the context's.
func (e *Engine) describeEvalError(ctx context.Context, err error) string {
	detail := err.Error()
	if strings.HasSuffix(detail, context.DeadlineExceeded.Error()) || strings.HasSuffix(detail, context.Canceled.Error()) || strings.HasSuffix(detail, "caller cancelled query execution") {
		detail = ""
	} else {
		detail = " (" + detail + ")"
	}
	switch c := context.Cause(ctx); {
	case errors.Is(c, errDeadline):
		return fmt.Sprintf("evaluation failed: deadline passed: the policy did not finish within the %s evaluation timeout%s", e.timeout, detail)
	case errors.Is(c, errMemory):
		return fmt.Sprintf("evaluation failed: memory limit reached: the heap grew by more than %s while the policy ran, so it was stopped%s", safeio.Size(e.maxMemory), detail)
	}
	return "evaluation failed: " + err.Error()
}
