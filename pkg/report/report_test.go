package report_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gopolicy/gopolicy/internal/corpus"
	"github.com/gopolicy/gopolicy/internal/gotest"
	"github.com/gopolicy/gopolicy/pkg/gopolicy"
	"github.com/gopolicy/gopolicy/pkg/report"
)

const testNow = "2026-06-01"

// run makes a report of inputs into a new directory.
func run(t testing.TB, cfg gopolicy.Config, inputs []report.Input, shard, shards int) (string, report.Summary) {
	t.Helper()
	ctx := context.Background()
	cfg.Now = testNow
	p, err := gopolicy.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	meta := report.Metadata{Tool: "gopolicy", ToolVersion: "test", Profile: p.Profile(), Now: testNow, Started: time.Now(),
		Bundle: p.Engine().BundleSummary(), Bundles: p.Engine().Bundles(), Subjects: len(inputs), NoHash: cfg.NoHash}
	if shards > 0 {
		meta.Shard = fmt.Sprintf("%d/%d", shard, shards)
	}
	w, err := report.Create(dir, meta)
	if err != nil {
		t.Fatal(err)
	}
	now, _ := gopolicy.ParseNow(testNow)
	if err := report.Run(ctx, p, cfg, inputs, w, report.Options{Jobs: 4, Shard: shard, Shards: shards, Now: now}); err != nil {
		t.Fatal(err)
	}
	sum, err := w.Close(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return dir, sum
}

// TestCorpusReport judges every module of the corpus of real
// repositories in one report (in place: the corpus is never copied), and
// checks each is recorded with its facts, and that verify reproduces
// every verdict.
func TestCorpusReport(t *testing.T) {
	dir := corpus.Dir(t)
	env := gotest.Env(t)
	inputs, err := report.Expand(context.Background(), report.Sources{Args: []string{dir + "/..."}, Base: gopolicy.Subject{Env: env}})
	if err != nil {
		t.Fatal(err)
	}
	out, sum := run(t, gopolicy.Config{NoGoCommand: true}, inputs, 0, 0)
	if sum.Artefacts != len(inputs) || sum.Allowed+sum.Denied+sum.Errors != len(inputs) {
		t.Fatalf("summary %+v for %d modules", sum, len(inputs))
	}
	r, err := report.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range r.Artefacts {
		if a.Index != i || a.Kind != report.KindProject || a.Facts == "" || !strings.HasPrefix(a.FactsSHA256, "sha256:") {
			t.Errorf("artefact %d: %+v", i, a)
		}
	}
	t.Logf("%d modules: %d allowed, %d denied, %d errors; %d deny findings", sum.Artefacts, sum.Allowed, sum.Denied, sum.Errors, sum.Findings.Deny)
	p, err := gopolicy.New(context.Background(), gopolicy.Config{Now: testNow, NoGoCommand: true})
	if err != nil {
		t.Fatal(err)
	}
	v, err := report.Verify(context.Background(), out, p, "")
	if err != nil {
		t.Fatal(err)
	}
	if !v.OK() {
		t.Errorf("verify: %+v", v)
	}
}

// factsInputs writes n facts documents: copies of one collected from a
// module, the i-th denied when i%3 == 0 (GOSUMDB=off with GOPROXY=direct).
func factsInputs(t testing.TB, n int) []report.Input {
	t.Helper()
	dir := t.TempDir()
	gotest.WriteTree(t, dir, "-- go.mod --\nmodule example.com/m\n\ngo 1.22\n-- main.go --\npackage main\n\nfunc main() {}\n")
	clean := gotest.Env(t)
	clean["GOPROXY"], clean["GOSUMDB"] = "https://proxy.golang.org", "sum.golang.org"
	bad := gotest.Env(t)
	bad["GOPROXY"], bad["GOSUMDB"] = "direct", "off"
	var docs [2][]byte
	for i, env := range []map[string]string{clean, bad} {
		doc, err := gopolicy.Collect(context.Background(), gopolicy.Config{NoGoCommand: true}, gopolicy.Subject{Dir: dir, Env: env})
		if err != nil {
			t.Fatal(err)
		}
		if docs[i], err = gopolicy.MarshalFacts(doc); err != nil {
			t.Fatal(err)
		}
	}
	var inputs []report.Input
	for i := range n {
		data := docs[0]
		if i%3 == 0 {
			data = docs[1]
		}
		f := filepath.Join(dir, fmt.Sprintf("facts-%05d.json", i))
		if err := os.WriteFile(f, data, 0o644); err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, report.Input{Name: f, Kind: report.KindFacts, FactsFile: f})
	}
	return inputs
}

