package output

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gopolicy/gopolicy/pkg/decision"

	"github.com/gopolicy/gopolicy/internal/sariftest"
)

// sampleDecision has one finding of every level, with evidence read from
// files under dir, from the environment and from a binary.
func sampleDecision(dir string) *decision.Decision {
	gomod := filepath.Join(dir, "go.mod")
	waiver := &decision.WaiverStatus{Policy: "GP-MOD-003", Reason: "fork pending upstream", Owner: "platform@example.com", Expires: "2026-12-31", Ticket: "PLAT-12", Source: "waivers.yaml:3", Status: decision.WaiverApplied, Findings: 1}
	d := &decision.Decision{
		Profile: "prod",
		Dir:     dir,
		GoMod:   gomod,
		Bundles: []decision.BundleInfo{{Name: "gopolicy", Revision: "0.3.0", Digest: "sha256:abc"}},
		Findings: []decision.Finding{
			{Policy: "GP-MOD-001", Title: "go.sum lacks hashes", Version: "1.0.0", Severity: "high", Level: decision.LevelDeny, Message: "go.sum has no hash for golang.org/x/mod", Subject: "golang.org/x/mod@v0.42.0",
				Evidence: []decision.Evidence{{Fact: "/gosum/missing/0", Value: "golang.org/x/mod v0.42.0", Source: gomod + ":8", File: gomod, Line: 8}}, Remediation: "Run go mod tidy."},
			{Policy: "GP-ENV-002", Title: "Checksums off, direct fetch", Version: "1.0.0", Severity: "critical", Level: decision.LevelDeny, Message: "GOSUMDB=off with GOPROXY=direct",
				Evidence: []decision.Evidence{{Fact: "/goenv/vars/GOSUMDB/value", Value: "off", Source: "process environment"}}, Remediation: "Unset GOSUMDB."},
			{Policy: "GP-BIN-004", Title: "Version stamp missing", Version: "1.1.0", Severity: "medium", Level: decision.LevelWarn, Message: "main.version is not set", Subject: "main.version",
				Evidence: []decision.Evidence{{Fact: "/binaries/0/stamps/0", Value: "main.version", Source: filepath.Join(dir, "dist", "app"), File: filepath.Join(dir, "dist", "app")}}, Remediation: "Fix the -X name."},
			{Policy: "GP-MOD-003", Title: "Local replace", Version: "1.0.0", Severity: "medium", Level: decision.LevelWaived, Message: "cobra is replaced by ../fork", Subject: "github.com/spf13/cobra",
				Evidence: []decision.Evidence{{Fact: "/gomod/replace/0", Value: "../fork", Source: gomod + ":13", File: gomod, Line: 13}}, Remediation: "Publish the fork.", Waiver: waiver},
			{Policy: "GP-PLAT-001", Title: "Target facts", Version: "1.0.0", Severity: "high", Level: decision.LevelError, Message: "required facts \"target\" are missing", Remediation: "Collect target facts."},
			{Policy: "GP-ENV-001", Title: "Proxy", Version: "1.0.0", Severity: "high", Level: decision.LevelPass, Message: "Proxy", Remediation: "Use a proxy."},
			{Policy: "GP-BIN-001", Title: "Binary OS", Version: "1.0.0", Severity: "high", Level: decision.LevelSkip, Message: "not applicable", Remediation: "Build for the target."},
		},
		InputErrors: []decision.InputError{{Collector: "gosum", Path: filepath.Join(dir, "go.sum"), Line: 4, Message: "malformed go.sum line"}},
		Waivers:     []decision.WaiverStatus{*waiver, {Policy: "GP-ENV-009", Source: "waivers.yaml:9", Status: decision.WaiverUnmatched, Note: "no loaded policy has id GP-ENV-009"}},
	}
	d.Recount()
	return d
}

