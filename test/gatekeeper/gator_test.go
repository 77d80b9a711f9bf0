package gatekeeper

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/open-policy-agent/frameworks/constraint/pkg/apis/externaldata/unversioned"
	"github.com/open-policy-agent/frameworks/constraint/pkg/externaldata"
	"github.com/open-policy-agent/opa/v1/ast"
	"sigs.k8s.io/yaml"
)

// gatorCase is one Pod of the gator suite and what Gatekeeper reports
// for it.
type gatorCase struct {
	name      string
	namespace string
	images    []string
	// down: recorded with the gopolicy server stopped.
	down bool
	// want are the violation messages, exactly; mustMention are strings
	// they must hold between them (so that a recording gone wrong cannot
	// make its own expectation).
	want        []string
	mustMention []string
}

// keys are the keys the template sends for the case's Pod: its images
// as a Rego set, so sorted and without repeats.
func (c *gatorCase) keys() []string {
	k := slices.Clone(c.images)
	slices.Sort(k)
	return slices.Compact(k)
}

// TestGatorVerify runs `gator verify` (GOPOLICY_GATOR) on a suite made of
// examples/gatekeeper's ConstraintTemplate and Constraint and Pods with
// each kind of image. gator has no external_data builtin, so the
// template's call is replaced by a lookup of the answers Gatekeeper's own
// external_data code got from a running gopolicy server for the same
// keys. The suite must pass, and a wrong expectation must fail it.
func TestGatorVerify(t *testing.T) {
	gator := os.Getenv("GOPOLICY_GATOR")
	if gator == "" {
		msg := "GOPOLICY_GATOR is not set: in test/gatekeeper, run GOPOLICY_GATOR=$(../../scripts/gatekeeper/build.sh) go test ./... to check examples/gatekeeper with gator verify"
		if os.Getenv("GOPOLICY_REQUIRE_GATOR") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	e := newEnv(t)
	prod := e.startServer(t, "prod")
	p := e.provider(t, prod.url)

	cases := []*gatorCase{
		{name: "allowed", images: []string{e.allowed}},
		{name: "denied", images: []string{e.denied}, mustMention: []string{"GP-BIN-009", "was built without -trimpath"}},
		{name: "unattested", images: []string{e.unattested}, mustMention: []string{"GP-ADM-001", unattestedWhy}},
		{name: "mixed", images: []string{e.allowed, e.unattested, e.denied}, mustMention: []string{"GP-BIN-009", "GP-ADM-001"}},
		{name: "excluded-namespace", namespace: "kube-system", images: []string{e.denied, e.unattested}},
		{name: "registry-unreachable", images: []string{e.unreachable}, mustMention: []string{"the registry could not be reached in time for any image", prodUndecided}},
		{name: "gopolicy-down", images: []string{e.allowedDigest}, down: true, mustMention: []string{sendFailPrefix, prod.url}},
	}
	recorded := ast.NewObject()
	record := func(c *gatorCase) {
		term, want := recordResponse(t, ctx, e, p, c.keys())
		recorded.Insert(ast.StringTerm(strings.Join(c.keys(), "\n")), term)
		if c.namespace != "kube-system" {
			c.want = want
		}
	}
	for _, c := range cases {
		if !c.down {
			record(c)
		}
	}
	if err := prod.stop(); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		if c.down {
			record(c)
		}
	}
	for _, c := range cases {
		joined := strings.Join(c.want, "\n")
		for _, m := range c.mustMention {
			if !strings.Contains(joined, m) {
				t.Fatalf("case %s: the recorded answer gives %q, which does not mention %q", c.name, c.want, m)
			}
		}
		if c.name == "allowed" && len(c.want) != 0 {
			t.Fatalf("the allowed image's recorded answer gives violations: %q", c.want)
		}
	}

	regoSrc, fixed := gatorRego(t, e, ast.NewObject(ast.Item(ast.StringTerm("gopolicy"), ast.NewTerm(recorded))))
	if fixed {
		// Show what gator says of the example as it is, then go on with
		// the imports Gatekeeper takes, so that the rest still gets
		// checked.
		asIs := strings.Replace(regoSrc, futureImports, regoV1Import, 1)
		out, err := runGator(ctx, gator, writeSuite(t, e, asIs, cases, nil))
		t.Errorf("examples/gatekeeper/constrainttemplate.yaml imports rego.v1, which Gatekeeper's rewriter refuses "+
			"(only data.lib and future.keywords imports pass): replace %q by %q. gator verify on it: %v\n%s"+
			"Going on with that change made in memory.", regoV1Import, futureImports, err, out)
	}
	suite := writeSuite(t, e, regoSrc, cases, nil)
	out, err := runGator(ctx, gator, suite)
	if err != nil {
		t.Fatalf("gator verify %s: %v\n%s", suite, err, out)
	}
	t.Logf("gator verify %s:\n%s", suite, out)
	for _, c := range cases {
		if !regexp.MustCompile(`(?m)^\s*--- PASS: ` + regexp.QuoteMeta(c.name) + `\b`).MatchString(out) {
			t.Errorf("gator's output shows no passing case %s:\n%s", c.name, out)
		}
	}

	t.Run("a wrong expectation fails the suite", func(t *testing.T) {
		mutated := writeSuite(t, e, regoSrc, cases, map[string][]assertion{
			"allowed": {{Violations: 1}},
			"denied":  {{Violations: 1, Message: ptr("GP-BIN-999")}},
		})
		out, err := runGator(ctx, gator, mutated)
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			t.Fatalf("gator verify on a suite with wrong expectations: %v\n%s", err, out)
		}
		for _, name := range []string{"allowed", "denied"} {
			if !regexp.MustCompile(`(?m)^\s*--- FAIL: ` + regexp.QuoteMeta(name) + `\b`).MatchString(out) {
				t.Errorf("gator's output shows no failing case %s:\n%s", name, out)
			}
		}
		if regexp.MustCompile(`(?m)^\s*--- FAIL: unattested\b`).MatchString(out) {
			t.Errorf("an unchanged case failed:\n%s", out)
		}
	})
}

