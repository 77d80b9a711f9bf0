package output_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/diff"

	"github.com/gopolicy/gopolicy/internal/sariftest"
	"github.com/gopolicy/gopolicy/pkg/decision"
	"github.com/gopolicy/gopolicy/pkg/output"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from what the formats render now")

// goldenOptions fix everything in the output that would otherwise depend
// on the machine or the build: the fixture's files lie under
// /src/payments, which BaseDir names, and the tool version is a constant.
// Nothing the formats render depends on the time.
var goldenOptions = output.Options{BaseDir: "/src/payments", ToolVersion: "0.0.0-golden"}

// goldens are the rendered forms of testdata/decision.json, one file per
// format (and text in verbose mode too) under testdata/golden.
var goldens = []struct {
	file, format string
	verbose      bool
	color        bool
	// all renders the fixture twice through FormatAll, as a report over
	// several artefacts does.
	all bool
}{
	{"text.txt", "text", false, false, false},
	{"text-verbose.txt", "text", true, false, false},
	{"text-color.txt", "text", false, true, false},
	{"json.json", "json", false, false, false},
	{"sarif.json", "sarif", false, false, false},
	{"junit.xml", "junit", false, false, false},
	{"github.txt", "github", false, false, false},
	{"json-all.json", "json", false, false, true},
	{"sarif-all.json", "sarif", false, false, true},
	{"junit-all.xml", "junit", false, false, true},
}

// TestGolden renders the fixture decision in every format and compares
// the output byte for byte with its golden file. After an intended change
// of output, rewrite the goldens with `go test ./pkg/output -update` and
// review their diff.
func TestGolden(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the fixture's paths are POSIX paths")
	}
	for _, g := range goldens {
		name := strings.TrimSuffix(g.file, filepath.Ext(g.file))
		t.Run(name, func(t *testing.T) {
			opts := goldenOptions
			opts.Verbose, opts.Color = g.verbose, g.color
			f, err := output.New(g.format, opts)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if g.all {
				second := loadDecision(t)
				second.Dir = "/src/inventory"
				err = f.FormatAll(&buf, []*decision.Decision{loadDecision(t), second})
			} else {
				err = f.Format(&buf, loadDecision(t))
			}
			if err != nil {
				t.Fatal(err)
			}
			got := buf.Bytes()
			if g.format == "sarif" {
				sariftest.Require(t, got)
			}
			path := filepath.Join("testdata", "golden", g.file)
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				t.Logf("wrote %s", path)
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (go test ./pkg/output -update writes it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s output differs from %s (if the change is intended, run go test ./pkg/output -update and review the diff):\n%s",
					g.format, path, shortDiff(path, want, got))
			}
		})
	}
}

// TestGoldenFixture keeps the fixture honest: every level, waiver state
// and kind of location the formats handle is in it, and its summary,
// verdict and order are the ones Recount gives.
func TestGoldenFixture(t *testing.T) {
	d := loadDecision(t)
	levels := map[string]bool{}
	for _, f := range d.Findings {
		levels[f.Level] = true
	}
	for _, l := range []string{decision.LevelDeny, decision.LevelWarn, decision.LevelError, decision.LevelPass, decision.LevelSkip, decision.LevelOff, decision.LevelWaived} {
		if !levels[l] {
			t.Errorf("no %s finding", l)
		}
	}
	states := map[string]bool{}
	for _, w := range d.Waivers {
		states[w.Status] = true
	}
	for _, s := range []string{decision.WaiverApplied, decision.WaiverExpired, decision.WaiverUnmatched} {
		if !states[s] {
			t.Errorf("no %s waiver", s)
		}
	}
	var withLine, withoutLine bool
	for _, ie := range d.InputErrors {
		withLine = withLine || ie.Path != "" && ie.Line > 0
		withoutLine = withoutLine || ie.Line == 0
	}
	if !withLine || !withoutLine {
		t.Errorf("want input errors with and without file:line, have %+v", d.InputErrors)
	}
	if len(d.Overrides) == 0 || len(d.Bundles) < 2 {
		t.Errorf("want an override and two bundles, have %d and %d", len(d.Overrides), len(d.Bundles))
	}

	recounted := loadDecision(t)
	recounted.Recount()
	if recounted.Summary != d.Summary || recounted.Allow != d.Allow || !reflect.DeepEqual(recounted.Findings, d.Findings) {
		t.Errorf("testdata/decision.json disagrees with Recount: it gives allow=%v %+v, the fixture has allow=%v %+v (or orders findings differently)",
			recounted.Allow, recounted.Summary, d.Allow, d.Summary)
	}
}

// loadDecision decodes the fixture into the decision type; a field the
// type does not have is an error, so the fixture cannot silently stop
// exercising something.
func loadDecision(t *testing.T) *decision.Decision {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "decision.json"))
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var d decision.Decision
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("testdata/decision.json: %v", err)
	}
	return &d
}

// shortDiff is a unified diff of want and got, cut to its first lines.
func shortDiff(path string, want, got []byte) string {
	const max = 40
	lines := strings.SplitAfter(string(diff.Diff(path, want, "got", got)), "\n")
	if len(lines) > max {
		lines = append(lines[:max], fmt.Sprintf("... %d more lines of diff\n", len(lines)-max))
	}
	return strings.Join(lines, "")
}