// TestShardsMergeToWhole cuts a run in three and checks the merged
// report.json is the unsharded one, apart from the run's wall clock.
func TestShardsMergeToWhole(t *testing.T) {
	inputs := factsInputs(t, 10)
	whole, sum := run(t, gopolicy.Config{}, inputs, 0, 0)
	if sum.Artefacts != 10 || sum.Denied != 4 {
		t.Fatalf("summary %+v", sum)
	}
	var shards []string
	for i := 1; i <= 3; i++ {
		d, _ := run(t, gopolicy.Config{}, inputs, i, 3)
		shards = append(shards, d)
	}
	merged := t.TempDir()
	if _, err := report.Merge(merged, shards); err != nil {
		t.Fatal(err)
	}
	if a, b := normalized(t, whole), normalized(t, merged); a != b {
		t.Errorf("merged report differs from the whole:\n%s\n---\n%s", a, b)
	}
}

var clockRE = regexp.MustCompile(`"(started|finished)": "[^"]*"`)

func normalized(t *testing.T, dir string) string {
	data, err := os.ReadFile(filepath.Join(dir, report.JSONFile))
	if err != nil {
		t.Fatal(err)
	}
	return clockRE.ReplaceAllString(string(data), `"$1": ""`)
}

// TestVerifyAlteredFacts changes one stored facts document: verify names
// it and fails.
func TestVerifyAlteredFacts(t *testing.T) {
	inputs := factsInputs(t, 3)
	out, _ := run(t, gopolicy.Config{}, inputs, 0, 0)
	p, err := gopolicy.New(context.Background(), gopolicy.Config{Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	v, err := report.Verify(context.Background(), out, p, "")
	if err != nil || !v.OK() || v.Same != 3 {
		t.Fatalf("verify of an intact report: %+v, %v", v, err)
	}
	f := filepath.Join(out, report.FactsPath(1))
	data, _ := os.ReadFile(f)
	os.WriteFile(f, append(data, ' '), 0o644)
	v, err = report.Verify(context.Background(), out, p, "")
	if err != nil {
		t.Fatal(err)
	}
	if v.OK() || len(v.Changes) != 1 || v.Changes[0].Index != 1 || !strings.Contains(v.Changes[0].Why[0], "facts/0002.json was altered") {
		t.Fatalf("verify of an altered report: %+v", v)
	}
}

// TestHTMLInChromium renders index.html of 2,500 artefacts in headless
// Chromium, offline, and reads the summary numbers and the first page of
// the table out of the DOM the page's script built.
func TestHTMLInChromium(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (apt-get install -y chromium): the HTML report is not rendered")
	}
	inputs := factsInputs(t, 2500)
	out, sum := run(t, gopolicy.Config{}, inputs, 0, 0)
	page := filepath.Join(out, report.HTMLFile)
	args := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--user-data-dir=" + t.TempDir()}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dom, err := exec.CommandContext(ctx, chromium, append(args, "--dump-dom", "file://"+page)...).Output()
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	for _, want := range []string{
		fmt.Sprintf(`<div class="n" id="sum-artefacts">%d</div>`, sum.Artefacts),
		fmt.Sprintf(`<div class="n" id="sum-denied">%d</div>`, sum.Denied),
		fmt.Sprintf(`<div class="n" id="sum-allowed">%d</div>`, sum.Allowed),
		`<span id="count">2500 of 2500 artefacts</span>`,
		`<span id="page">page 1 / 25</span>`,
		`<td class="o-denied">denied</td>`,
	} {
		if !strings.Contains(string(dom), want) {
			t.Errorf("the rendered page lacks %s", want)
		}
	}
	if n := strings.Count(string(dom), `<tr class="a"`); n != 100 {
		t.Errorf("the first page shows %d rows, want 100", n)
	}
	if shot := os.Getenv("GOPOLICY_REPORT_SCREENSHOT"); shot != "" {
		exec.CommandContext(ctx, chromium, append(args, "--screenshot="+shot, "--window-size=1280,1600", "file://"+page)...).Run()
	}
}

// BenchmarkReport1000Binaries reports 1,000 small binaries (one tiny Go
// program copied with different trailing bytes) and, in the same run,
// hashes the same files with sha256sum: the report's target is under
// twice the hashing time.
func BenchmarkReport1000Binaries(b *testing.B) {
	env := gotest.Env(b)
	src := b.TempDir()
	gotest.WriteTree(b, src, "-- go.mod --\nmodule example.com/tiny\n\ngo 1.22\n-- main.go --\npackage main\n\nvar version = \"dev\"\n\nfunc main() { println(version) }\n")
	bin := gotest.Build(b, env, src, filepath.Join(src, "tiny"), map[string]string{"CGO_ENABLED": "0"}, "-trimpath")
	data, err := os.ReadFile(bin)
	if err != nil {
		b.Fatal(err)
	}
	dist := b.TempDir()
	var files []string
	for i := range 1000 {
		f := filepath.Join(dist, fmt.Sprintf("tiny-%04d", i))
		if err := os.WriteFile(f, append(data[:len(data):len(data)], fmt.Sprintf("%08d", i)...), 0o755); err != nil {
			b.Fatal(err)
		}
		files = append(files, f)
	}
	inputs, err := report.Expand(context.Background(), report.Sources{Binaries: []string{dist}})
	if err != nil || len(inputs) != 1000 {
		b.Fatalf("%d inputs: %v", len(inputs), err)
	}
	var hashTime, reportTime time.Duration
	for b.Loop() {
		start := time.Now()
		if _, err := exec.LookPath("sha256sum"); err == nil {
			cmd := exec.Command("sha256sum", files...)
			cmd.Stdout = io.Discard
			if err := cmd.Run(); err != nil {
				b.Fatal(err)
			}
		} else {
			for _, f := range files {
				d, _ := os.ReadFile(f)
				sha256.Sum256(d)
			}
		}
		hashTime += time.Since(start)
		start = time.Now()
		_, sum := run(b, gopolicy.Config{}, inputs, 0, 0)
		reportTime += time.Since(start)
		if sum.Artefacts != 1000 {
			b.Fatalf("summary %+v", sum)
		}
	}
	b.ReportMetric(float64(hashTime.Milliseconds())/float64(b.N), "sha256sum-ms/op")
	b.ReportMetric(float64(reportTime.Milliseconds())/float64(b.N), "report-ms/op")
	b.ReportMetric(float64(reportTime)/float64(hashTime), "x-hash-time")
	b.Logf("1000 binaries of %d bytes, GOMAXPROCS %d: sha256sum %v, report %v (%.1f×)", len(data), runtime.GOMAXPROCS(0), hashTime/time.Duration(b.N), reportTime/time.Duration(b.N), float64(reportTime)/float64(hashTime))
}

// TestReportJSONModel checks report.json's artefact entries point at
// decisions in the eval --format json model.
func TestReportJSONModel(t *testing.T) {
	inputs := factsInputs(t, 2)
	out, _ := run(t, gopolicy.Config{}, inputs, 0, 0)
	r, err := report.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	if r.Metadata.Bundle.Digest == "" || len(r.Metadata.Bundles) == 0 || r.Metadata.Now != testNow {
		t.Errorf("metadata %+v", r.Metadata)
	}
	d, err := report.ReadDecision(out, r.Artefacts[0])
	if err != nil {
		t.Fatal(err)
	}
	if d.Allow || d.Summary.Deny == 0 || r.Artefacts[0].Outcome != "denied" {
		t.Errorf("artefact 0: %+v, decision summary %+v", r.Artefacts[0], d.Summary)
	}
	raw, _ := os.ReadFile(filepath.Join(out, r.Artefacts[0].Decision))
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil || m["findings"] == nil || m["bundle"] == nil {
		t.Errorf("decision file: %v", err)
	}
}
