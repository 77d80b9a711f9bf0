package report

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gopolicy/gopolicy/internal/safeio"
	"github.com/gopolicy/gopolicy/pkg/decision"
	"github.com/gopolicy/gopolicy/pkg/facts"
	"github.com/gopolicy/gopolicy/pkg/gopolicy"
	"github.com/gopolicy/gopolicy/pkg/output"
)

// Input is one artefact to judge: a subject to collect, or a stored
// facts document (FactsFile).
type Input struct {
	Name      string
	Kind      string
	Subject   gopolicy.Subject
	FactsFile string
}

// Sources name what a run judges.
type Sources struct {
	// Args are DIR (a module when it holds go.mod, else every file below
	// it as a binary), BINARY, or DIR/... (every module below DIR).
	Args []string
	// Binaries are files, or directories meaning every file below them.
	Binaries []string
	// Dirs are Go projects.
	Dirs []string
	// Facts are stored facts documents.
	Facts []string
	// Base is the subject every collected input starts from (target,
	// stamps, evidence); its Dir, Binaries and Rootfs are replaced.
	Base gopolicy.Subject
}

// Expand lists the inputs, in a deterministic order: arguments, then
// --dir, --binary and --facts, directories walked in lexical order.
func Expand(ctx context.Context, src Sources) ([]Input, error) {
	var out []Input
	project := func(dir string) {
		s := src.Base
		s.Dir, s.Binaries, s.Rootfs, s.Attestations, s.Bundles = dir, nil, "", nil, nil
		out = append(out, Input{Name: dir, Kind: KindProject, Subject: s})
	}
	bin := func(path string) {
		s := src.Base
		s.Dir, s.Binaries, s.Rootfs = "", []string{path}, ""
		out = append(out, Input{Name: path, Kind: KindBinary, Subject: s})
	}
	walk := func(root string) error {
		var files []string
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			if d.Type().IsRegular() {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			return err
		}
		sort.Strings(files)
		for _, f := range files {
			bin(f)
		}
		return nil
	}
	for _, arg := range src.Args {
		if root, ok := strings.CutSuffix(arg, "/..."); ok || arg == "..." {
			if arg == "..." {
				root = "."
			}
			dirs, err := gopolicy.Modules(ctx, root)
			if err != nil {
				return nil, err
			}
			for _, d := range dirs {
				project(d)
			}
			continue
		}
		fi, err := os.Stat(arg)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", arg, unwrap(err))
		}
		switch {
		case !fi.IsDir():
			bin(arg)
		case isModule(arg):
			project(arg)
		default:
			if err := walk(arg); err != nil {
				return nil, err
			}
		}
	}
	for _, d := range src.Dirs {
		project(d)
	}
	for _, b := range src.Binaries {
		fi, err := os.Stat(b)
		if err != nil {
			return nil, fmt.Errorf("--binary %s: %w", b, unwrap(err))
		}
		if fi.IsDir() {
			if err := walk(b); err != nil {
				return nil, err
			}
		} else {
			bin(b)
		}
	}
	for _, f := range src.Facts {
		out = append(out, Input{Name: f, Kind: KindFacts, FactsFile: f})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("nothing to judge: name directories, binaries, DIR/... or --facts files")
	}
	return out, nil
}

func isModule(dir string) bool {
	for _, n := range []string{"go.mod", "vendor.mod"} {
		if fi, err := os.Stat(filepath.Join(dir, n)); err == nil && fi.Mode().IsRegular() {
			return true
		}
	}
	return false
}

func unwrap(err error) error {
	var pe *fs.PathError
	if e, ok := err.(*fs.PathError); ok {
		pe = e
		return pe.Err
	}
	return err
}

