package policytest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gopolicy/gopolicy/pkg/decision"
)

func TestCompare(t *testing.T) {
	d := &decision.Decision{Findings: []decision.Finding{
		{Policy: "A", Level: decision.LevelDeny, Subject: "x"},
		{Policy: "A", Level: decision.LevelDeny, Subject: "y"},
		{Policy: "B", Level: decision.LevelPass},
		{Policy: "C", Level: decision.LevelWarn, Subject: "z"},
	}}
	cases := []struct {
		name    string
		expects []Expectation
		errors  []string
	}{
		// An expectation without a subject must not steal x from the one
		// that names it.
		{"subjects claim first", []Expectation{{Policy: "A", Level: "deny"}, {Policy: "A", Level: "deny", Subject: "x"}}, nil},
		{"unnamed policies are not checked", []Expectation{{Policy: "B", Level: "pass"}}, nil},
		{"a missing finding", []Expectation{{Policy: "B", Level: "deny", Line: 4}}, []string{"e.yaml:4: expected B deny; got pass", "unexpected B pass"}},
		{"an extra finding", []Expectation{{Policy: "A", Level: "deny", Subject: "x"}}, []string{"unexpected A deny [y]"}},
		{"an unknown policy", []Expectation{{Policy: "Z", Level: "pass", Line: 2}}, []string{"e.yaml:2: no policy Z was evaluated"}},
		{"wrong level", []Expectation{{Policy: "C", Level: "deny", Subject: "z"}}, []string{"expected C deny [z]; got warn [z]"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := compare(Fixture{Name: "f", Expect: "e.yaml", Expects: c.expects}, d)
			if r.Pass != (len(c.errors) == 0) {
				t.Fatalf("pass = %v, errors %v", r.Pass, r.Errors)
			}
			got := strings.Join(r.Errors, "\n")
			for _, want := range c.errors {
				if !strings.Contains(got, want) {
					t.Errorf("errors %q lack %q", got, want)
				}
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.facts.json", "{}")
	write("a.expect.yaml", "profile: prod\nexpect:\n  - {policy: A, level: deny, module: x}\n")
	if _, err := Load(dir); err == nil || err.Error() != filepath.Join(dir, "a.expect.yaml")+`:3: unknown expectation field "module" (known: policy, level, subject)` {
		t.Errorf("unknown field: %v", err)
	}
	write("a.expect.yaml", "profile: prod\n")
	if _, err := Load(dir); err == nil || !strings.HasSuffix(err.Error(), ":1: no expect list") {
		t.Errorf("no expect: %v", err)
	}
	write("a.expect.yaml", "expect:\n  - {policy: A, level: deny}\n")
	fs, err := Load(dir)
	if err != nil || len(fs) != 1 || fs[0].Profile != "ci" || fs[0].Expects[0].Line != 2 {
		t.Fatalf("Load = %+v, %v", fs, err)
	}
}
