package collect

import (
	"context"
	"sync"

	"github.com/gopolicy/gopolicy/pkg/collect/attested"

	"github.com/gopolicy/gopolicy/pkg/collect/binary"
	"github.com/gopolicy/gopolicy/pkg/collect/goenv"
	"github.com/gopolicy/gopolicy/pkg/collect/gomod"
	"github.com/gopolicy/gopolicy/pkg/collect/gosum"
	"github.com/gopolicy/gopolicy/pkg/collect/rootfs"
	"github.com/gopolicy/gopolicy/pkg/collect/runner"
	"github.com/gopolicy/gopolicy/pkg/collect/vendor"
	"github.com/gopolicy/gopolicy/pkg/facts"
)

type goenvCollector struct{}

func (goenvCollector) Info() Info {
	return Info{Name: GoEnv, Local: true, Summary: "the effective Go environment, the layer that set each value, and `go env -json` to cross-check it"}
}

func (goenvCollector) Collect(ctx context.Context, r *Run) ([]facts.Problem, error) {
	resolved := r.Resolved(ctx)
	env := *resolved.Env
	if r.Options.SkipGoCommand {
		env.GoCommand.Error = "not run (--no-go-command)"
	} else {
		// The comparison fills in a copy, so the resolved environment the
		// other collectors read is never written concurrently.
		cp := *resolved
		cp.Env = &env
		goenv.CompareWithGoCommand(ctx, &cp, r.env, r.Dir)
	}
	r.Set(func(doc *facts.Document) { doc.GoEnv = &env })
	return resolved.Problems, nil
}

type runnerCollector struct{}

func (runnerCollector) Info() Info {
	return Info{Name: Runner, Local: true, Summary: "the machine that builds: OS, distribution, C library, Go toolchain, C compilers"}
}

func (runnerCollector) Collect(ctx context.Context, r *Run) ([]facts.Problem, error) {
	f := runner.Collect(ctx, runner.Input{Root: r.Options.Root, Env: r.env, Resolved: r.Resolved(ctx), Go: r.GoTool(ctx)})
	r.Set(func(doc *facts.Document) { doc.Runner = f })
	return nil, nil
}

type gomodCollector struct{}

func (gomodCollector) Info() Info {
	return Info{Name: GoMod, Summary: "go.mod (or vendor.mod) with file lines, and the nested modules below it"}
}

func (gomodCollector) Collect(ctx context.Context, r *Run) ([]facts.Problem, error) {
	mod, problems, err := r.Module(ctx)
	if mod == nil {
		if len(problems) > 0 {
			return problems, nil
		}
		return nil, &Skip{Reason: err.Error()}
	}
	nested, nestedProblems := gomod.FindNested(ctx, mod.Dir)
	f := *mod.Facts
	f.Nested = nested
	r.Set(func(doc *facts.Document) { doc.GoMod = &f })
	return append(problems, nestedProblems...), nil
}

// moduleOrSkip is the parsed go.mod the go.sum and vendor collectors
// check against; without one there is nothing to check.
func moduleOrSkip(ctx context.Context, r *Run) (*gomod.Module, error) {
	mod, _, err := r.Module(ctx)
	if mod != nil {
		return mod, nil
	}
	return nil, &Skip{Reason: err.Error()}
}

type gosumCollector struct{}

func (gosumCollector) Info() Info {
	return Info{Name: GoSum, Summary: "go.sum: malformed lines, conflicting hashes, and the hashes go.mod's requirements lack"}
}

func (gosumCollector) Collect(ctx context.Context, r *Run) ([]facts.Problem, error) {
	mod, err := moduleOrSkip(ctx, r)
	if err != nil {
		return nil, err
	}
	s, problems := gosum.Collect(ctx, mod)
	r.Set(func(doc *facts.Document) { doc.GoSum = s })
	return problems, nil
}

type vendorCollector struct{}

func (vendorCollector) Info() Info {
	return Info{Name: Vendor, Summary: "vendor/modules.txt checked against go.mod with the go command's consistency rules"}
}

func (vendorCollector) Collect(ctx context.Context, r *Run) ([]facts.Problem, error) {
	mod, err := moduleOrSkip(ctx, r)
	if err != nil {
		return nil, err
	}
	v, problems := vendor.Collect(ctx, mod, r.GoTool(ctx).Version)
	r.Set(func(doc *facts.Document) { doc.Vendor = v })
	return problems, nil
}

type goworkCollector struct{}

func (goworkCollector) Info() Info {
	return Info{Name: GoWork, Summary: "the go.work file in force (GOWORK, or found upward), its use and replace lines"}
}