// recordResponse asks the provider for keys with Gatekeeper's send
// function and turns the answer (or the failure) into the term the
// external_data builtin gives the template, with the same functions the
// builtin uses. It returns the violations the template makes of it.
func recordResponse(t *testing.T, ctx context.Context, e *env, p *unversioned.Provider, keys []string) (*ast.Term, []string) {
	t.Helper()
	resp, code, err := e.ask(t, ctx, p, keys...)
	var term *ast.Term
	if err != nil {
		term, err = externaldata.HandleError(code, err)
	} else {
		term, err = externaldata.PrepareRegoResponse(externaldata.NewRegoResponse(code, resp))
	}
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Responses   [][]json.RawMessage `json:"responses"`
		Errors      [][]string          `json:"errors"`
		SystemError string              `json:"system_error"`
	}
	plain, err := ast.JSON(term.Value)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(plain)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("recorded answer %s: %v", term, err)
	}
	// The template's three violation rules, in the order of their
	// messages.
	var want []string
	if r.SystemError != "" {
		want = append(want, "gopolicy: "+r.SystemError)
	}
	for _, ke := range r.Errors {
		want = append(want, fmt.Sprintf("gopolicy: image %s: %s", ke[0], ke[1]))
	}
	for _, kv := range r.Responses {
		var key string
		var v struct {
			Allowed    bool   `json:"allowed"`
			DecisionID string `json:"decision_id"`
		}
		if err := json.Unmarshal(kv[0], &key); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(kv[1], &v); err != nil {
			t.Fatal(err)
		}
		if v.Allowed {
			continue
		}
		var value any
		if err := json.Unmarshal(kv[1], &value); err != nil {
			t.Fatal(err)
		}
		_, listed := denyFindings(t, value)
		want = append(want, fmt.Sprintf("gopolicy denied image %s (decision %s): %s", key, v.DecisionID, listed))
	}
	slices.Sort(want)
	return term, want
}

