// Package gopolicy is the pipeline every front door shares: a
// configuration is built once into a Pipeline (policies compiled, bundles
// verified, waivers read), which then judges any number of subjects (a
// project directory, binaries, an unpacked image) or stored facts
// documents, concurrently. The CLI, the admission server and the report
// command are flags and printing around it.
//
// Data flows one way: collect → facts → judge → decision → output.
package gopolicy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gopolicy/gopolicy/pkg/collect/attested"
	"github.com/gopolicy/gopolicy/pkg/evidence"

	"github.com/gopolicy/gopolicy/internal/safeio"

	"github.com/gopolicy/gopolicy/pkg/collect"
	"github.com/gopolicy/gopolicy/pkg/collect/binary"
	"github.com/gopolicy/gopolicy/pkg/collect/target"
	"github.com/gopolicy/gopolicy/pkg/decision"
	"github.com/gopolicy/gopolicy/pkg/eval"
	"github.com/gopolicy/gopolicy/pkg/facts"
	"github.com/gopolicy/gopolicy/pkg/facts/check"
	"github.com/gopolicy/gopolicy/pkg/waiver"
	"github.com/gopolicy/gopolicy/policies"
)

// Outcome is what a judgement means for the caller: allowed, denied (a
// deny finding, or a warning with FailOn warn), or error (the run could
// not decide: a policy failed, or facts could not be read).
type Outcome string

// Outcomes.
const (
	Allowed Outcome = "allowed"
	Denied  Outcome = "denied"
	Error   Outcome = "error"
)

// ExitCode is the outcome as the CLI's exit status: 0, 1 or 2.
func (o Outcome) ExitCode() int {
	switch o {
	case Allowed:
		return 0
	case Denied:
		return 1
	}
	return 2
}

// Subject is one thing to judge: a Go project directory, compiled
// binaries, the image they run in, or any mix.
type Subject struct {
	// Dir is the Go project (go.mod is searched for upward). Empty means
	// no project: the build environment, go.mod and go.sum are not judged.
	Dir string
	// Binaries are files, or directories of them.
	Binaries []string
	// Rootfs is an unpacked image or sysroot the binaries run in.
	Rootfs string
	// Target is where the artefact will run; an empty one means the
	// runner, or the image when Rootfs is given.
	Target target.Spec
	// Env is the environment the build sees; nil means this process's.
	Env map[string]string
	// Collectors overrides which collectors run (see collect.Collectors);
	// nil chooses from what the subject gives (see Pipeline.Judge).
	Collectors []string
	// Recursive scans directories given in Binaries down their subdirectories.
	Recursive bool
	// Attestations are gopolicy facts attestations of the binaries, and
	// Bundles other Sigstore bundles of them: verified offline against
	// Config.Evidence.
	Attestations, Bundles []string
}

// Result is one judgement.
type Result struct {
	Decision *decision.Decision
	// Facts is the facts document judged, as JSON.
	Facts   json.RawMessage
	Outcome Outcome
}

// Pipeline is a configuration built once: the policy engine compiled, the
// bundles verified, waivers read. It is safe for concurrent use.
type Pipeline struct {
	cfg     Config
	trust   evidence.VerifyOptions
	engine  *eval.Engine
	failOn  string
	now     time.Time
	waivers []waiver.Waiver
	horizon map[string]time.Duration
}

// New builds a pipeline. It is the expensive step (loading, verifying and
// compiling policies): build one per process and reuse it.
func New(ctx context.Context, cfg Config) (*Pipeline, error) {
	if cfg.Profile == "" {
		cfg.Profile = DefaultProfile
	}
	p := &Pipeline{cfg: cfg}
	var err error
	if p.failOn, err = checkFailOn(cfg.FailOn); err != nil {
		return nil, err
	}
	if p.now, err = ParseNow(cfg.Now); err != nil {
		return nil, err
	}
	if err := CheckPolicyData(cfg.PolicyData); err != nil {
		return nil, err
	}
	if p.trust, err = readTrust(cfg.Evidence); err != nil {
		return nil, err
	}
	if p.engine, err = NewEngine(ctx, cfg); err != nil {
		return nil, err
	}
	if !slices.Contains(p.engine.Profiles(), cfg.Profile) {
		return nil, &eval.UnknownProfileError{Profile: cfg.Profile, Known: p.engine.Profiles()}
	}
	if p.waivers, err = loadWaivers(cfg); err != nil {
		return nil, err
	}
	p.horizon = horizons(cfg.WaiverMaxDays)
	return p, nil
}

// NewEngine loads and compiles the policies a configuration names: the
// built-in bundle unless NoBuiltin, and Bundles, each verified against
// BundleKey when one is given.
func NewEngine(ctx context.Context, cfg Config) (*eval.Engine, error) {
	sources, err := Sources(cfg)
	if err != nil {
		return nil, err
	}
	return eval.New(ctx, eval.Options{Sources: sources, Config: cfg.PolicyData, Timeout: cfg.EvalTimeout, MaxMemory: cfg.EvalMaxMemory})
}