func render(t *testing.T, f Formatter, d *decision.Decision) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := f.Format(&buf, d); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestSARIF(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := render(t, SARIF{BaseDir: dir, ToolVersion: "0.3.0"}, sampleDecision(dir))
	sariftest.Require(t, out)

	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Rules []struct {
						ID         string                `json:"id"`
						Help       struct{ Text string } `json:"help"`
						Properties map[string]any        `json:"properties"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Invocations []struct {
				ExecutionSuccessful        bool             `json:"executionSuccessful"`
				ToolExecutionNotifications []map[string]any `json:"toolExecutionNotifications"`
			} `json:"invocations"`
			Results []struct {
				RuleID    string `json:"ruleId"`
				RuleIndex int    `json:"ruleIndex"`
				Level     string `json:"level"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI, URIBaseID string } `json:"artifactLocation"`
						Region           *struct{ StartLine int }        `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
				Suppressions []struct{ Kind, Status, Justification string } `json:"suppressions"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(out, &log); err != nil {
		t.Fatal(err)
	}
	run := log.Runs[0]
	if len(run.Tool.Driver.Rules) != 7 {
		t.Errorf("got %d rules, want one per policy (7)", len(run.Tool.Driver.Rules))
	}
	rules := map[string]int{}
	for i, r := range run.Tool.Driver.Rules {
		rules[r.ID] = i
		if r.Help.Text == "" {
			t.Errorf("rule %s has no help text", r.ID)
		}
	}
	if got := run.Tool.Driver.Rules[rules["GP-ENV-002"]].Properties["security-severity"]; got != "9.5" {
		t.Errorf("critical maps to security-severity %v, want 9.5", got)
	}
	if run.Invocations[0].ExecutionSuccessful || len(run.Invocations[0].ToolExecutionNotifications) != 1 {
		t.Errorf("input error not reported: %+v", run.Invocations[0])
	}
	byRule := map[string]int{}
	for i, r := range run.Results {
		byRule[r.RuleID] = i
		if run.Tool.Driver.Rules[r.RuleIndex].ID != r.RuleID {
			t.Errorf("result %s points at rule %d", r.RuleID, r.RuleIndex)
		}
	}
	if len(run.Results) != 5 {
		t.Errorf("got %d results, want deny, deny, warn, waived, error (5)", len(run.Results))
	}
	mod := run.Results[byRule["GP-MOD-001"]]
	if len(mod.Locations) != 1 || mod.Locations[0].PhysicalLocation.ArtifactLocation.URI != "go.mod" ||
		mod.Locations[0].PhysicalLocation.ArtifactLocation.URIBaseID != "%SRCROOT%" || mod.Locations[0].PhysicalLocation.Region.StartLine != 8 {
		t.Errorf("go.sum finding location = %+v, want go.mod line 8", mod.Locations)
	}
	bin := run.Results[byRule["GP-BIN-004"]]
	if bin.Level != "warning" || len(bin.Locations) != 1 || bin.Locations[0].PhysicalLocation.ArtifactLocation.URI != "dist/app" || bin.Locations[0].PhysicalLocation.Region != nil {
		t.Errorf("binary finding = %+v, want a warning at dist/app", bin)
	}
	env := run.Results[byRule["GP-ENV-002"]]
	if len(env.Locations) != 1 || env.Locations[0].PhysicalLocation.ArtifactLocation.URI != "go.mod" {
		t.Errorf("an environment finding falls back to go.mod: %+v", env.Locations)
	}
	waived := run.Results[byRule["GP-MOD-003"]]
	if len(waived.Suppressions) != 1 || waived.Suppressions[0].Status != "accepted" || waived.Suppressions[0].Justification != "fork pending upstream" {
		t.Errorf("waived finding suppressions = %+v", waived.Suppressions)
	}
}

func TestJUnit(t *testing.T) {
	dir := t.TempDir()
	out := render(t, JUnit{}, sampleDecision(dir))
	var suites struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Errors   int `xml:"errors,attr"`
		Skipped  int `xml:"skipped,attr"`
		Suites   []struct {
			Cases []struct {
				Name    string    `xml:"name,attr"`
				Failure *struct{} `xml:"failure"`
				Error   *struct{} `xml:"error"`
				Skipped *struct {
					Message string `xml:"message,attr"`
				} `xml:"skipped"`
				SystemOut string `xml:"system-out"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(out, &suites); err != nil {
		t.Fatalf("junit is not XML: %v\n%s", err, out)
	}
	// 7 policy×subject cases plus the input error.
	if suites.Tests != 8 || suites.Failures != 2 || suites.Errors != 2 || suites.Skipped != 2 {
		t.Errorf("counts tests=%d failures=%d errors=%d skipped=%d, want 8 2 2 2", suites.Tests, suites.Failures, suites.Errors, suites.Skipped)
	}
	for _, c := range suites.Suites[0].Cases {
		if strings.Contains(c.Name, "GP-MOD-003") && (c.Skipped == nil || !strings.Contains(c.Skipped.Message, "waived: fork pending upstream")) {
			t.Errorf("waived case = %+v", c)
		}
		if strings.Contains(c.Name, "GP-BIN-004") && (c.Failure != nil || !strings.Contains(c.SystemOut, "warning: main.version is not set")) {
			t.Errorf("warning case = %+v", c)
		}
		if strings.Contains(c.Name, "GP-MOD-001") && !strings.Contains(c.Name, "[golang.org/x/mod@v0.42.0]") {
			t.Errorf("case name lacks its subject: %q", c.Name)
		}
	}
}

func TestGitHub(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := string(render(t, GitHub{BaseDir: dir}, sampleDecision(dir)))
	for _, want := range []string{
		"::error title=gopolicy input error,file=go.sum,line=4::",
		"::error title=GP-MOD-001 go.sum lacks hashes (deny),file=go.mod,line=8::go.sum has no hash for golang.org/x/mod%0A",
		"::warning title=GP-BIN-004 Version stamp missing (warn),file=dist/app::",
		"::notice title=GP-MOD-003 Local replace (waived),file=go.mod,line=13::",
		"::warning title=gopolicy waiver unmatched::waivers.yaml:9 waiver for GP-ENV-009",
		"DENIED: 2 denied, 1 warnings, 1 waived, 2 errors",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("github output lacks %q:\n%s", want, out)
		}
	}
	// One line per command: a newline inside a message would end it early.
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if !strings.HasPrefix(line, "::") && !strings.HasPrefix(line, "DENIED") {
			t.Errorf("stray line %q", line)
		}
	}
	if got := escapeProperty("a:b,c%\n"); got != "a%3Ab%2Cc%25%0A" {
		t.Errorf("escapeProperty = %q", got)
	}
}

func TestNamesAndUnknownFormat(t *testing.T) {
	if got := strings.Join(Names(), ","); got != "github,json,junit,sarif,text" {
		t.Errorf("Names() = %s", got)
	}
	if _, err := New("xml", Options{}); err == nil || !strings.Contains(err.Error(), "known: github, json, junit, sarif, text") {
		t.Errorf("unknown format error = %v", err)
	}
}
