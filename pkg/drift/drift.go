// Package drift compares facts documents collected in different places
// (a developer's machine, CI, the release builder) and judges the
// differences with Rego policies of their own.
//
// The comparison is a document of its own, not a facts document: a
// "drift" section listing every fact whose value differs, with the value
// and where it came from in each environment. The policy engine of
// pkg/eval knows only the facts schema, so drift policies (the built-in
// ones live in policies/gopolicy/drift) are compiled here with the OPA
// rego package, once, in the same sandbox (eval.Capabilities), and their
// verdicts are a decision.Decision that pkg/output renders.
package drift

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/gopolicy/gopolicy/pkg/decision"
	"github.com/gopolicy/gopolicy/pkg/eval"
	"github.com/gopolicy/gopolicy/pkg/facts/check"
	"github.com/gopolicy/gopolicy/policies"
)

// Version names the drift document's shape.
const Version = "gopolicy.drift/v1"

// Categories of compared facts.
const (
	GoEnv     = "goenv"
	Toolchain = "toolchain"
	Runner    = "runner"
	GoMod     = "gomod"
	GoSum     = "gosum"
	Target    = "target"
)

// Document is what drift policies judge (their input).
type Document struct {
	Drift Section `json:"drift"`
}

// Section is the comparison.
type Section struct {
	Version      string        `json:"version"`
	Environments []Environment `json:"environments"`
	// Compared counts the facts compared per category.
	Compared map[string]int `json:"compared"`
	// Differences lists every fact whose value is not the same in every
	// environment that has it, sorted by category and key.
	Differences []Difference `json:"differences"`
}

// Environment is one facts document.
type Environment struct {
	Name string `json:"name"`
	// Dir and Tool are the document's, Now when it was collected.
	Dir  string `json:"dir"`
	Tool string `json:"tool"`
	Now  string `json:"now"`
}

// Difference is one fact with different values.
type Difference struct {
	Category string `json:"category"`
	// Key names the fact within its category: a variable, a module.
	Key string `json:"key"`
	// Fact is the JSON pointer in each facts document.
	Fact   string  `json:"fact"`
	Values []Value `json:"values"`
}

// Value is a fact's value in one environment.
type Value struct {
	Environment string `json:"environment"`
	// Present is false when the environment has no such fact (a module
	// it does not require).
	Present bool   `json:"present"`
	Value   any    `json:"value"`
	Source  string `json:"source,omitempty"`
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
}

// Input is one facts document and the name it is reported by.
type Input struct {
	Name string
	Data []byte
}

type fact struct {
	value  any
	source string
	file   string
	line   int
}

// Compare checks every document against the facts schema and compares
// them. At least two are needed.
func Compare(inputs []Input) (*Document, error) {
	if len(inputs) < 2 {
		return nil, fmt.Errorf("drift needs at least two facts documents, got %d", len(inputs))
	}
	type env struct {
		facts map[string]map[string]fact // category → key → fact
		ptrs  map[string]string          // category+key → pointer
	}
	envs := make([]env, len(inputs))
	sec := Section{Version: Version, Compared: map[string]int{}, Differences: []Difference{}}
	ptrs := map[string]string{}
	for i, in := range inputs {
		doc, err := check.Document(in.Data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", in.Name, err)
		}
		e := Environment{Name: in.Name}
		e.Dir, _ = doc["dir"].(string)
		e.Now, _ = doc["now"].(string)
		if t, ok := doc["tool"].(map[string]any); ok {
			e.Tool = fmt.Sprintf("%v %v", t["name"], t["version"])
		}
		sec.Environments = append(sec.Environments, e)
		envs[i].facts = extract(doc, ptrs)
	}
	cats := []string{GoEnv, Toolchain, Runner, GoMod, GoSum, Target}
	for _, cat := range cats {
		keys := map[string]bool{}
		for _, e := range envs {
			for k := range e.facts[cat] {
				keys[k] = true
			}
		}
		sorted := slices.Sorted(func(yield func(string) bool) {
			for k := range keys {
				if !yield(k) {
					return
				}
			}
		})
		sec.Compared[cat] = len(sorted)
		for _, k := range sorted {
			var vals []Value
			present, distinct := 0, map[string]bool{}
			for i, e := range envs {
				f, ok := e.facts[cat][k]
				v := Value{Environment: inputs[i].Name, Present: ok}
				if ok {
					present++
					v.Value, v.Source, v.File, v.Line = f.value, f.source, f.file, f.line
					b, _ := json.Marshal(f.value)
					distinct[string(b)] = true
				}
				vals = append(vals, v)
			}
			differs := len(distinct) > 1
			// A module some environments do not have at all is a
			// difference of requirements, not of hashes: go.sum entries
			// are compared where both record the module.
			if cat != GoSum && present < len(envs) && present > 0 {
				differs = true
			}
			if differs {
				sec.Differences = append(sec.Differences, Difference{Category: cat, Key: k, Fact: ptrs[cat+"\x00"+k], Values: vals})
			}
		}
	}
	return &Document{Drift: sec}, nil
}

