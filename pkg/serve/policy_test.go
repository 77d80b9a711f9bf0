package serve

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/format"

	"github.com/gopolicy/gopolicy/pkg/eval"
)

var fixFormat = flag.Bool("fix-rego", false, "rewrite the admission policies as opa fmt would")

// TestAdmissionPoliciesFormattedAndTested: the admission policies are
// formatted as opa fmt writes them, compile with the engine's sandboxed
// capabilities, and their Rego tests pass.
func TestAdmissionPoliciesFormattedAndTested(t *testing.T) {
	dir := filepath.Join("..", "..", "policies", "gopolicy", "admission")
	files, _ := filepath.Glob(filepath.Join(dir, "*.rego"))
	if len(files) == 0 {
		t.Fatal("no admission policies")
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out, err := format.SourceWithOpts(f, src, format.Opts{RegoVersion: ast.RegoV1})
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if !bytes.Equal(out, src) {
			if *fixFormat {
				os.WriteFile(f, out, 0o644)
				continue
			}
			t.Errorf("%s is not formatted as opa fmt writes it (go test ./pkg/serve -run Formatted -fix-rego)", f)
		}
	}
	if _, err := loadAdmissionPolicies(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	report, err := eval.RunTests(context.Background(), []eval.Source{{Name: "admission", FS: os.DirFS(filepath.Join("..", "..", "policies"))}}, eval.TestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range report.Results {
		if !strings.Contains(r.Package, "gopolicy.admission") {
			continue
		}
		n++
		if !r.Pass {
			t.Errorf("%s.%s: %s", r.Package, r.Name, r.Error)
		}
	}
	if n == 0 {
		t.Fatal("no admission Rego tests ran")
	}
}
