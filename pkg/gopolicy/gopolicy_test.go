package gopolicy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gopolicy/gopolicy/internal/gotest"
	"github.com/gopolicy/gopolicy/pkg/collect"
	"github.com/gopolicy/gopolicy/pkg/collect/target"
	"github.com/gopolicy/gopolicy/pkg/decision"
	"github.com/gopolicy/gopolicy/pkg/facts"
	"github.com/gopolicy/gopolicy/pkg/facts/check"
	"github.com/gopolicy/gopolicy/pkg/gopolicy"
	"github.com/gopolicy/gopolicy/pkg/output"
)

func newPipeline(t testing.TB, cfg gopolicy.Config) *gopolicy.Pipeline {
	t.Helper()
	p, err := gopolicy.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func findings(d *decision.Decision, policy string) []decision.Finding {
	var out []decision.Finding
	for _, f := range d.Findings {
		if f.Policy == policy {
			out = append(out, f)
		}
	}
	return out
}

// A document written by gopolicy 0.3.0 is still judged, and judged as
// 0.3.0 judged it: the same verdict for every policy and subject.
func TestOldDocumentsStillJudged(t *testing.T) {
	p := newPipeline(t, gopolicy.Config{Profile: "prod", Now: "2026-11-21"})
	for _, name := range []string{"drifted", "tidy-binary"} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("testdata", "facts-0.3.0")
			data, err := os.ReadFile(filepath.Join(dir, name+".facts.json"))
			if err != nil {
				t.Fatal(err)
			}
			res, err := p.JudgeFacts(context.Background(), data)
			if err != nil {
				t.Fatalf("a 0.3.0 document must still be judged: %v", err)
			}
			var want [][3]string
			raw, err := os.ReadFile(filepath.Join(dir, name+".verdicts-0.3.0.json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(raw, &want); err != nil {
				t.Fatal(err)
			}
			known := map[string]bool{}
			for _, w := range want {
				known[w[0]] = true
			}
			// Policies added since are judged too; on an old document they
			// may be skipped or pass, never fail for facts it could not have.
			var got [][3]string
			for _, f := range res.Decision.Findings {
				if !known[f.Policy] {
					if f.Level == decision.LevelError {
						t.Errorf("%s, added after 0.3.0, is an error on a 0.3.0 document: %s", f.Policy, f.Message)
					}
					continue
				}
				got = append(got, [3]string{f.Policy, f.Level, f.Subject})
			}
			slices.SortFunc(got, func(a, b [3]string) int {
				return strings.Compare(strings.Join(a[:], "\x00"), strings.Join(b[:], "\x00"))
			})
			slices.SortFunc(want, func(a, b [3]string) int {
				return strings.Compare(strings.Join(a[:], "\x00"), strings.Join(b[:], "\x00"))
			})
			if !slices.Equal(got, want) {
				t.Fatalf("verdicts differ from 0.3.0's:\n got %v\nwant %v", got, want)
			}
		})
	}
}