// Sources lists the policy bundles a configuration names.
func Sources(cfg Config) ([]eval.Source, error) {
	var sources []eval.Source
	if !cfg.NoBuiltin {
		sources = append(sources, Builtin())
	}
	var key *eval.PublicKey
	if cfg.BundleKey != "" {
		if len(cfg.Bundles) == 0 {
			return nil, errors.New("--policy-key given but no --policy bundle to verify")
		}
		data, err := safeio.ReadFile(cfg.BundleKey, cfg.Limits.Or(safeio.DefaultLimits()).Key)
		if err != nil {
			return nil, fmt.Errorf("read --policy-key: %w", err)
		}
		if key, err = eval.ParsePublicKey(data); err != nil {
			return nil, fmt.Errorf("--policy-key %s: %w", cfg.BundleKey, err)
		}
	}
	for _, b := range cfg.Bundles {
		sources = append(sources, eval.Source{Path: b, Key: key})
	}
	if len(sources) == 0 {
		return nil, errors.New("no policies: --no-builtin needs at least one --policy")
	}
	return sources, nil
}

// Builtin is the built-in policy bundle.
func Builtin() eval.Source { return eval.Source{Name: policies.Name, FS: policies.FS} }

func loadWaivers(cfg Config) ([]waiver.Waiver, error) {
	all := slices.Clone(cfg.Waivers)
	for _, file := range cfg.WaiverFiles {
		data, err := safeio.ReadFile(file, cfg.Limits.Or(safeio.DefaultLimits()).Config)
		if err != nil {
			return nil, fmt.Errorf("read waivers: %w", err)
		}
		ws, err := waiver.ParseFile(file, data)
		if err != nil {
			return nil, fmt.Errorf("waivers: %w", err)
		}
		all = append(all, ws...)
	}
	return all, nil
}

func horizons(days map[string]int) map[string]time.Duration {
	merged := map[string]int{}
	for k, v := range DefaultWaiverMaxDays {
		merged[k] = v
	}
	for k, v := range days {
		merged[k] = v
	}
	out := map[string]time.Duration{}
	for profile, n := range merged {
		if n > 0 {
			out[profile] = time.Duration(n) * 24 * time.Hour
		}
	}
	return out
}

