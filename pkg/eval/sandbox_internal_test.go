package eval

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/gopolicy/gopolicy/pkg/decision"
	"github.com/gopolicy/gopolicy/pkg/facts"
	"github.com/gopolicy/gopolicy/policies"
)

// TestSandboxDecidesEveryBuiltin: every builtin of this OPA version is
// either allowed or refused with a reason, never both, so an OPA upgrade
// that adds one fails here until someone decides on it.
func TestSandboxDecidesEveryBuiltin(t *testing.T) {
	known := map[string]*ast.Builtin{}
	for _, b := range ast.CapabilitiesForThisVersion().Builtins {
		known[b.Name] = b
		allowed, denied := sandboxAllowedSet[b.Name], sandboxDenied[b.Name] != ""
		switch {
		case allowed && denied:
			t.Errorf("%s is both allowed and denied", b.Name)
		case !allowed && !denied:
			t.Errorf("OPA builtin %s is neither allowed nor denied: decide, and document it in docs/security.md", b.Name)
		case allowed && b.IsDeprecated():
			t.Errorf("%s is deprecated; Rego v1 refuses it, so it should not be on the allow-list", b.Name)
		}
	}
	for name := range sandboxAllowedSet {
		if known[name] == nil {
			t.Errorf("allowed builtin %s does not exist in this OPA version", name)
		}
	}
	for name := range sandboxDenied {
		if known[name] == nil {
			t.Errorf("denied builtin %s does not exist in this OPA version", name)
		}
	}
	var got []string
	for _, b := range Capabilities().Builtins {
		got = append(got, b.Name)
	}
	if len(got) != len(sandboxAllowedSet) {
		t.Errorf("capabilities hold %d builtins, the allow-list %d", len(got), len(sandboxAllowedSet))
	}
}

// TestSandboxKeepsTheOutsideOut names, from reading OPA's topdown
// source, every builtin that reads the clock (bctx.Time, time.Now, x509
// verification), the network, the file system or the environment, or
// randomness (bctx.Seed): none is in the capabilities.
func TestSandboxKeepsTheOutsideOut(t *testing.T) {
	outside := []string{
		"time.now_ns", "io.jwt.decode_verify", // bctx.Time
		"crypto.x509.parse_and_verify_certificates", "crypto.x509.parse_and_verify_certificates_with_options", // clock, system roots, environment
		"http.send", "net.lookup_ip_addr", "opa.runtime", "providers.aws.sign_req",
		"json.match_schema", "json.verify_schema", // $ref: file:// and http://
		"rand.intn", "uuid.rfc4122", "io.jwt.encode_sign", "io.jwt.encode_sign_raw", // bctx.Seed
		"trace", "print", "internal.print",
	}
	caps := Capabilities()
	for _, b := range caps.Builtins {
		if slices.Contains(outside, b.Name) {
			t.Errorf("%s reaches outside the facts but is allowed", b.Name)
		}
	}
	if caps.AllowNet == nil || len(caps.AllowNet) != 0 {
		t.Errorf("AllowNet = %v, want no host", caps.AllowNet)
	}
}

// TestSecurityDocListsTheSandbox: docs/security.md names every refused
// builtin, so the document and the code cannot drift apart.
func TestSecurityDocListsTheSandbox(t *testing.T) {
	data, err := os.ReadFile("../../docs/security.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	i := strings.Index(doc, "## Policy bundles and the Rego sandbox")
	if i < 0 {
		t.Fatal("docs/security.md has no section \"Policy bundles and the Rego sandbox\"")
	}
	section := doc[i:]
	if j := strings.Index(section[3:], "\n## "); j >= 0 {
		section = section[:j+3]
	}
	for name := range sandboxDenied {
		if !strings.Contains(section, "`"+name+"`") {
			t.Errorf("docs/security.md does not list the refused builtin `%s`", name)
		}
	}
	for _, f := range sandboxAllowed {
		if !strings.Contains(section, f.Name) {
			t.Errorf("docs/security.md does not describe the allowed family %q", f.Name)
		}
	}
}

// TestDecisionIsFactsBundleAndDataAlone evaluates the same facts with the
// same bundles under different clocks (the evaluation time is what OPA
// hands clock-reading builtins) and a different network configuration:
// the decisions are identical. A policy that tries to read the clock or
// the network does not compile (TestSandboxRefusesTheOutside), and the
// pinned clock is the one a clock-reading builtin would see.
func TestDecisionIsFactsBundleAndDataAlone(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(dir+"/org", 0o755)
	os.WriteFile(dir+"/org/time.rego", []byte(`# METADATA
# title: Explicit times only
# custom:
#   id: ORG-TIME
#   version: 1.0.0
#   severity: low
#   remediation: none
package org.time

violation contains {"msg": sprintf("%s %v %v %v", [day, clock, diff, later])} if {
	t := time.parse_rfc3339_ns("2024-02-29T12:00:00Z")
	day := time.weekday([t, "Europe/Berlin"])
	clock := time.clock([t, "America/New_York"])
	diff := time.diff(t, time.parse_ns("2006-01-02", "2000-01-01"))
	later := time.format(time.add_date(t, 1, 0, 0))
}
`), 0o644)
	src := []Source{{Name: policies.Name, FS: policies.FS}, {Path: dir}}
	e, err := New(t.Context(), Options{Sources: src})
	if err != nil {
		t.Fatal(err)
	}
	facts := []byte(`{"schema": "` + facts.SchemaVersion + `", "collectors": {"gomod": {"status": "ok"}}, "gomod": {"file": "go.mod", "module": {"path": "example.com/a"}, "require": [], "replace": []}}`)
	saved := pinTime
	defer func() { pinTime = saved }()
	var first []byte
	for i, clock := range []time.Time{time.Unix(0, 0), time.Date(2001, 9, 9, 1, 46, 40, 0, time.UTC), time.Now().AddDate(100, 0, 0)} {
		pinTime = rego.EvalTime(clock)
		if i == 2 {
			t.Setenv("HTTPS_PROXY", "http://127.0.0.1:1")
			t.Setenv("HTTP_PROXY", "http://127.0.0.1:1")
		}
		d, err := e.Evaluate(t.Context(), facts, "prod")
		if err != nil {
			t.Fatal(err)
		}
		got, _ := json.Marshal(d)
		if i == 0 {
			first = got
			judged := false
			for _, f := range d.Findings {
				judged = judged || (f.Policy == "ORG-TIME" && f.Level == decision.LevelDeny && strings.HasPrefix(f.Message, "Thursday [7, 0, 0]"))
			}
			if !judged {
				t.Fatalf("ORG-TIME did not judge: %s", got)
			}
			continue
		}
		if string(got) != string(first) {
			t.Fatalf("the decision changed with the clock (%s):\n%s\n%s", clock, first, got)
		}
	}
	// What a clock-reading builtin would see: the pinned time, not now.
	pinTime = saved
	r := rego.New(rego.Query("x := time.now_ns()"))
	pq, err := r.PrepareForEval(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	rs, err := pq.Eval(t.Context(), evalOptions(ast.NewObject())...)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(rs[0].Bindings["x"]); got != "0" {
		t.Fatalf("time.now_ns() under the pinned clock = %s, want 0 (the Unix epoch)", got)
	}
}