// Every malformed variant is refused with the pointer that is wrong; none
// is judged, so none can turn a deny into an allow.
func TestJudgeFactsRefusesMalformedDocuments(t *testing.T) {
	base, err := os.ReadFile(filepath.Join("testdata", "facts-0.3.0", "tidy-binary.facts.json"))
	if err != nil {
		t.Fatal(err)
	}
	p := newPipeline(t, gopolicy.Config{Profile: "prod"})
	edit := func(f func(doc map[string]any)) []byte {
		var doc map[string]any
		if err := json.Unmarshal(base, &doc); err != nil {
			t.Fatal(err)
		}
		f(doc)
		out, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	cases := map[string]struct {
		data    []byte
		pointer string
		message string
	}{
		"section of the wrong type":   {edit(func(d map[string]any) { d["goenv"] = "oops" }), "/goenv", "got a string, want object"},
		"list of the wrong type":      {edit(func(d map[string]any) { d["binaries"] = map[string]any{} }), "/binaries", "got an object, want array"},
		"null list":                   {edit(func(d map[string]any) { d["vendor"].(map[string]any)["violations"] = nil }), "/vendor/violations", "got null, want array"},
		"missing required field":      {edit(func(d map[string]any) { delete(d["gosum"].(map[string]any), "missing") }), "/gosum/missing", "required field is missing"},
		"section from a newer engine": {edit(func(d map[string]any) { d["telemetry"] = map[string]any{} }), "/telemetry", `unknown section "telemetry": the document was written by gopolicy 0.3.0`},
		"another schema":              {edit(func(d map[string]any) { d["schema"] = "gopolicy.dev/facts/v2" }), "/schema", `"gopolicy.dev/facts/v2" is not "gopolicy.dev/facts/v1"`},
		"no schema":                   {edit(func(d map[string]any) { delete(d, "schema") }), "/schema", "missing: this is not a gopolicy facts document"},
		"not an object":               {[]byte(`[1, 2]`), "", "the document is a JSON array, not an object"},
		"empty":                       {[]byte("\n"), "", "the document is empty"},
		"truncated":                   {base[:len(base)/2], "", "not valid JSON"},
		"two documents":               {append(append([]byte{}, base...), base...), "", "more than one value"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			res, err := p.JudgeFacts(context.Background(), c.data)
			var ce *check.Error
			if !errors.As(err, &ce) {
				t.Fatalf("JudgeFacts = %v, %v; want a *check.Error", res, err)
			}
			if ce.Pointer != c.pointer || !strings.Contains(ce.Message, c.message) {
				t.Fatalf("error %q at %q; want %q at %q", ce.Message, ce.Pointer, c.message, c.pointer)
			}
		})
	}
}

// Judging binaries alone must not judge the machine gopolicy runs on: its
// GOSUMDB=off and GOTOOLCHAIN are not the binary's build environment.
func TestArtefactsOnlyLeavesTheLocalMachineOut(t *testing.T) {
	env := gotest.Env(t)
	gotest.Proxy(t, env)
	dir := gotest.Project(t, env)
	bin := gotest.Build(t, env, dir, filepath.Join(t.TempDir(), "app"), nil, "-trimpath")
	env["GOSUMDB"], env["GOPROXY"], env["GOTOOLCHAIN"] = "off", "direct", "auto"
	p := newPipeline(t, gopolicy.Config{Profile: "prod", NoGoCommand: true})

	res, err := p.Judge(context.Background(), gopolicy.Subject{Binaries: []string{bin}, Env: env})
	if err != nil {
		t.Fatal(err)
	}
	var doc facts.Document
	if err := json.Unmarshal(res.Facts, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.GoEnv != nil || doc.Runner != nil || doc.GoMod != nil {
		t.Fatalf("artefacts-only facts describe the local machine: goenv %v runner %v gomod %v", doc.GoEnv != nil, doc.Runner != nil, doc.GoMod != nil)
	}
	for _, name := range []string{collect.GoEnv, collect.Runner, collect.GoMod} {
		if st := doc.Collectors[name]; st.Status != facts.StatusSkipped || !strings.Contains(st.Reason, "artefacts only") {
			t.Errorf("collector %s: %+v, want skipped as artefacts only", name, st)
		}
	}
	for _, id := range []string{"GP-ENV-001", "GP-ENV-002", "GP-MOD-006"} {
		if fs := findings(res.Decision, id); len(fs) != 1 || fs[0].Level != decision.LevelSkip {
			t.Errorf("%s: %+v, want one skip", id, fs)
		}
	}
	if len(doc.Binaries) != 1 || doc.Binaries[0].Go == nil || !doc.Binaries[0].Go.IsGo {
		t.Fatalf("binary facts: %+v", doc.Binaries)
	}

	// The same environment with the project judged does deny.
	res, err = p.Judge(context.Background(), gopolicy.Subject{Dir: dir, Binaries: []string{bin}, Env: env})
	if err != nil {
		t.Fatal(err)
	}
	if fs := findings(res.Decision, "GP-ENV-002"); len(fs) != 1 || fs[0].Level != decision.LevelDeny {
		t.Fatalf("GP-ENV-002 with the project: %+v, want a deny", fs)
	}
}

// A caller chooses the collectors; unknown names are refused.
func TestChosenCollectors(t *testing.T) {
	env := gotest.Env(t)
	gotest.Proxy(t, env)
	dir := gotest.Project(t, env)
	cfg := gopolicy.Config{NoGoCommand: true}
	doc, err := gopolicy.Collect(context.Background(), cfg, gopolicy.Subject{Dir: dir, Env: env, Collectors: []string{collect.GoSum}})
	if err != nil {
		t.Fatal(err)
	}
	if doc.GoSum == nil || doc.GoEnv != nil || doc.Runner != nil {
		t.Fatalf("chose gosum: gosum %v goenv %v runner %v", doc.GoSum != nil, doc.GoEnv != nil, doc.Runner != nil)
	}
	if st := doc.Collectors[collect.Runner]; st.Status != facts.StatusSkipped {
		t.Fatalf("runner: %+v, want skipped", st)
	}
	_, err = gopolicy.Collect(context.Background(), cfg, gopolicy.Subject{Dir: dir, Env: env, Collectors: []string{"gosumm"}})
	var ie *collect.InputError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), `unknown collector "gosumm"`) {
		t.Fatalf("err = %v, want an unknown-collector input error", err)
	}
	for _, c := range collect.Collectors() {
		if c.Name == "" || c.Summary == "" {
			t.Errorf("collector %+v lacks a name or summary", c)
		}
	}
}

