package waiver

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gopolicy/gopolicy/pkg/decision"
)

const goodFile = `# reviewed by the platform team
waivers:
  - policy: GP-MOD-003
    match:
      subject: github.com/spf13/cobra
    reason: the fork carries a fix pending upstream
    owner: platform@example.com
    expires: 2026-12-31
    ticket: PLAT-12
  - policy: GP-BIN-004
    match: {fact: "/binaries/*/stamps/*", value: "main.versoin"}
    reason: old release line
    owner: release@example.com
    expires: 2026-12-01T12:00:00Z
`

func TestParseFile(t *testing.T) {
	ws, err := ParseFile("w.yaml", []byte(goodFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 2 {
		t.Fatalf("got %d waivers, want 2", len(ws))
	}
	w := ws[0]
	if w.Policy != "GP-MOD-003" || w.Match["subject"] != "github.com/spf13/cobra" || w.Owner != "platform@example.com" || w.Ticket != "PLAT-12" || w.Line != 3 {
		t.Errorf("first waiver = %+v", w)
	}
	// A date holds through its whole day.
	if want := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC); !w.Expires.Equal(want) {
		t.Errorf("expires = %v, want %v", w.Expires, want)
	}
	if ws[1].Source() != "w.yaml:10" || ws[1].Match["value"] != "main.versoin" {
		t.Errorf("second waiver = %+v", ws[1])
	}
	// A bare list is a waiver file too.
	list := "- policy: A\n  match: {subject: x}\n  reason: r\n  owner: o\n  expires: 2030-01-01\n"
	if ws, err := ParseFile("l.yaml", []byte(list)); err != nil || len(ws) != 1 {
		t.Errorf("bare list: %v %v", ws, err)
	}
}

func TestParseErrorsHaveLines(t *testing.T) {
	base := "waivers:\n  - policy: GP-X\n    match: {subject: a}\n    reason: r\n    owner: o\n    expires: 2030-01-01\n"
	cases := []struct {
		name, data, want string
	}{
		{"no expiry", strings.Replace(base, "    expires: 2030-01-01\n", "", 1), "w.yaml:2: waiver has no expires"},
		{"bad date", strings.Replace(base, "2030-01-01", "next year", 1), `w.yaml:6: expires "next year"`},
		{"unknown field", base + "    approved: yes\n", `w.yaml:7: unknown waiver field "approved"`},
		{"empty match", strings.Replace(base, "{subject: a}", "{}", 1), "w.yaml:3: match must be a mapping"},
		{"unknown match key", strings.Replace(base, "{subject: a}", "{module: a}", 1), `w.yaml:3: unknown match key "module"`},
		{"empty owner", strings.Replace(base, "owner: o", "owner: ''", 1), "w.yaml:2: waiver owner is empty"},
		{"not a list", "waivers: {policy: x}\n", "w.yaml:1: waivers must be a list"},
		{"other key", "policies: []\n", `w.yaml:1: unknown key "policies"`},
		{"yaml syntax", "waivers:\n  - policy: [\n", "w.yaml:2: did not find expected node content"},
		{"tab indent", "waivers:\n\t- policy: x\n", "w.yaml:2:"},
		{"empty", "", "w.yaml: empty waiver file"},
		{"duplicate field", strings.Replace(base, "    owner: o\n", "    owner: o\n    owner: p\n", 1), `w.yaml:6: waiver field "owner" given twice`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseFile("w.yaml", []byte(c.data))
			var we *Error
			if !errors.As(err, &we) {
				t.Fatalf("err = %v, want a *waiver.Error", err)
			}
			if !strings.HasPrefix(err.Error(), c.want) {
				t.Errorf("err = %q, want prefix %q", err, c.want)
			}
		})
	}
}

func TestParseConfigIgnoresOtherKeys(t *testing.T) {
	ws, err := ParseConfig("gopolicy.yaml", []byte("profile: prod\npolicy: [org]\n"))
	if err != nil || ws != nil {
		t.Fatalf("config without waivers: %v %v", ws, err)
	}
	ws, err = ParseConfig("gopolicy.yaml", []byte("profile: prod\n"+strings.TrimPrefix(goodFile, "# reviewed by the platform team\n")))
	if err != nil || len(ws) != 2 || ws[0].Line != 3 {
		t.Fatalf("config with waivers: %+v %v", ws, err)
	}
}

func newDecision(findings ...decision.Finding) *decision.Decision {
	return &decision.Decision{Profile: "prod", Findings: findings}
}

func finding(policy, level, subject string, ev ...decision.Evidence) decision.Finding {
	return decision.Finding{Policy: policy, Level: level, Subject: subject, Evidence: ev}
}

func mustWaiver(t *testing.T, policy string, match map[string]string, expires string) Waiver {
	t.Helper()
	exp, err := ParseTime(expires)
	if err != nil {
		t.Fatal(err)
	}
	return Waiver{Policy: policy, Match: match, Reason: "r", Owner: "o", Expires: exp, ExpiresText: expires, File: "w.yaml", Line: 1}
}