// extract reads the comparable facts of one document.
func extract(doc map[string]any, ptrs map[string]string) map[string]map[string]fact {
	out := map[string]map[string]fact{}
	put := func(cat, key, ptr string, f fact) {
		if out[cat] == nil {
			out[cat] = map[string]fact{}
		}
		out[cat][key] = f
		ptrs[cat+"\x00"+key] = ptr
	}
	obj := func(m any, k string) map[string]any {
		mm, _ := m.(map[string]any)
		r, _ := mm[k].(map[string]any)
		return r
	}
	str := func(m map[string]any, k string) string { s, _ := m[k].(string); return s }
	line := func(m map[string]any) int {
		switch n := m["line"].(type) {
		case json.Number:
			i, _ := n.Int64()
			return int(i)
		case float64:
			return int(n)
		}
		return 0
	}
	if goenv := obj(doc, "goenv"); goenv != nil {
		vars, _ := goenv["vars"].(map[string]any)
		for name, v := range vars {
			vm, _ := v.(map[string]any)
			src := str(vm, "origin")
			if src == "" {
				src = str(vm, "source")
			}
			put(GoEnv, name, "/goenv/vars/"+name+"/value", fact{value: str(vm, "value"), source: src, file: str(vm, "file"), line: line(vm)})
		}
		if tc := obj(goenv, "toolchain"); tc != nil {
			put(Toolchain, "GOTOOLCHAIN mode", "/goenv/toolchain/mode", fact{value: str(tc, "mode"), source: "GOTOOLCHAIN=" + str(tc, "raw")})
		}
	}
	if runner := obj(doc, "runner"); runner != nil {
		if g := obj(runner, "go"); g != nil {
			put(Toolchain, "go version", "/runner/go/version", fact{value: str(g, "version"), source: str(g, "path")})
		}
		put(Runner, "os/arch", "/runner/os", fact{value: str(runner, "os") + "/" + str(runner, "arch")})
		if d := obj(runner, "distro"); d != nil {
			put(Runner, "distribution", "/runner/distro", fact{value: strings.TrimSpace(str(d, "id") + " " + str(d, "version_id")), source: str(d, "file")})
		}
		if l := obj(runner, "libc"); l != nil {
			put(Runner, "libc", "/runner/libc", fact{value: strings.TrimSuffix(str(l, "flavour")+" "+str(l, "version"), " "), source: str(l, "path")})
		}
		cs, _ := runner["compilers"].([]any)
		for i, c := range cs {
			cm, _ := c.(map[string]any)
			role := str(cm, "role")
			if role != "CC" && role != "CXX" {
				continue
			}
			v := str(cm, "version")
			if found, _ := cm["found"].(bool); !found {
				v = "not found (" + str(cm, "command") + ")"
			}
			put(Runner, "C compiler "+role, fmt.Sprintf("/runner/compilers/%d/version", i), fact{value: v, source: str(cm, "path")})
		}
	}
	if gomod := obj(doc, "gomod"); gomod != nil {
		file := str(gomod, "file")
		reqs, _ := gomod["require"].([]any)
		for i, r := range reqs {
			rm, _ := r.(map[string]any)
			put(GoMod, str(rm, "path"), fmt.Sprintf("/gomod/require/%d/version", i), fact{value: str(rm, "version"), source: "go.mod", file: file, line: line(rm)})
		}
		if g := obj(gomod, "go"); g != nil {
			put(Toolchain, "go.mod go", "/gomod/go/version", fact{value: str(g, "version"), source: "go.mod", file: file, line: line(g)})
		}
		if t := obj(gomod, "toolchain"); t != nil {
			put(Toolchain, "go.mod toolchain", "/gomod/toolchain/version", fact{value: str(t, "version"), source: "go.mod", file: file, line: line(t)})
		}
	}
	if gosum := obj(doc, "gosum"); gosum != nil {
		file := str(gosum, "file")
		entries, _ := gosum["entries"].([]any)
		for i, e := range entries {
			em, _ := e.(map[string]any)
			key := str(em, "module") + "@" + str(em, "version")
			if gm, _ := em["go_mod"].(bool); gm {
				key += "/go.mod"
			}
			put(GoSum, key, fmt.Sprintf("/gosum/entries/%d/hash", i), fact{value: str(em, "hash"), source: "go.sum", file: file, line: line(em)})
		}
	}
	if t := obj(doc, "target"); t != nil {
		if spec, _ := t["specified"].(bool); spec {
			libc := obj(t, "libc")
			static, _ := t["static"].(bool)
			put(Target, "platform", "/target", fact{value: fmt.Sprintf("%s/%s libc=%s static=%v", str(t, "os"), str(t, "arch"), strings.TrimSuffix(str(libc, "flavour")+":"+str(libc, "version"), ":"), static), source: str(t, "source")})
		}
	}
	return out
}

