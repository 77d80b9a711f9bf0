package collect_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/gopolicy/gopolicy/internal/corpus"
	"github.com/gopolicy/gopolicy/internal/gotest"
	"github.com/gopolicy/gopolicy/pkg/collect"
	"github.com/gopolicy/gopolicy/pkg/facts"
)

func schema(t testing.TB) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(facts.SchemaJSON))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("facts.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("facts.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// validate checks a document against the published schema.
func validate(t testing.TB, s *jsonschema.Schema, doc *facts.Document) {
	t.Helper()
	data, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(v); err != nil {
		t.Fatalf("document does not match the schema: %v", err)
	}
}

func TestRealProjectValidates(t *testing.T) {
	env := gotest.Env(t)
	gotest.Proxy(t, env)
	dir := gotest.Project(t, env)
	gotest.Go(t, env, dir, "mod", "vendor")
	doc, err := collect.Collect(context.Background(), collect.Options{Dir: dir, Env: env})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{collect.GoEnv, collect.Runner, collect.GoMod, collect.GoSum, collect.Vendor, collect.GoWork, collect.Target} {
		if st := doc.Collectors[name]; st.Status != facts.StatusOK {
			t.Errorf("collector %s: %+v", name, st)
		}
	}
	if doc.GoMod.Module.Path != "example.com/app" || len(doc.GoSum.Entries) < 4 || !doc.Vendor.Found || !doc.GoEnv.GoCommand.Ran {
		t.Fatalf("unexpected facts: module=%s sums=%d vendor=%v go_command=%+v", doc.GoMod.Module.Path, len(doc.GoSum.Entries), doc.Vendor.Found, doc.GoEnv.GoCommand)
	}
	if len(doc.GoEnv.GoCommand.Disagreements) != 0 {
		t.Errorf("go env disagrees: %+v", doc.GoEnv.GoCommand.Disagreements)
	}
	validate(t, schema(t), doc)
}

func TestCorpusValidates(t *testing.T) {
	root := corpus.Dir(t)
	s := schema(t)
	env := gotest.Env(t)
	for _, repo := range []string{"moby", "cli", "etcd", "terraform", "tools/gopls"} {
		dir := filepath.Join(root, repo)
		doc, err := collect.Collect(context.Background(), collect.Options{Dir: dir, Env: env, SkipGoCommand: true})
		if err != nil {
			t.Fatal(err)
		}
		for name, st := range doc.Collectors {
			if st.Status == facts.StatusError {
				t.Errorf("%s: collector %s: %+v", repo, name, st.Problems)
			}
		}
		validate(t, s, doc)
	}
}

func TestUnusableInput(t *testing.T) {
	_, err := collect.Collect(context.Background(), collect.Options{Dir: filepath.Join(t.TempDir(), "missing")})
	var ie *collect.InputError
	if !errors.As(err, &ie) {
		t.Fatalf("missing directory: %v", err)
	}
}

func TestBrokenGoModIsRecordedNotFatal(t *testing.T) {
	dir := t.TempDir()
	gotest.WriteTree(t, dir, "-- go.mod --\nmodule example.com/x\nbogus directive\n")
	doc, err := collect.Collect(context.Background(), collect.Options{Dir: dir, Env: gotest.Env(t), SkipGoCommand: true})
	if err != nil {
		t.Fatal(err)
	}
	st := doc.Collectors[collect.GoMod]
	if st.Status != facts.StatusError || len(st.Problems) != 1 || st.Problems[0].Line != 2 || doc.GoMod != nil {
		t.Fatalf("gomod status %+v", st)
	}
	if st := doc.Collectors[collect.GoSum]; st.Status != facts.StatusSkipped || st.Reason != "go.mod could not be parsed" {
		t.Errorf("gosum should say why it did not check: %+v", st)
	}
}

func TestNoModuleIsSkipped(t *testing.T) {
	doc, err := collect.Collect(context.Background(), collect.Options{Dir: t.TempDir(), Env: gotest.Env(t), SkipGoCommand: true})
	if err != nil {
		t.Fatal(err)
	}
	if st := doc.Collectors[collect.GoMod]; st.Status != facts.StatusSkipped || st.Reason == "" {
		t.Fatalf("gomod status %+v", st)
	}
}
