// Package collect gathers facts about a build into one facts document.
// Each collector lives in its own sub-package and knows nothing about
// policies; this package registers them behind one interface, runs the
// ones a caller selects, and records how each fared.
package collect

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gopolicy/gopolicy/pkg/collect/attested"

	"github.com/gopolicy/gopolicy/pkg/collect/binary"
	"github.com/gopolicy/gopolicy/pkg/collect/goenv"
	"github.com/gopolicy/gopolicy/pkg/collect/gomod"
	"github.com/gopolicy/gopolicy/pkg/collect/runner"
	"github.com/gopolicy/gopolicy/pkg/collect/target"
	"github.com/gopolicy/gopolicy/pkg/facts"
)

// Collector names: each is also the name of its section in the document.
const (
	GoEnv    = "goenv"
	Runner   = "runner"
	GoMod    = "gomod"
	GoSum    = "gosum"
	Vendor   = "vendor"
	GoWork   = "gowork"
	Target   = "target"
	Binaries = "binaries"
	Rootfs   = "rootfs"
	Evidence = "evidence"
)

// Options says what to collect.
type Options struct {
	// Dir is the directory of the Go project; "" means the working
	// directory. It is only read when a collector that needs a project
	// (gomod, gosum, vendor, gowork, goenv's go command) is selected.
	Dir string
	// Env is the process environment the build will see; nil means this
	// process's environment.
	Env map[string]string
	// Now stamps the document; zero means the current time.
	Now time.Time
	// Target describes where the artefact will run.
	Target target.Spec
	// Root is the runner's filesystem root; "" means "/".
	Root string
	// SkipGoCommand leaves out `go env -json`, for speed.
	SkipGoCommand bool
	// ToolVersion is recorded in the document.
	ToolVersion string
	// Binaries are files or directories of compiled artefacts; Recursive
	// scans directories' subdirectories too.
	Binaries  []string
	Recursive bool
	// Binary tunes binary analysis (hashing, stamps to read back).
	Binary binary.Options
	// Rootfs is an unpacked image or sysroot the binaries will run in.
	Rootfs string
	// Evidence are the Sigstore bundles and facts attestations given for
	// the binaries, and the trust they are verified against.
	Evidence attested.Options
	// Collectors names the collectors to run; nil means all of them. A
	// collector left out is recorded as skipped with NotSelected as its
	// reason, so policies that need its facts say they were not judged.
	Collectors []string
	// NotSelected explains why collectors were left out ("binary-only run:
	// the local Go environment did not build these binaries").
	NotSelected string
}

// binaryWorkers bounds concurrent binary analysis: hashing is I/O and
// CPU bound, and a directory may hold many large files.
const binaryWorkers = 4

// InputError is an error in what the user asked for (a missing directory,
// an invalid target); front doors report it as a usage error.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// Skip is returned by a collector whose facts do not apply to this
// request (no go.mod, no --binary): the section is absent and its status
// says why, which policies report as "not judged", never as a pass.
type Skip struct{ Reason string }

func (s *Skip) Error() string { return "skipped: " + s.Reason }

// Info describes a collector.
type Info struct {
	// Name is the collector's name and the facts section it fills.
	Name string `json:"name"`
	// Local is true for collectors that read the machine gopolicy runs on
	// (its process environment, Go toolchain, C compilers) rather than the
	// artefact under judgement. A server judging an image must not run
	// them: their facts would describe the server.
	Local bool `json:"local"`
	// Needs lists collectors whose results this one reads when they run:
	// they run first. Needing one does not select it.
	Needs []string `json:"needs,omitempty"`
	// Summary says in a line what the collector records.
	Summary string `json:"summary"`
}

// A Collector gathers one section of the facts document. Collect writes
// its section through run.Set; it returns the inputs it could not read as
// problems (the section's status becomes "error"), a *Skip when its facts
// do not apply, or another error when it could not run at all. Every
// collector honours ctx.
type Collector interface {
	Info() Info
	Collect(ctx context.Context, run *Run) ([]facts.Problem, error)
}

// registry is every collector gopolicy has, in document order. A new
// collector is one type implementing Collector, added here.
var registry = []Collector{
	goenvCollector{}, runnerCollector{}, gomodCollector{}, gosumCollector{}, vendorCollector{},
	goworkCollector{}, targetCollector{}, binariesCollector{}, rootfsCollector{}, evidenceCollector{},
}

