// Package eval compiles policy bundles once and judges facts documents
// with them. It knows the facts document only as JSON: how facts are
// gathered is none of its business.
package eval

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/gopolicy/gopolicy/pkg/decision"
	"github.com/gopolicy/gopolicy/pkg/facts"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
)

// ViolationRule is the rule every policy package defines: a set of
// violation objects {msg, evidence, subject}.
const ViolationRule = "violation"

// Profiles every engine knows; bundles may add more through metadata.
var builtinProfiles = []string{"dev", "ci", "prod"}

// Enforcement values a profile can give a policy.
var enforcements = map[string]bool{decision.LevelDeny: true, decision.LevelWarn: true, decision.LevelOff: true}

var severities = map[string]int{"critical": 5, "high": 4, "medium": 3, "low": 2, "info": 1}

var semverRE = regexp.MustCompile(`^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$`)

// Options configures an engine.
type Options struct {
	Sources []Source
	// Config is merged over data.gopolicy.config, the policies' settings
	// (allow-lists, banned modules, thresholds).
	Config map[string]any
	// Limits caps what each bundle may hold; zero fields take their
	// defaults (see DefaultLimits).
	Limits Limits
	// Timeout bounds one judgement, all policies together: a policy
	// still running when it passes is stopped and becomes an error
	// finding. Zero means DefaultTimeout; negative, no deadline.
	Timeout time.Duration
	// MaxMemory bounds how much the Go heap may grow while one judgement
	// runs; past it the policies still running are stopped and become
	// error findings. Zero means DefaultMaxMemory; negative, no bound.
	MaxMemory int64
}

const (
	// DefaultTimeout is the deadline of one judgement. A real one takes
	// milliseconds; only a policy that loops over a huge range, or
	// builds a huge value, comes near it.
	DefaultTimeout = 5 * time.Second
	// DefaultMaxMemory is how much the heap may grow during one
	// judgement. Judging a large project's facts takes a few MiB.
	DefaultMaxMemory = 256 << 20
)

// Engine holds compiled policies; Evaluate is safe for concurrent use.
type Engine struct {
	policies  []decision.Policy
	takenOver []takeover
	bundles   []decision.BundleInfo
	profiles  []string
	aggregate rego.PreparedEvalQuery
	single    []rego.PreparedEvalQuery
	timeout   time.Duration
	maxMemory int64
}

// CompileError is a policy that does not compile, located at file:line.
type CompileError struct{ Errors ast.Errors }

func (e *CompileError) Error() string {
	// One line per error, code included, so CI logs stay greppable.
	var lines []string
	for _, err := range e.Errors {
		loc := ""
		if err.Location != nil {
			loc = fmt.Sprintf("%s:%d: ", err.Location.File, err.Location.Row)
		}
		lines = append(lines, loc+err.Code+": "+err.Message)
	}
	return "compile policies: " + strings.Join(lines, "; ")
}

// New loads, compiles and prepares the policies. It is the expensive step:
// build one engine per process and reuse it.
func New(ctx context.Context, opts Options) (*Engine, error) {
	set, err := loadAll(opts.Sources, false, opts.Limits)
	if err != nil {
		return nil, err
	}
	data := set.data
	if len(opts.Config) > 0 {
		if err := mergeData(data, map[string]any{"gopolicy": map[string]any{"config": opts.Config}}, "", true); err != nil {
			return nil, fmt.Errorf("policy configuration: %w", err)
		}
	}

	caps := Capabilities()
	if errs := sandboxErrors(set.modules); len(errs) > 0 {
		return nil, &CompileError{errs}
	}
	compiler := ast.NewCompiler().WithCapabilities(caps).WithEnablePrintStatements(false)
	compiler.Compile(set.modules)
	if compiler.Failed() {
		return nil, &CompileError{explainSandbox(compiler.Errors)}
	}
	policies, err := readPolicies(compiler, set.moduleBundle)
	if err != nil {
		return nil, err
	}
	policies, takenOver, err := applyOverrides(policies, set.bundles)
	if err != nil {
		return nil, err
	}
	if len(policies) == 0 {
		return nil, errors.New("no policies found: every policy package needs a METADATA annotation with custom.id")
	}

	e := &Engine{policies: policies, takenOver: takenOver, timeout: opts.Timeout, maxMemory: opts.MaxMemory}
	if e.timeout == 0 {
		e.timeout = DefaultTimeout
	}
	if e.maxMemory == 0 {
		e.maxMemory = DefaultMaxMemory
	}
	for _, lb := range set.bundles {
		e.bundles = append(e.bundles, lb.info)
	}
	e.profiles = profilesOf(policies)

	store := inmem.NewFromObject(data)
	var agg strings.Builder
	for i, p := range policies {
		if i > 0 {
			agg.WriteString("; ")
		}
		fmt.Fprintf(&agg, "p%d = %s.%s", i, p.Package, ViolationRule)
	}
	newQuery := func(q string) (rego.PreparedEvalQuery, error) {
		return rego.New(
			rego.Query(q),
			rego.Compiler(compiler),
			rego.Store(store),
			rego.Capabilities(caps),
			rego.StrictBuiltinErrors(true),
		).PrepareForEval(ctx)
	}
	if e.aggregate, err = newQuery(agg.String()); err != nil {
		return nil, fmt.Errorf("prepare policies: %w", err)
	}
	// Single-policy queries are only used to find which policy failed when
	// the aggregate evaluation errors, so the error lands on that policy.
	for _, p := range policies {
		q, err := newQuery(fmt.Sprintf("p0 = %s.%s", p.Package, ViolationRule))
		if err != nil {
			return nil, fmt.Errorf("prepare policy %s: %w", p.ID, err)
		}
		e.single = append(e.single, q)
	}
	return e, nil
}