// Policy is one drift policy.
type Policy struct {
	decision.Policy
	pkg string
}

// Engine is the compiled drift policies.
type Engine struct {
	query    rego.PreparedEvalQuery
	policies []Policy
	bundle   decision.BundleInfo
}

var (
	builtinOnce sync.Once
	builtin     *Engine
	builtinErr  error
)

// Builtin compiles the built-in drift policies (policies/gopolicy/drift)
// once per process.
func Builtin(ctx context.Context) (*Engine, error) {
	builtinOnce.Do(func() {
		sub, err := fs.Sub(policies.FS, "gopolicy/drift")
		if err != nil {
			builtinErr = err
			return
		}
		builtin, builtinErr = New(ctx, sub, policies.Name+"-drift")
	})
	return builtin, builtinErr
}

// New compiles the drift policies in fsys (*.rego, tests left out): each
// package with a METADATA block whose custom section has drift_id is a
// policy, and its finding rule a set of {msg, evidence, subject}.
func New(ctx context.Context, fsys fs.FS, name string) (*Engine, error) {
	files, err := fs.Glob(fsys, "*.rego")
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	h := sha256.New()
	opts := []func(*rego.Rego){rego.Query("data.gopolicy.drift"), rego.Capabilities(eval.Capabilities()), rego.StrictBuiltinErrors(true)}
	e := &Engine{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.rego") {
			continue
		}
		data, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", f, len(data))
		h.Write(data)
		mod, err := ast.ParseModuleWithOpts(path.Join("drift", f), string(data), ast.ParserOptions{ProcessAnnotation: true, RegoVersion: ast.RegoV1})
		if err != nil {
			return nil, err
		}
		for _, a := range mod.Annotations {
			if a.Scope != "package" {
				continue
			}
			id, _ := a.Custom["drift_id"].(string)
			if id == "" {
				continue
			}
			p := Policy{pkg: strings.TrimPrefix(mod.Package.Path.String(), "data.gopolicy.drift.")}
			p.ID, p.Title, p.Description = id, a.Title, a.Description
			p.Version, _ = a.Custom["version"].(string)
			p.Severity, _ = a.Custom["severity"].(string)
			p.Remediation, _ = a.Custom["remediation"].(string)
			p.Profiles = map[string]string{}
			if prof, ok := a.Custom["profiles"].(map[string]any); ok {
				for k, v := range prof {
					p.Profiles[k], _ = v.(string)
				}
			}
			p.File, p.Line = path.Join("drift", f), a.Location.Row
			p.Package = mod.Package.Path.String()
			p.Bundle = name
			e.policies = append(e.policies, p)
		}
		opts = append(opts, rego.ParsedModule(mod))
	}
	if len(e.policies) == 0 {
		return nil, fmt.Errorf("no drift policies in %s", name)
	}
	sort.Slice(e.policies, func(i, j int) bool { return e.policies[i].ID < e.policies[j].ID })
	e.query, err = rego.New(opts...).PrepareForEval(ctx)
	if err != nil {
		return nil, fmt.Errorf("compile drift policies: %w", err)
	}
	e.bundle = decision.BundleInfo{Name: name, Revision: revision(), Digest: "sha256:" + hex.EncodeToString(h.Sum(nil)), Roots: []string{"gopolicy/drift"}, Source: "embedded:" + name}
	return e, nil
}