// gatorRego is the example template's rego with its external_data call
// answered from recorded (provider name → newline-joined keys → the
// builtin's answer); keys never recorded fail closed. fixed says whether
// the example's imports had to be changed for Gatekeeper to take it.
func gatorRego(t *testing.T, e *env, recorded ast.Object) (src string, fixed bool) {
	t.Helper()
	src = templateRego(t, e.template(t))
	if n := strings.Count(src, "external_data("); n != 1 {
		t.Fatalf("the template calls external_data %d times; the recording stands in for exactly one call", n)
	}
	src = strings.Replace(src, "external_data(", "recorded_external_data(", 1)
	if strings.Contains(src, regoV1Import) {
		src, fixed = strings.Replace(src, regoV1Import, futureImports, 1), true
	}
	return src + `
# Stands in for Gatekeeper's external_data builtin, which gator does not
# have: the builtin's answers for the same keys, recorded from a running
# gopolicy server by test/gatekeeper/gator_test.go.
recorded_external_data(request) := response if {
	response := recorded_responses[request.provider][concat("\n", request.keys)]
} else := {"responses": [], "errors": [], "status_code": 0, "system_error": sprintf("no recorded answer for keys %v", [request.keys])}

recorded_responses := ` + recorded.String() + "\n", fixed
}

// assertion is a gator verify assertion.
type assertion struct {
	Violations any     `json:"violations"`
	Message    *string `json:"message,omitempty"`
}

func ptr[T any](v T) *T { return &v }

// writeSuite writes the template, the Constraint, one Pod per case and
// the Suite into a new directory and returns the Suite's path. override
// replaces the assertions of the cases it names.
func writeSuite(t *testing.T, e *env, regoSrc string, cases []*gatorCase, override map[string][]assertion) string {
	t.Helper()
	dir := t.TempDir()
	write := func(name string, v any) {
		data, err := yaml.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tmpl := e.template(t)
	setTemplateRego(t, tmpl, regoSrc)
	write("template.yaml", tmpl.Object)
	constraint, err := os.ReadFile(filepath.Join(examples, "constraint.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "constraint.yaml"), constraint, 0o644); err != nil {
		t.Fatal(err)
	}
	var gcases []map[string]any
	for _, c := range cases {
		ns := c.namespace
		if ns == "" {
			ns = "apps"
		}
		object := filepath.Join("objects", c.name+".yaml")
		write(object, pod(ns, c.images...).Object)
		asserts := []assertion{{Violations: len(c.want)}}
		if len(c.want) == 0 {
			asserts = []assertion{{Violations: "no"}}
		}
		for _, w := range c.want {
			asserts = append(asserts, assertion{Violations: 1, Message: ptr("^" + regexp.QuoteMeta(w) + "$")})
		}
		if o, ok := override[c.name]; ok {
			asserts = o
		}
		gcases = append(gcases, map[string]any{"name": c.name, "object": object, "assertions": asserts})
	}
	write("suite.yaml", map[string]any{
		"apiVersion": "test.gatekeeper.sh/v1alpha1",
		"kind":       "Suite",
		"metadata":   map[string]any{"name": "gopolicy-attested"},
		"tests": []any{map[string]any{
			"name":       "gopolicy-attested",
			"template":   "template.yaml",
			"constraint": "constraint.yaml",
			"cases":      gcases,
		}},
	})
	return filepath.Join(dir, "suite.yaml")
}

// runGator runs gator verify -v on a suite, bounded in time.
func runGator(ctx context.Context, gator, suite string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, gator, "verify", "-v", suite)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}