func (goworkCollector) Collect(ctx context.Context, r *Run) ([]facts.Problem, error) {
	w, problems := gomod.LoadWork(ctx, r.Dir, r.Resolved(ctx).Value("GOWORK"))
	r.Set(func(doc *facts.Document) { doc.GoWork = w })
	return problems, nil
}

type targetCollector struct{}

func (targetCollector) Info() Info {
	return Info{Name: Target, Needs: []string{Rootfs}, Summary: "where the artefact will run: --target, --target-libc, --target-static, or the image given with --rootfs"}
}

func (targetCollector) Collect(_ context.Context, r *Run) ([]facts.Problem, error) {
	t := *r.target
	if image := get(r, func(doc *facts.Document) *facts.Rootfs { return doc.Rootfs }); image != nil {
		fillTargetFromRootfs(&t, image)
	}
	if !t.Specified && !r.selected[Runner] {
		// An unnamed target means "where the build runs"; without the
		// runner's facts nobody can tell where that is.
		return nil, &Skip{Reason: "no target given (--target or --rootfs), and the runner's facts are not collected"}
	}
	r.Set(func(doc *facts.Document) { doc.Target = &t })
	return nil, nil
}

type binariesCollector struct{}

func (binariesCollector) Info() Info {
	return Info{Name: Binaries, Needs: []string{Rootfs}, Summary: "each --binary: hash, Go build info, ELF/PE/Mach-O headers, libc needs, hardening, -X stamps, libraries resolved in --rootfs"}
}

func (binariesCollector) Collect(ctx context.Context, r *Run) ([]facts.Problem, error) {
	if len(r.binaryFiles) == 0 {
		return nil, &Skip{Reason: "no --binary given"}
	}
	bins := make([]facts.Binary, len(r.binaryFiles))
	readErrs := make([]error, len(r.binaryFiles))
	sem := make(chan struct{}, binaryWorkers)
	var wg sync.WaitGroup
	for i, f := range r.binaryFiles {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			bins[i], readErrs[i] = binary.Collect(ctx, f, r.Options.Binary)
		}()
	}
	wg.Wait()
	if image := get(r, func(doc *facts.Document) *facts.Rootfs { return doc.Rootfs }); image != nil {
		for i := range bins {
			if bins[i].ELF != nil {
				bins[i].Libraries = rootfs.Libraries(image, bins[i].ELF)
			}
		}
	}
	r.Set(func(doc *facts.Document) { doc.Binaries = bins })
	r.notes(Binaries, r.binaryNotes)
	// A file that could not be read at all (permissions, I/O) is an input
	// problem; one that was read but is not an executable gopolicy can
	// analyse is a fact, judged by the policies.
	var problems []facts.Problem
	for i, err := range readErrs {
		if err != nil {
			problems = append(problems, facts.Problem{Path: bins[i].Path, Message: err.Error()})
		}
	}
	return problems, ctx.Err()
}

type rootfsCollector struct{}

func (rootfsCollector) Info() Info {
	return Info{Name: Rootfs, Summary: "an unpacked image or sysroot: distribution, C library, CA certificates, library search path"}
}

func (rootfsCollector) Collect(ctx context.Context, r *Run) ([]facts.Problem, error) {
	if r.Options.Rootfs == "" {
		return nil, &Skip{Reason: "no --rootfs given"}
	}
	image, problems, err := rootfs.Collect(ctx, r.Options.Rootfs)
	if err != nil {
		return problems, err
	}
	r.Set(func(doc *facts.Document) { doc.Rootfs = image })
	return problems, nil
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

type evidenceCollector struct{}

func (evidenceCollector) Info() Info {
	return Info{
		Name:    Evidence,
		Needs:   []string{Binaries, GoEnv, Runner, GoMod, GoSum, Vendor, GoWork},
		Summary: "Sigstore bundles and facts attestations of the binaries, verified offline; a verified attestation lends the build's own facts where none were collected here",
	}
}

func (evidenceCollector) Collect(ctx context.Context, r *Run) ([]facts.Problem, error) {
	bins := get(r, func(doc *facts.Document) []facts.Binary { return doc.Binaries })
	if len(bins) == 0 && !r.Options.Evidence.Given() {
		return nil, &Skip{Reason: "no --binary given"}
	}
	ev, atts, problems := attested.Collect(ctx, r.Options.Evidence, bins)
	r.Set(func(doc *facts.Document) {
		doc.Evidence = ev
		attested.Lend(doc, atts)
	})
	return problems, ctx.Err()
}