// Policies lists the loaded policies in id order.
func (e *Engine) Policies() []decision.Policy { return slices.Clone(e.policies) }

// Bundles lists the loaded bundles.
func (e *Engine) Bundles() []decision.BundleInfo { return slices.Clone(e.bundles) }

// Profiles lists the profiles any policy names, plus dev, ci and prod.
func (e *Engine) Profiles() []string { return slices.Clone(e.profiles) }

// BundleSummary is the one-line identity of all bundles: the revision of
// each and a digest over all of them.
func (e *Engine) BundleSummary() decision.BundleInfo {
	if len(e.bundles) == 1 {
		return e.bundles[0]
	}
	h := sha256.New()
	var revs, names []string
	for _, b := range e.bundles {
		fmt.Fprintf(h, "%s\x00%s\x00", b.Name, b.Digest)
		revs = append(revs, b.Name+" "+b.Revision)
		names = append(names, b.Name)
	}
	return decision.BundleInfo{Name: strings.Join(names, "+"), Revision: strings.Join(revs, ", "), Digest: "sha256:" + hex.EncodeToString(h.Sum(nil)), Source: "combined"}
}

func checkRoots(loaded []*loadedBundle) error {
	type owner struct{ root, bundle string }
	var seen []owner
	for _, lb := range loaded {
		for _, r := range lb.info.Roots {
			for _, o := range seen {
				if r == o.root || strings.HasPrefix(r, o.root+"/") || strings.HasPrefix(o.root, r+"/") || r == "" || o.root == "" {
					return &BundleError{lb.info.Source, fmt.Errorf("manifest root %q overlaps root %q of bundle %s", r, o.root, o.bundle)}
				}
			}
			seen = append(seen, owner{r, lb.info.Source})
		}
	}
	return nil
}

// mergeData merges src into dst. Two bundles may not set the same value;
// overriding (configuration over bundle defaults) replaces leaves.
func mergeData(dst, src map[string]any, at string, override ...bool) error {
	for k, v := range src {
		path := at + "/" + k
		sub, isMap := v.(map[string]any)
		cur, exists := dst[k]
		curMap, curIsMap := cur.(map[string]any)
		switch {
		case !exists:
			dst[k] = v
		case isMap && curIsMap:
			if err := mergeData(curMap, sub, path, override...); err != nil {
				return err
			}
		case len(override) > 0 && override[0]:
			dst[k] = v
		default:
			return fmt.Errorf("data %s is set by two bundles", path)
		}
	}
	return nil
}