func TestApply(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	d := newDecision(
		finding("GP-MOD-003", decision.LevelDeny, "github.com/spf13/cobra"),
		finding("GP-MOD-003", decision.LevelDeny, "github.com/other/mod"),
		finding("GP-BIN-004", decision.LevelWarn, "main.version", decision.Evidence{Fact: "/binaries/0/stamps/main.versoin", Value: "main.versoin", Source: "dist/app"}),
		finding("GP-MOD-001", decision.LevelDeny, "golang.org/x/mod@v0.42.0"),
		finding("GP-MOD-002", decision.LevelDeny, "x"),
		finding("GP-ENV-001", decision.LevelPass, ""),
		finding("GP-ENV-002", decision.LevelError, ""),
	)
	ws := []Waiver{
		mustWaiver(t, "GP-MOD-003", map[string]string{"subject": "github.com/spf13/*"}, "2026-12-31"),
		mustWaiver(t, "GP-BIN-004", map[string]string{"fact": "/binaries/*/stamps/*", "value": "main.versoin", "source": "dist/*"}, "2026-12-01"),
		mustWaiver(t, "GP-MOD-001", map[string]string{"subject": "golang.org/x/mod@*"}, "2026-11-20"),
		mustWaiver(t, "GP-MOD-002", map[string]string{"subject": "x"}, "2099-01-01"),
		mustWaiver(t, "GP-ENV-001", map[string]string{"subject": "*"}, "2026-12-31"),
		mustWaiver(t, "GP-ENV-002", map[string]string{"subject": "*"}, "2026-12-31"),
		mustWaiver(t, "GP-NOPE-1", map[string]string{"subject": "*"}, "2026-12-31"),
	}
	if err := Apply(d, ws, Options{Now: now, MaxHorizon: 90 * 24 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	wantStatus := []string{decision.WaiverApplied, decision.WaiverApplied, decision.WaiverExpired, decision.WaiverRefused, decision.WaiverUnmatched, decision.WaiverUnmatched, decision.WaiverUnmatched}
	for i, st := range d.Waivers {
		if st.Status != wantStatus[i] {
			t.Errorf("waiver %d (%s) status = %s (%s), want %s", i, st.Policy, st.Status, st.Note, wantStatus[i])
		}
	}
	if !strings.Contains(d.Waivers[6].Note, "no loaded policy") {
		t.Errorf("unknown policy note = %q", d.Waivers[6].Note)
	}
	levels := map[string]string{}
	for _, f := range d.Findings {
		levels[f.Policy+" "+f.Subject] = f.Level
	}
	want := map[string]string{
		"GP-MOD-003 github.com/spf13/cobra":   decision.LevelWaived,
		"GP-MOD-003 github.com/other/mod":     decision.LevelDeny,
		"GP-BIN-004 main.version":             decision.LevelWaived,
		"GP-MOD-001 golang.org/x/mod@v0.42.0": decision.LevelDeny,
		"GP-MOD-002 x":                        decision.LevelDeny,
		"GP-ENV-001 ":                         decision.LevelPass,
		"GP-ENV-002 ":                         decision.LevelError, // errors are never waived
	}
	for k, v := range want {
		if levels[k] != v {
			t.Errorf("%s level = %s, want %s", k, levels[k], v)
		}
	}
	if d.Summary.Waived != 2 || d.Summary.Deny != 3 || d.Allow {
		t.Errorf("summary = %+v allow=%v", d.Summary, d.Allow)
	}
	for _, f := range d.Findings {
		if f.Policy == "GP-MOD-001" && (f.Waiver == nil || f.Waiver.Status != decision.WaiverExpired) {
			t.Errorf("the expired waiver is not shown on its finding: %+v", f.Waiver)
		}
	}
}

func TestApplyAllowsWhenEverythingIsWaived(t *testing.T) {
	d := newDecision(finding("GP-MOD-003", decision.LevelDeny, "a"))
	w := mustWaiver(t, "GP-MOD-003", map[string]string{"subject": "a"}, "2030-01-01")
	if err := Apply(d, []Waiver{w}, Options{Now: time.Date(2029, 1, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	if !d.Allow || d.Summary.Waived != 1 {
		t.Fatalf("allow=%v summary=%+v", d.Allow, d.Summary)
	}
	// The same waiver the day after its date no longer applies.
	d = newDecision(finding("GP-MOD-003", decision.LevelDeny, "a"))
	if err := Apply(d, []Waiver{w}, Options{Now: time.Date(2030, 1, 2, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	if d.Allow || d.Waivers[0].Status != decision.WaiverExpired {
		t.Fatalf("after expiry: allow=%v waivers=%+v", d.Allow, d.Waivers)
	}
}

func TestGlob(t *testing.T) {
	cases := []struct {
		pattern, text string
		want          bool
	}{
		{"github.com/spf13/*", "github.com/spf13/cobra", true},
		{"github.com/spf13/*", "github.com/spf13/cobra/v2", true},
		{"github.com/spf13/*", "github.com/spf14/cobra", false},
		{"a.b", "axb", false},
		{"v1.?.0", "v1.2.0", true},
		{"exact", "exactly", false},
	}
	for _, c := range cases {
		re, err := Glob(c.pattern)
		if err != nil {
			t.Fatal(err)
		}
		if got := re.MatchString(c.text); got != c.want {
			t.Errorf("Glob(%q).Match(%q) = %v", c.pattern, c.text, got)
		}
	}
}

func FuzzParseFile(f *testing.F) {
	f.Add([]byte(goodFile))
	f.Add([]byte("- policy: A\n  match: {subject: x}\n"))
	f.Add([]byte("waivers: [1, 2]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ws, err := ParseFile("f.yaml", data)
		if err != nil {
			var we *Error
			if !errors.As(err, &we) {
				t.Fatalf("error is not a *waiver.Error: %v", err)
			}
			return
		}
		for _, w := range ws {
			if w.Policy == "" || w.Owner == "" || w.Reason == "" || len(w.Match) == 0 || w.Expires.IsZero() {
				t.Fatalf("incomplete waiver accepted: %+v", w)
			}
		}
	})
}