func revision() string {
	data, err := fs.ReadFile(policies.FS, ".manifest")
	if err != nil {
		return ""
	}
	var m struct {
		Revision string `json:"revision"`
	}
	json.Unmarshal(data, &m)
	return m.Revision
}

// Policies lists the drift policies.
func (e *Engine) Policies() []Policy { return slices.Clone(e.policies) }

// Judge evaluates the drift policies over a comparison under a profile.
func (e *Engine) Judge(ctx context.Context, doc *Document, profile string) (*decision.Decision, error) {
	raw, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	var input map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&input); err != nil {
		return nil, err
	}
	rs, err := e.query.Eval(ctx, rego.EvalInput(input))
	if err != nil {
		return nil, fmt.Errorf("drift policies: %w", err)
	}
	var results map[string]any
	if len(rs) > 0 && len(rs[0].Expressions) > 0 {
		results, _ = rs[0].Expressions[0].Value.(map[string]any)
	}
	d := &decision.Decision{Profile: profile, Bundle: e.bundle, Bundles: []decision.BundleInfo{e.bundle},
		Findings: []decision.Finding{}, InputErrors: []decision.InputError{}, Overrides: []decision.Override{}, Waivers: []decision.WaiverStatus{}}
	for _, p := range e.policies {
		base := decision.Finding{Policy: p.ID, Title: p.Title, Version: p.Version, Severity: p.Severity, Remediation: p.Remediation, Bundle: e.bundle.Name, Evidence: []decision.Evidence{}}
		level := p.Enforcement(profile)
		pkgRes, _ := results[p.pkg].(map[string]any)
		found, _ := pkgRes["finding"].([]any)
		if level == decision.LevelOff {
			f := base
			f.Level, f.Message = decision.LevelOff, "switched off in profile "+profile
			d.Findings = append(d.Findings, f)
			continue
		}
		if len(found) == 0 {
			f := base
			f.Level, f.Message = decision.LevelPass, "no drift"
			d.Findings = append(d.Findings, f)
			continue
		}
		var fs []decision.Finding
		for _, v := range found {
			vm, _ := v.(map[string]any)
			f := base
			f.Level = level
			f.Message, _ = vm["msg"].(string)
			f.Subject, _ = vm["subject"].(string)
			evs, _ := vm["evidence"].([]any)
			for _, ev := range evs {
				em, _ := ev.(map[string]any)
				x := decision.Evidence{Value: plain(em["value"])}
				x.Fact, _ = em["fact"].(string)
				x.Source, _ = em["source"].(string)
				x.File, _ = em["file"].(string)
				if n, ok := em["line"].(json.Number); ok {
					i, _ := n.Int64()
					x.Line = int(i)
				}
				f.Evidence = append(f.Evidence, x)
			}
			fs = append(fs, f)
		}
		sort.Slice(fs, func(i, j int) bool { return fs[i].Subject < fs[j].Subject })
		d.Findings = append(d.Findings, fs...)
	}
	d.Recount()
	return d, nil
}

// plain turns json.Number into int or float64 for rendering.
func plain(v any) any {
	if n, ok := v.(json.Number); ok {
		if i, err := n.Int64(); err == nil {
			return i
		}
		f, _ := n.Float64()
		return f
	}
	return v
}