func readPolicies(c *ast.Compiler, moduleBundle map[string]string) ([]decision.Policy, error) {
	var policies []decision.Policy
	var problems []string
	seen := map[string]string{}
	for _, ref := range c.GetAnnotationSet().Flatten() {
		a := ref.Annotations
		if a == nil || a.Scope != "package" {
			continue
		}
		id, _ := a.Custom["id"].(string)
		if id == "" {
			continue
		}
		loc := ""
		if a.Location != nil {
			loc = fmt.Sprintf("%s:%d: ", a.Location.File, a.Location.Row)
		}
		p := decision.Policy{ID: id, Title: a.Title, Description: a.Description, Package: ref.Path.String(), Profiles: map[string]string{}}
		if a.Location != nil {
			p.File, p.Line = a.Location.File, a.Location.Row
		}
		p.Bundle = moduleBundle[p.Package]
		p.Version, _ = a.Custom["version"].(string)
		p.Severity, _ = a.Custom["severity"].(string)
		p.Remediation, _ = a.Custom["remediation"].(string)
		var bad []string
		if p.Title == "" {
			bad = append(bad, "title is required")
		}
		if !semverRE.MatchString(p.Version) {
			bad = append(bad, fmt.Sprintf("custom.version %q is not a semantic version", p.Version))
		}
		if _, ok := severities[p.Severity]; !ok {
			bad = append(bad, fmt.Sprintf("custom.severity %q is not one of critical, high, medium, low, info", p.Severity))
		}
		if strings.TrimSpace(p.Remediation) == "" {
			bad = append(bad, "custom.remediation is required")
		}
		if profiles, ok := a.Custom["profiles"].(map[string]any); ok {
			for name, v := range profiles {
				s, _ := v.(string)
				if !enforcements[s] {
					bad = append(bad, fmt.Sprintf("custom.profiles.%s %q is not deny, warn or off", name, v))
					continue
				}
				p.Profiles[name] = s
			}
		} else if _, present := a.Custom["profiles"]; present {
			bad = append(bad, "custom.profiles must map profile names to deny, warn or off")
		}
		replaces, err := stringList(a.Custom["replaces"])
		if err != nil {
			bad = append(bad, "custom.replaces "+err.Error())
		}
		p.Replaces = replaces
		if reqs, ok := a.Custom["requires"].([]any); ok {
			for _, r := range reqs {
				s, _ := r.(string)
				if s == "" {
					bad = append(bad, "custom.requires must list facts section names")
					break
				}
				if !slices.Contains(facts.Sections(), s) {
					bad = append(bad, fmt.Sprintf("custom.requires names %q, which is no facts section (known: %s)", s, strings.Join(facts.Sections(), ", ")))
				}
				p.Requires = append(p.Requires, s)
			}
		}
		if len(c.GetRulesExact(ref.Path.Append(ast.StringTerm(ViolationRule)))) == 0 {
			bad = append(bad, "the package defines no "+ViolationRule+" rule")
		}
		if prev, dup := seen[id]; dup {
			bad = append(bad, "policy id "+id+" is also defined at "+prev+" (to stand in for another bundle's policy, give yours its own id and list the other in custom.replaces)")
		}
		seen[id] = strings.TrimSuffix(loc, ": ")
		for _, b := range bad {
			problems = append(problems, fmt.Sprintf("%spolicy %s: %s", loc, id, b))
		}
		policies = append(policies, p)
	}
	problems = append(problems, unannotated(c)...)
	if len(problems) > 0 {
		sort.Strings(problems)
		return nil, fmt.Errorf("invalid policy metadata: %s", strings.Join(problems, "; "))
	}
	sort.Slice(policies, func(i, j int) bool { return policies[i].ID < policies[j].ID })
	return policies, nil
}

// metadataHelp says what a policy's METADATA must hold.
const metadataHelp = "a policy package needs a METADATA block right above its package line: " +
	"'# METADATA', then '# title: ...', '# custom:' with id, version, severity and remediation " +
	"(see 'gopolicy policies show GP-ENV-001' for an example)"

// unannotated finds packages that define violation rules but carry no
// policy METADATA (none at all, or a misspelt "# Metadata" comment, which
// OPA reads as an ordinary comment): such a policy would never run, and a
// user would read its silence as a pass.
func unannotated(c *ast.Compiler) []string {
	withID := map[string]bool{}
	for _, ref := range c.GetAnnotationSet().Flatten() {
		if a := ref.Annotations; a != nil && a.Scope == "package" {
			if id, _ := a.Custom["id"].(string); id != "" {
				withID[ref.Path.String()] = true
			}
		}
	}
	var problems []string
	seen := map[string]bool{}
	for _, m := range c.Modules {
		pkg := m.Package.Path.String()
		if withID[pkg] || seen[pkg] {
			continue
		}
		for _, r := range m.Rules {
			if r.Head.Name.String() != ViolationRule && !(len(r.Head.Reference) > 0 && r.Head.Reference[0].Value.String() == ViolationRule) {
				continue
			}
			seen[pkg] = true
			loc := m.Package.Location
			problems = append(problems, fmt.Sprintf("%s:%d: package %s defines %s rules but has no policy METADATA with custom.id, so it would never run; %s",
				loc.File, loc.Row, strings.TrimPrefix(pkg, "data."), ViolationRule, metadataHelp))
			break
		}
	}
	return problems
}

func profilesOf(policies []decision.Policy) []string {
	set := map[string]bool{}
	for _, p := range builtinProfiles {
		set[p] = true
	}
	for _, p := range policies {
		for name := range p.Profiles {
			set[name] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}