// stamps are the variables binaries are read back for: the configured
// ones plus those the policies require, so a required stamp is always in
// the facts and its absence is a finding, not a blind spot.
func stamps(cfg Config) []string {
	out := slices.Clone(cfg.Stamps)
	if req, ok := cfg.PolicyData["required_stamps"].([]any); ok {
		for _, r := range req {
			if s, ok := r.(string); ok && !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return out
}

// Engine is the compiled policy engine, for listing policies.
func (p *Pipeline) Engine() *eval.Engine { return p.engine }

// Profile is the profile judgements use.
func (p *Pipeline) Profile() string { return p.cfg.Profile }

// Collect gathers a subject's facts. Without a Dir, only the artefacts
// are examined: the machine gopolicy runs on did not build them, so its
// Go environment, toolchain and compilers are not the subject's facts,
// and policies that need them report that they were not judged.
//
// Collecting needs no policies: a CI job that only records facts (to sign
// them, or judge them elsewhere) calls Collect without building a Pipeline.
func Collect(ctx context.Context, cfg Config, s Subject) (*facts.Document, error) {
	trust, err := readTrust(cfg.Evidence)
	if err != nil {
		return nil, err
	}
	return collectWith(ctx, cfg, trust, s)
}

// readTrust reads the evidence trust files once.
func readTrust(t EvidenceTrust) (evidence.VerifyOptions, error) {
	opts, err := attested.ReadTrust(t.TrustedRoot, t.Keys, t.LogKeys)
	if err != nil {
		return opts, err
	}
	opts.Identities, opts.KeyFingerprints, opts.TlogEntries = t.Identities, t.KeyFingerprints, t.TlogEntries
	return opts, nil
}

func collectWith(ctx context.Context, cfg Config, trust evidence.VerifyOptions, s Subject) (*facts.Document, error) {
	opts := collect.Options{
		Dir:           s.Dir,
		Env:           s.Env,
		Target:        s.Target,
		SkipGoCommand: cfg.NoGoCommand,
		ToolVersion:   cfg.ToolVersion,
		Binaries:      s.Binaries,
		Recursive:     s.Recursive,
		Rootfs:        s.Rootfs,
		Binary:        binary.Options{NoHash: cfg.NoHash, Stamps: stamps(cfg)},
		Collectors:    s.Collectors,
		Evidence: attested.Options{
			Attestations: s.Attestations, Bundles: s.Bundles, Trust: trust,
			TrustedRootPath: cfg.Evidence.TrustedRoot, KeyPaths: cfg.Evidence.Keys, LogKeyPaths: cfg.Evidence.LogKeys,
			SearchURL: cfg.Evidence.SearchURL,
		},
	}
	if s.Collectors == nil && s.Dir == "" {
		if len(s.Binaries) == 0 && s.Rootfs == "" {
			return nil, &collect.InputError{Err: errors.New("nothing to judge: give a project directory, binaries or a rootfs")}
		}
		opts.Collectors = []string{collect.Binaries, collect.Rootfs, collect.Target, collect.Evidence}
		opts.NotSelected = "artefacts only: no project directory was given, so the local machine's Go environment and toolchain are not the build's"
	}
	doc, err := collect.Collect(safeio.WithLimits(ctx, cfg.Limits), opts)
	if err != nil {
		return nil, err
	}
	return doc, nil
}

// JudgeOnce builds a pipeline and judges one subject with it, collecting
// the facts while the policies compile. It is for one-shot front doors
// (a CI step), where compiling is most of the wall time; anything that
// judges more than once builds a Pipeline with New and keeps it. A
// configuration error is reported before a collection error, as New
// then Judge would.
func JudgeOnce(ctx context.Context, cfg Config, s Subject) (*Result, error) {
	type built struct {
		p   *Pipeline
		err error
	}
	ch := make(chan built, 1)
	go func() {
		p, err := New(ctx, cfg)
		ch <- built{p, err}
	}()
	doc, collectErr := Collect(ctx, cfg, s)
	b := <-ch
	if b.err != nil {
		return nil, b.err
	}
	if collectErr != nil {
		return nil, collectErr
	}
	data, err := MarshalFacts(doc)
	if err != nil {
		return nil, err
	}
	return b.p.judge(ctx, data, nil)
}

// Judge collects a subject's facts and judges them.
func (p *Pipeline) Judge(ctx context.Context, s Subject) (*Result, error) {
	doc, err := collectWith(ctx, p.cfg, p.trust, s)
	if err != nil {
		return nil, err
	}
	data, err := MarshalFacts(doc)
	if err != nil {
		return nil, err
	}
	return p.judge(ctx, data, nil)
}

// JudgeFacts judges a stored facts document. It is checked against the
// facts schema first: a document of the wrong shape is an error naming
// the JSON pointer that is wrong, never a judgement.
func (p *Pipeline) JudgeFacts(ctx context.Context, data []byte) (*Result, error) {
	if max := p.cfg.Limits.Or(safeio.DefaultLimits()).Facts; int64(len(data)) > max {
		return nil, &check.Error{Message: fmt.Sprintf("the document is %s, over the %s limit for facts documents", safeio.Size(int64(len(data))), safeio.Size(max))}
	}
	doc, err := check.Document(data)
	if err != nil {
		return nil, err
	}
	return p.judge(ctx, data, doc)
}

func (p *Pipeline) judge(ctx context.Context, data []byte, doc map[string]any) (*Result, error) {
	if doc == nil {
		// A document this process collected and encoded itself: decoding
		// it cannot fail, but say so if it ever does.
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if err := dec.Decode(&doc); err != nil {
			return nil, fmt.Errorf("decode collected facts: %w", err)
		}
	}
	d, err := p.engine.EvaluateDocument(ctx, doc, p.cfg.Profile)
	if err != nil {
		return nil, err
	}
	d.Scope = scopeOf(doc)
	opts := waiver.Options{Now: p.now, MaxHorizon: p.horizon[d.Profile]}
	if opts.Now.IsZero() {
		opts.Now = time.Now().UTC()
	}
	if err := waiver.Apply(d, p.waivers, opts); err != nil {
		return nil, err
	}
	return &Result{Decision: d, Facts: data, Outcome: p.outcome(d)}, nil
}

func (p *Pipeline) outcome(d *decision.Decision) Outcome {
	switch {
	case d.Summary.Error > 0 || len(d.InputErrors) > 0:
		return Error
	case d.Summary.Deny > 0:
		return Denied
	case p.failOn == decision.LevelWarn && d.Summary.Warn > 0:
		return Denied
	}
	return Allowed
}

// MarshalFacts encodes a facts document as gopolicy writes it: indented,
// lists never null.
func MarshalFacts(doc *facts.Document) ([]byte, error) {
	facts.Normalize(doc)
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("encode facts: %w", err)
	}
	return []byte(b.String()), nil
}

// Explain traces why one policy decided what it did on a judged facts
// document (Result.Facts).
func (p *Pipeline) Explain(ctx context.Context, factsJSON []byte, policyID string) (*eval.Explanation, error) {
	dec := json.NewDecoder(bytes.NewReader(factsJSON))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("explain: decode facts: %w", err)
	}
	return p.engine.Explain(ctx, doc, policyID)
}