// Collectors describes every registered collector.
func Collectors() []Info {
	out := make([]Info, len(registry))
	for i, c := range registry {
		out[i] = c.Info()
	}
	return out
}

// Names lists the registered collectors' names.
func Names() []string {
	out := make([]string, len(registry))
	for i, c := range registry {
		out[i] = c.Info().Name
	}
	return out
}

// Run is one collection in progress: the request, the document being
// filled, and the intermediate results several collectors share (the
// resolved Go environment, the Go toolchain, the parsed go.mod), each
// computed once on first use.
type Run struct {
	Options Options
	// Dir is the absolute project directory ("" when no collector needs
	// one).
	Dir string

	mu  sync.Mutex
	doc *facts.Document

	env        map[string]string
	envOnce    sync.Once
	resolved   *goenv.Resolved
	goToolOnce sync.Once
	goTool     facts.GoTool
	modOnce    sync.Once
	mod        *gomod.Module
	modErr     error
	modProbs   []facts.Problem

	binaryFiles []string
	binaryNotes []string
	// collectorNotes are guarded by mu.
	collectorNotes map[string][]string
	target         *facts.Target
	selected       map[string]bool
}

// Set changes the document under the run's lock.
func (r *Run) Set(f func(doc *facts.Document)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f(r.doc)
}

// get reads the document under the run's lock.
func get[T any](r *Run, f func(doc *facts.Document) T) T {
	r.mu.Lock()
	defer r.mu.Unlock()
	return f(r.doc)
}

// Resolved is the effective Go environment, computed once.
func (r *Run) Resolved(ctx context.Context) *goenv.Resolved {
	r.envOnce.Do(func() { r.resolved = goenv.Resolve(ctx, goenv.Input{Env: r.env}) })
	return r.resolved
}

// GoTool is the go command the build would use, probed once.
func (r *Run) GoTool(ctx context.Context) facts.GoTool {
	r.goToolOnce.Do(func() { r.goTool = runner.GoTool(ctx, r.env) })
	return r.goTool
}

// Module is the project's go.mod, located and parsed once. The error says
// why there is none; problems are what made the parse fail.
func (r *Run) Module(ctx context.Context) (*gomod.Module, []facts.Problem, error) {
	r.modOnce.Do(func() {
		modDir, modName, err := gomod.Locate(r.Dir)
		if err != nil {
			r.modErr = err
			if !errors.Is(err, gomod.ErrNoModule) {
				r.modProbs = []facts.Problem{{Path: r.Dir, Message: err.Error()}}
			}
			return
		}
		r.mod, r.modProbs = gomod.Load(ctx, modDir, modName)
		if r.mod == nil {
			r.modErr = errors.New("go.mod could not be parsed")
		}
	})
	return r.mod, r.modProbs, r.modErr
}

// needsDir lists the collectors that read the project directory.
var needsDir = map[string]bool{GoEnv: true, GoMod: true, GoSum: true, Vendor: true, GoWork: true}

// Collect runs the selected collectors. It fails only when the request
// itself is unusable; everything a collector cannot read is recorded in
// the document.
func Collect(ctx context.Context, opts Options) (*facts.Document, error) {
	selected, err := selection(opts.Collectors)
	if err != nil {
		return nil, &InputError{err}
	}
	run := &Run{Options: opts, env: opts.Env, selected: map[string]bool{}}
	for _, c := range selected {
		run.selected[c.Info().Name] = true
	}
	if run.env == nil {
		run.env = goenv.EnvFromOS()
	}
	if slices.ContainsFunc(selected, func(c Collector) bool { return needsDir[c.Info().Name] }) {
		if run.Dir, err = projectDir(opts.Dir); err != nil {
			return nil, &InputError{err}
		}
	}
	if run.target, err = target.Build(opts.Target); err != nil {
		return nil, &InputError{err}
	}
	if isSelected(selected, Binaries) {
		if run.binaryFiles, run.binaryNotes, err = binary.Scan(opts.Binaries, opts.Recursive); err != nil {
			return nil, &InputError{err}
		}
	}
	if isSelected(selected, Rootfs) && opts.Rootfs != "" {
		if err := checkRootfs(opts.Rootfs); err != nil {
			return nil, &InputError{err}
		}
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now().UTC()
	}
	run.doc = &facts.Document{
		Schema:     facts.SchemaVersion,
		Now:        now,
		Tool:       facts.Tool{Name: "gopolicy", Version: opts.ToolVersion},
		Dir:        run.Dir,
		Collectors: map[string]facts.CollectorStatus{},
	}

	done := map[string]chan struct{}{}
	for _, c := range registry {
		done[c.Info().Name] = make(chan struct{})
	}
	var wg sync.WaitGroup
	for _, c := range registry {
		info := c.Info()
		if !isSelected(selected, info.Name) {
			reason := opts.NotSelected
			if reason == "" {
				reason = "not selected"
			}
			run.status(info.Name, facts.CollectorStatus{Status: facts.StatusSkipped, Reason: reason})
			close(done[info.Name])
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(done[info.Name])
			for _, n := range info.Needs {
				select {
				case <-done[n]:
				case <-ctx.Done():
				}
			}
			run.record(ctx, info.Name, c)
		}()
	}
	wg.Wait()
	facts.Normalize(run.doc)
	return run.doc, nil
}

