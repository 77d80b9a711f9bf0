package serve

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"

	"github.com/gopolicy/gopolicy/pkg/eval"
	"github.com/gopolicy/gopolicy/policies"
)

// AdmissionPolicyDir is where the admission policies live in the built-in
// bundle.
const AdmissionPolicyDir = "gopolicy/admission"

// admissionPolicies are the admission policies compiled once.
type admissionPolicies struct {
	query rego.PreparedEvalQuery
}

// loadAdmissionPolicies compiles the admission policies (their Rego and
// the GODEBUG table) with the engine's sandboxed capabilities.
func loadAdmissionPolicies(ctx context.Context, fsys fs.FS) (*admissionPolicies, error) {
	if fsys == nil {
		fsys = policies.FS
	}
	opts := []func(*rego.Rego){
		rego.Query("data.gopolicy.admission.findings"),
		rego.Capabilities(eval.Capabilities()),
		rego.StrictBuiltinErrors(true),
	}
	var godebugs map[string]any
	err := fs.WalkDir(fsys, AdmissionPolicyDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		switch {
		case strings.HasSuffix(p, "_test.rego"):
		case strings.HasSuffix(p, ".rego"):
			m, err := ast.ParseModuleWithOpts(p, string(data), ast.ParserOptions{RegoVersion: ast.RegoV1})
			if err != nil {
				return err
			}
			opts = append(opts, rego.ParsedModule(m))
		case path.Base(p) == "data.json" && path.Base(path.Dir(p)) == "godebugs":
			if err := json.Unmarshal(data, &godebugs); err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("admission policies: %w", err)
	}
	if godebugs == nil {
		return nil, fmt.Errorf("admission policies: %s/godebugs/data.json is missing", AdmissionPolicyDir)
	}
	store := inmem.NewFromObject(map[string]any{"gopolicy": map[string]any{"admission": map[string]any{"godebugs": godebugs}}})
	opts = append(opts, rego.Store(store))
	q, err := rego.New(opts...).PrepareForEval(ctx)
	if err != nil {
		return nil, fmt.Errorf("admission policies: %w", err)
	}
	return &admissionPolicies{query: q}, nil
}

// PodInput is what the admission policies judge: the workload and its
// containers, each with its image's verdict.
type PodInput struct {
	Profile    string           `json:"profile"`
	Namespace  string           `json:"namespace"`
	Kind       string           `json:"kind"`
	Name       string           `json:"name"`
	Containers []ContainerInput `json:"containers"`
}

// ContainerInput is a container and its image's verdict.
type ContainerInput struct {
	Container
	Verdict *ImageVerdict `json:"verdict"`
}

// evaluate runs the admission policies on a pod.
func (a *admissionPolicies) evaluate(ctx context.Context, in PodInput) ([]Finding, error) {
	data, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	var input any
	if err := json.Unmarshal(data, &input); err != nil {
		return nil, err
	}
	rs, err := a.query.Eval(ctx, rego.EvalInput(input))
	if err != nil {
		return nil, fmt.Errorf("admission policies: %w", err)
	}
	var out []Finding
	if len(rs) == 0 || len(rs[0].Expressions) == 0 {
		return out, nil
	}
	set, _ := rs[0].Expressions[0].Value.([]any)
	for _, x := range set {
		m, _ := x.(map[string]any)
		f := Finding{}
		f.Policy, _ = m["policy"].(string)
		f.Level, _ = m["level"].(string)
		f.Message, _ = m["msg"].(string)
		f.Container, _ = m["container"].(string)
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Policy != out[j].Policy {
			return out[i].Policy < out[j].Policy
		}
		return out[i].Message < out[j].Message
	})
	return out, nil
}
