// Package collect gathers every fact about a build into one facts
// document. Each collector lives in its own sub-package and knows nothing
// about policies; this package only runs them and records how each fared.
package collect

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/gopolicy/gopolicy/pkg/collect/binary"
	"github.com/gopolicy/gopolicy/pkg/collect/goenv"
	"github.com/gopolicy/gopolicy/pkg/collect/gomod"
	"github.com/gopolicy/gopolicy/pkg/collect/gosum"
	"github.com/gopolicy/gopolicy/pkg/collect/rootfs"
	"github.com/gopolicy/gopolicy/pkg/collect/runner"
	"github.com/gopolicy/gopolicy/pkg/collect/target"
	"github.com/gopolicy/gopolicy/pkg/collect/vendor"
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
)

// Options says what to collect.
type Options struct {
	// Dir is the directory of the Go project; "" means the working directory.
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
	// Binaries are files or directories of compiled artefacts.
	Binaries []string
	// Binary tunes binary analysis (hashing, stamps to read back).
	Binary binary.Options
	// Rootfs is an unpacked image or sysroot the binaries will run in.
	Rootfs string
}

// binaryWorkers bounds concurrent binary analysis: hashing is I/O and
// CPU bound, and a directory may hold many large files.
const binaryWorkers = 4

// InputError is an error in what the user asked for (a missing directory,
// an invalid target); the CLI reports it with exit status 2.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// Collect runs every collector. It fails only when the request itself is
// unusable; everything a collector cannot read is recorded in the document.
func Collect(ctx context.Context, opts Options) (*facts.Document, error) {
	dir := opts.Dir
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return nil, fmt.Errorf("working directory: %w", err)
		}
		dir = wd
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, &InputError{fmt.Errorf("directory %s: %w", opts.Dir, err)}
	}
	if fi, err := os.Stat(dir); err != nil {
		return nil, &InputError{fmt.Errorf("directory %s: %w", dir, errors.Unwrap(err))}
	} else if !fi.IsDir() {
		return nil, &InputError{fmt.Errorf("directory %s: not a directory", dir)}
	}
	tgt, err := target.Build(opts.Target)
	if err != nil {
		return nil, &InputError{err}
	}
	binaryFiles, err := binary.Expand(opts.Binaries)
	if err != nil {
		return nil, &InputError{err}
	}
	var image *facts.Rootfs
	var imageProblems []facts.Problem
	rootfsStart := time.Now()
	if opts.Rootfs != "" {
		if image, imageProblems, err = rootfs.Collect(opts.Rootfs); err != nil {
			return nil, &InputError{err}
		}
		fillTargetFromRootfs(tgt, image)
	}
	env := opts.Env
	if env == nil {
		env = goenv.EnvFromOS()
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now().UTC()
	}
	doc := &facts.Document{
		Schema:     facts.SchemaVersion,
		Now:        now,
		Tool:       facts.Tool{Name: "gopolicy", Version: opts.ToolVersion},
		Dir:        dir,
		Collectors: map[string]facts.CollectorStatus{},
		Target:     tgt,
	}
	rec := &recorder{doc: doc}
	rec.done(Target, time.Now(), nil)
	if image != nil {
		doc.Rootfs = image
		rec.done(Rootfs, rootfsStart, imageProblems)
	} else {
		rec.skip(Rootfs, "no --rootfs given")
	}

	// Stage one: the inputs other collectors depend on. Both are cheap: the
	// environment is two small files, go.mod one parse.
	resolved := goenv.Resolve(goenv.Input{Env: env})
	envProblems := resolved.Problems
	goTool := runner.GoTool(ctx, env)

	start := time.Now()
	var mod *gomod.Module
	modDir, modName, locateErr := gomod.Locate(dir)
	if locateErr == nil {
		var problems []facts.Problem
		mod, problems = gomod.Load(modDir, modName)
		if mod != nil {
			nested, nestedProblems := gomod.FindNested(modDir)
			mod.Facts.Nested = nested
			problems = append(problems, nestedProblems...)
			doc.GoMod = mod.Facts
		}
		rec.done(GoMod, start, problems)
	} else {
		rec.skip(GoMod, locateErr.Error())
	}

	// Stage two: everything else, concurrently.
	var wg sync.WaitGroup
	run := func(name string, f func() []facts.Problem) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.Now()
			problems := f()
			rec.done(name, t, problems)
		}()
	}
	run(GoEnv, func() []facts.Problem {
		if !opts.SkipGoCommand {
			goenv.CompareWithGoCommand(ctx, resolved, env, dir)
		} else {
			resolved.Env.GoCommand.Error = "not run (--no-go-command)"
		}
		rec.set(func() { doc.GoEnv = resolved.Env })
		return envProblems
	})
	var runnerFacts *facts.Runner
	run(Runner, func() []facts.Problem {
		runnerFacts = runner.Collect(ctx, runner.Input{Root: opts.Root, Env: env, Resolved: resolved, Go: goTool})
		rec.set(func() { doc.Runner = runnerFacts })
		return nil
	})
	run(GoWork, func() []facts.Problem {
		w, problems := gomod.LoadWork(dir, resolved.Value("GOWORK"))
		rec.set(func() { doc.GoWork = w })
		return problems
	})
	if mod != nil {
		run(GoSum, func() []facts.Problem {
			s, problems := gosum.Collect(mod)
			rec.set(func() { doc.GoSum = s })
			return problems
		})
		run(Vendor, func() []facts.Problem {
			v, problems := vendor.Collect(mod, goTool.Version)
			rec.set(func() { doc.Vendor = v })
			return problems
		})
	} else {
		// Without a parsed go.mod there is nothing to check go.sum and
		// vendor/ against; the gomod status already carries the error.
		reason := "no go.mod"
		if locateErr == nil {
			reason = "go.mod could not be parsed"
		}
		rec.skip(GoSum, reason)
		rec.skip(Vendor, reason)
	}
	if len(binaryFiles) > 0 {
		run(Binaries, func() []facts.Problem {
			bins := collectBinaries(binaryFiles, opts.Binary)
			if image != nil {
				for i := range bins {
					if bins[i].ELF != nil {
						bins[i].Libraries = rootfs.Libraries(image, bins[i].ELF)
					}
				}
			}
			rec.set(func() { doc.Binaries = bins })
			return nil
		})
	} else {
		rec.skip(Binaries, "no --binary given")
	}
	wg.Wait()
	return doc, nil
}