// record runs one collector and turns its outcome into its status: the
// one place every collector's errors go through.
func (r *Run) record(ctx context.Context, name string, c Collector) {
	start := time.Now()
	var problems []facts.Problem
	var err error
	if ctxErr := ctx.Err(); ctxErr != nil {
		err = ctxErr
	} else {
		problems, err = c.Collect(ctx, r)
	}
	st := facts.CollectorStatus{Status: facts.StatusOK, Problems: problems}
	var skip *Skip
	switch {
	case errors.As(err, &skip):
		st = facts.CollectorStatus{Status: facts.StatusSkipped, Reason: skip.Reason}
	case err != nil:
		st.Problems = append(st.Problems, facts.Problem{Message: fmt.Sprintf("%s collector: %v", name, err)})
	}
	if err == nil && ctx.Err() != nil {
		// A collector that returned early on cancellation has incomplete
		// facts: they must not be judged as complete.
		st.Problems = append(st.Problems, facts.Problem{Message: fmt.Sprintf("%s collector: %v", name, ctx.Err())})
	}
	if len(st.Problems) > 0 {
		st.Status = facts.StatusError
	}
	if st.Status != facts.StatusSkipped {
		st.DurationMS = float64(time.Since(start).Microseconds()) / 1000
	}
	r.Set(func(doc *facts.Document) {
		st.Notes = r.collectorNotes[name]
		doc.Collectors[name] = st
	})
}

// notes records what a collector left out on purpose; record() puts them
// in its status.
func (r *Run) notes(name string, notes []string) {
	if len(notes) == 0 {
		return
	}
	r.Set(func(*facts.Document) {
		if r.collectorNotes == nil {
			r.collectorNotes = map[string][]string{}
		}
		r.collectorNotes[name] = append(r.collectorNotes[name], notes...)
	})
}

func (r *Run) status(name string, st facts.CollectorStatus) {
	r.Set(func(doc *facts.Document) { doc.Collectors[name] = st })
}

func selection(names []string) ([]Collector, error) {
	if names == nil {
		return registry, nil
	}
	var out []Collector
	for _, n := range names {
		i := slices.IndexFunc(registry, func(c Collector) bool { return c.Info().Name == n })
		if i < 0 {
			return nil, fmt.Errorf("unknown collector %q (known: %s)", n, strings.Join(Names(), ", "))
		}
		out = append(out, registry[i])
	}
	return out, nil
}

func isSelected(cs []Collector, name string) bool {
	return slices.ContainsFunc(cs, func(c Collector) bool { return c.Info().Name == name })
}

func projectDir(dir string) (string, error) {
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return "", fmt.Errorf("working directory: %w", err)
		}
		dir = wd
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("directory %s: %w", dir, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return "", fmt.Errorf("directory %s: %w", abs, errors.Unwrap(err))
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("directory %s: not a directory", abs)
	}
	return abs, nil
}

func checkRootfs(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("rootfs %s: %w", dir, errors.Unwrap(err))
	}
	if !fi.IsDir() {
		return fmt.Errorf("rootfs %s: not a directory", dir)
	}
	return nil
}