// ParseShard reads "i/n" (1 ≤ i ≤ n).
func ParseShard(s string) (i, n int, err error) {
	if s == "" {
		return 0, 0, nil
	}
	if _, err := fmt.Sscanf(s, "%d/%d", &i, &n); err != nil || n < 1 || i < 1 || i > n || fmt.Sprintf("%d/%d", i, n) != s {
		return 0, 0, fmt.Errorf("--shard %q: want i/n with 1 ≤ i ≤ n, e.g. 2/4", s)
	}
	return i, n, nil
}

// Shard is the deterministic slice of a run shard i of n judges: every
// n-th input starting at the i-th, so shards stay balanced whichever
// order directories were walked in.
func Shard(total, i, n int) []int {
	var idx []int
	for k := range total {
		if n == 0 || k%n == i-1 {
			idx = append(idx, k)
		}
	}
	return idx
}

// Options tune a run.
type Options struct {
	// Jobs bounds how many artefacts are collected and judged at once.
	Jobs int
	// Shard and Shards select a slice of the inputs (see Shard); 0 means all.
	Shard, Shards int
	// Progress, when set (a terminal), gets a progress line.
	Progress io.Writer
	// Now stamps every collected facts document, so a report's facts are
	// the same wherever and whenever the same artefacts are collected.
	Now time.Time
	// FailOn is the configuration's fail-on level.
	FailOn string
}

// Run judges the inputs with one pipeline and streams them into w.
//
// Facts are collected here rather than inside JudgeAll because a report
// stores every document it judged, and JudgeAll's handler receives only
// decisions: the run goes in batches, each collected (bounded by Jobs),
// stored, then judged as stored documents by JudgeAll, so what verify
// re-judges later is exactly what was judged.
func Run(ctx context.Context, p *gopolicy.Pipeline, cfg gopolicy.Config, inputs []Input, w *Writer, opts Options) error {
	jobs := max(opts.Jobs, 1)
	sel := Shard(len(inputs), opts.Shard, opts.Shards)
	h := &handler{w: w, p: p, failOn: opts.FailOn, progress: opts.Progress, start: time.Now(), total: len(sel)}
	batch := max(32, jobs*16)
	for start := 0; start < len(sel); start += batch {
		idx := sel[start:min(start+batch, len(sel))]
		preps := make([]prepared, len(idx))
		var wg sync.WaitGroup
		sem := make(chan struct{}, jobs)
		for j, k := range idx {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				preps[j] = prepare(ctx, cfg, inputs[k], opts.Now)
				preps[j].index, preps[j].in = k, inputs[k]
			}()
		}
		wg.Wait()
		if err := ctx.Err(); err != nil {
			return err
		}
		var items []gopolicy.Item
		h.queue = h.queue[:0]
		for _, pr := range preps {
			if pr.err == nil {
				items = append(items, gopolicy.Item{Name: pr.in.Name, Facts: pr.facts})
			}
			h.queue = append(h.queue, pr)
		}
		if _, err := p.JudgeAll(ctx, items, h, jobs); err != nil {
			return err
		}
		if err := h.drain(); err != nil {
			return err
		}
	}
	if h.drawn {
		h.draw(true)
		fmt.Fprintln(h.progress)
	}
	return nil
}

type prepared struct {
	index int
	in    Input
	facts []byte
	err   error
}

// prepare reads or collects one input's facts.
func prepare(ctx context.Context, cfg gopolicy.Config, in Input, now time.Time) prepared {
	if in.FactsFile != "" {
		data, err := safeio.ReadFile(in.FactsFile, cfg.Limits.Or(safeio.DefaultLimits()).Facts)
		if err != nil {
			return prepared{err: fmt.Errorf("read facts: %w", err)}
		}
		return prepared{facts: data}
	}
	doc, err := gopolicy.Collect(ctx, cfg, in.Subject)
	if err != nil {
		return prepared{err: err}
	}
	Stamp(doc, now)
	data, err := gopolicy.MarshalFacts(doc)
	return prepared{facts: data, err: err}
}