// A deadline reaches the collectors: hashing a large binary stops, and
// facts cut short are an error, never judged as complete.
func TestDeadlineStopsCollection(t *testing.T) {
	big := filepath.Join(t.TempDir(), "big")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(2 << 30); err != nil { // sparse: costs no disk
		t.Fatal(err)
	}
	f.Close()
	p := newPipeline(t, gopolicy.Config{Profile: "prod"})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	res, err := p.Judge(ctx, gopolicy.Subject{Binaries: []string{big}, Target: targetLinux})
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("collection took %v after a 50ms deadline", took)
	}
	if res.Outcome != gopolicy.Error || len(res.Decision.InputErrors) == 0 {
		t.Fatalf("outcome %s, input errors %v; want an error", res.Outcome, res.Decision.InputErrors)
	}
	if !strings.Contains(res.Decision.InputErrors[0].Message, "deadline exceeded") {
		t.Fatalf("input error %q does not say the deadline passed", res.Decision.InputErrors[0].Message)
	}
}

// The pipeline is built once and judges concurrently; each judgement
// equals the one made alone.
func TestConcurrentJudgements(t *testing.T) {
	p := newPipeline(t, gopolicy.Config{Profile: "prod"})
	data, err := os.ReadFile(filepath.Join("testdata", "facts-0.3.0", "drifted.facts.json"))
	if err != nil {
		t.Fatal(err)
	}
	alone, err := p.JudgeFacts(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(alone.Decision)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := p.JudgeFacts(context.Background(), data)
			if err != nil {
				errs <- err
				return
			}
			if got, _ := json.Marshal(res.Decision); !bytes.Equal(got, want) {
				errs <- errors.New("a concurrent judgement differs from the one made alone")
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

type recordingHandler struct {
	progress  []output.Progress
	decisions []*decision.Decision
	flushed   bool
}

func (h *recordingHandler) Progress(p output.Progress) error {
	h.progress = append(h.progress, p)
	return nil
}
func (h *recordingHandler) Decision(d *decision.Decision) error {
	h.decisions = append(h.decisions, d)
	return nil
}
func (h *recordingHandler) Flush() error { h.flushed = true; return nil }

// JudgeAll streams decisions in the items' order; a failing item is
// recorded as that item's error and the run goes on.
func TestJudgeAllStreamsInOrder(t *testing.T) {
	drifted, err := os.ReadFile(filepath.Join("testdata", "facts-0.3.0", "drifted.facts.json"))
	if err != nil {
		t.Fatal(err)
	}
	p := newPipeline(t, gopolicy.Config{Profile: "dev"})
	items := []gopolicy.Item{
		{Name: "drifted", Facts: drifted},
		{Name: "nowhere", Subject: gopolicy.Subject{Dir: filepath.Join(t.TempDir(), "nowhere")}},
		{Name: "garbage", Facts: []byte("{")},
		{Name: "drifted again", Facts: drifted},
	}
	h := &recordingHandler{}
	worst, err := p.JudgeAll(context.Background(), items, h, 3)
	if err != nil {
		t.Fatal(err)
	}
	if worst != gopolicy.Error || !h.flushed || len(h.decisions) != len(items) {
		t.Fatalf("worst %s, flushed %v, %d decisions", worst, h.flushed, len(h.decisions))
	}
	if len(h.decisions[0].InputErrors) != 0 || len(h.decisions[3].InputErrors) != 0 {
		t.Fatal("judged items carry input errors")
	}
	for i, name := range map[int]string{1: "nowhere", 2: "garbage"} {
		ie := h.decisions[i].InputErrors
		if len(ie) != 1 || ie[0].Path != name || h.decisions[i].Allow {
			t.Fatalf("item %d: %+v, want one input error naming %s", i, ie, name)
		}
	}
	last := h.progress[len(h.progress)-1]
	if last.Done != 4 || last.Total != 4 || last.Errors != 2 {
		t.Fatalf("last progress %+v", last)
	}
}

func TestConfigFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "gopolicy.yaml")
	write := func(s string) {
		if err := os.WriteFile(file, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("profile: prod\npolicy: [org]\npolicy-key: keys/org.pub.pem\npolicy_data: {min_go_version: \"1.25\"}\nwaiver_max_days: {prod: 30}\nwaivers:\n  - policy: GP-MOD-003\n    match: {subject: x}\n    reason: r\n    owner: o\n    expires: 2027-01-01\n")
	cf, err := gopolicy.ReadConfigFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if got := cf.Settings["policy"]; !slices.Equal(got.([]any), []any{filepath.Join(dir, "org")}) {
		t.Errorf("policy %v: paths in the file are relative to it", got)
	}
	if got := cf.Settings["policy-key"]; got != filepath.Join(dir, "keys", "org.pub.pem") {
		t.Errorf("policy-key %v", got)
	}
	if cf.WaiverMaxDays["prod"] != 30 || cf.PolicyData["min_go_version"] != "1.25" || len(cf.Waivers) != 1 || cf.Waivers[0].Line != 7 {
		t.Errorf("file settings: %+v", cf)
	}
	for text, want := range map[string]string{
		"profil: prod\n":               "unknown key(s) profil",
		"waiver_max_days: {prod: x}\n": "waiver_max_days.prod must be a number of days",
		"policy_data: [1]\n":           "policy_data must be a mapping",
		"profile: [\n":                 "yaml:",
	} {
		write(text)
		if _, err := gopolicy.ReadConfigFile(file); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", text, err, want)
		}
	}
}

func TestNewRefusesBadConfiguration(t *testing.T) {
	for name, c := range map[string]struct {
		cfg  gopolicy.Config
		want string
	}{
		"unknown profile":    {gopolicy.Config{Profile: "staging"}, `unknown profile "staging"`},
		"fail-on":            {gopolicy.Config{FailOn: "error"}, `invalid --fail-on "error"`},
		"now":                {gopolicy.Config{Now: "yesterday"}, `invalid --now "yesterday"`},
		"key without bundle": {gopolicy.Config{BundleKey: "k.pem"}, "no --policy bundle to verify"},
		"nothing":            {gopolicy.Config{NoBuiltin: true}, "no policies"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := gopolicy.New(context.Background(), c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
}

func TestOutcomeAppliesFailOn(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "facts-0.3.0", "drifted.facts.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		profile, failOn string
		want            gopolicy.Outcome
	}{
		{"prod", "", gopolicy.Denied},
		{"dev", "", gopolicy.Allowed},
		{"dev", "warn", gopolicy.Denied},
	} {
		p := newPipeline(t, gopolicy.Config{Profile: c.profile, FailOn: c.failOn})
		res, err := p.JudgeFacts(context.Background(), data)
		if err != nil {
			t.Fatal(err)
		}
		if res.Outcome != c.want || res.Outcome.ExitCode() != map[gopolicy.Outcome]int{gopolicy.Allowed: 0, gopolicy.Denied: 1}[c.want] {
			t.Errorf("profile %s fail-on %q: %s, want %s", c.profile, c.failOn, res.Outcome, c.want)
		}
	}
}

var targetLinux = target.Spec{Platform: "linux/amd64", Source: "flag"}