func collectBinaries(files []string, opts binary.Options) []facts.Binary {
	out := make([]facts.Binary, len(files))
	sem := make(chan struct{}, binaryWorkers)
	var wg sync.WaitGroup
	for i, f := range files {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			out[i] = binary.Collect(f, opts)
		}()
	}
	wg.Wait()
	return out
}

// fillTargetFromRootfs lets the image say where the binaries run when the
// user did not: the flags win, the image fills the gaps.
func fillTargetFromRootfs(t *facts.Target, r *facts.Rootfs) {
	if !t.Specified {
		t.Specified, t.Source = true, "rootfs"
	}
	if t.OS == "" {
		t.OS = "linux"
	}
	if t.Arch == "" {
		t.Arch = r.Arch
	}
	if t.Libc.Flavour == "" || t.Libc.Flavour == facts.LibcUnknown {
		t.Libc = facts.Libc{Flavour: r.Libc.Flavour, Version: r.Libc.Version}
	}
}

type recorder struct {
	mu  sync.Mutex
	doc *facts.Document
}

func (r *recorder) set(f func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f()
}

func (r *recorder) done(name string, start time.Time, problems []facts.Problem) {
	st := facts.CollectorStatus{Status: facts.StatusOK, Problems: problems, DurationMS: float64(time.Since(start).Microseconds()) / 1000}
	if len(problems) > 0 {
		st.Status = facts.StatusError
	}
	r.set(func() { r.doc.Collectors[name] = st })
}

func (r *recorder) skip(name, reason string) {
	r.set(func() { r.doc.Collectors[name] = facts.CollectorStatus{Status: facts.StatusSkipped, Reason: reason} })
}