// Stamp makes a collected document reproducible: it is dated with the
// run's time and the collectors' durations (timings, not facts) are
// dropped, so the same artefact collected twice has the same digest.
func Stamp(doc *facts.Document, now time.Time) {
	if !now.IsZero() {
		doc.Now = now.UTC()
	}
	for name, st := range doc.Collectors {
		st.DurationMS = 0
		doc.Collectors[name] = st
	}
}

// handler receives JudgeAll's decisions and writes them to the report
// in the inputs' order, with the inputs that could not be collected in
// their places.
type handler struct {
	w        *Writer
	p        *gopolicy.Pipeline
	failOn   string
	queue    []prepared
	progress io.Writer
	start    time.Time
	lastDraw time.Time
	drawn    bool
	total    int
	done     int
	denied   int
	errors   int
}

func (h *handler) Progress(output.Progress) error { return nil }

func (h *handler) Decision(d *decision.Decision) error {
	// Failed inputs before this decision's go first.
	for len(h.queue) > 0 && h.queue[0].err != nil {
		if err := h.fail(h.queue[0]); err != nil {
			return err
		}
		h.queue = h.queue[1:]
	}
	if len(h.queue) == 0 {
		return fmt.Errorf("report: a decision arrived for no input")
	}
	pr := h.queue[0]
	h.queue = h.queue[1:]
	return h.add(pr, d, pr.facts)
}

func (h *handler) Flush() error { return nil }

func (h *handler) drain() error {
	for _, pr := range h.queue {
		if pr.err == nil {
			return fmt.Errorf("report: input %s was never judged", pr.in.Name)
		}
		if err := h.fail(pr); err != nil {
			return err
		}
	}
	h.queue = h.queue[:0]
	return nil
}

// fail records an input whose facts could not be had, the way JudgeAll
// records one: a decision with an input error.
func (h *handler) fail(pr prepared) error {
	e := h.p.Engine()
	d := &decision.Decision{
		Profile: h.p.Profile(), Bundle: e.BundleSummary(), Bundles: e.Bundles(), Dir: pr.in.Subject.Dir,
		Findings: []decision.Finding{}, Overrides: []decision.Override{}, Waivers: []decision.WaiverStatus{},
		InputErrors: []decision.InputError{{Collector: "input", Path: pr.in.Name, Message: pr.err.Error()}},
	}
	return h.add(pr, d, nil)
}

func (h *handler) add(pr prepared, d *decision.Decision, factsData []byte) error {
	a := Artefact{Index: pr.index, Subject: pr.in.Name, Kind: pr.in.Kind, Outcome: OutcomeOf(d, h.failOn)}
	if pr.err != nil {
		a.Error = pr.err.Error()
	}
	if err := h.w.Add(a, d, factsData); err != nil {
		return err
	}
	h.done++
	switch a.Outcome {
	case "denied":
		h.denied++
	case "error":
		h.errors++
	}
	if h.progress != nil && h.total > 1 {
		h.draw(false)
	}
	return nil
}

func (h *handler) draw(final bool) {
	now := time.Now()
	if !final && h.done < h.total && now.Sub(h.lastDraw) < 100*time.Millisecond {
		return
	}
	h.lastDraw, h.drawn = now, true
	fmt.Fprintf(h.progress, "\r%s", output.ProgressLine(output.Progress{Done: h.done, Total: h.total, Denied: h.denied, Errors: h.errors, Elapsed: now.Sub(h.start)}))
}

// OutcomeOf is a decision's outcome as the pipeline judges it: error
// when a policy could not judge or an input could not be read, denied on
// a deny (or a warning with fail-on warn), else allowed.
func OutcomeOf(d *decision.Decision, failOn string) string {
	switch {
	case d.Summary.Error > 0 || len(d.InputErrors) > 0:
		return string(gopolicy.Error)
	case d.Summary.Deny > 0:
		return string(gopolicy.Denied)
	case failOn == decision.LevelWarn && d.Summary.Warn > 0:
		return string(gopolicy.Denied)
	}
	return string(gopolicy.Allowed)
}
