package output

import (
	"fmt"
	"io"
	"path/filepath"
	"testing"

	"github.com/gopolicy/gopolicy/pkg/decision"
)

// BenchmarkFormats renders a decision with 2,000 findings (a large
// module's worth of go.sum problems) in each CI format.
func BenchmarkFormats(b *testing.B) {
	dir := b.TempDir()
	d := &decision.Decision{Profile: "prod", Dir: dir}
	for i := range 2000 {
		d.Findings = append(d.Findings, decision.Finding{Policy: fmt.Sprintf("GP-MOD-%03d", i%7), Title: "t", Version: "1.0.0", Severity: "high", Level: decision.LevelDeny,
			Message: "m", Subject: fmt.Sprintf("example.com/m%d", i), Remediation: "fix it",
			Evidence: []decision.Evidence{{Fact: fmt.Sprintf("/gosum/missing/%d", i), Value: "v", Source: fmt.Sprintf("%s:%d", filepath.Join(dir, "go.mod"), i+1), File: filepath.Join(dir, "go.mod"), Line: i + 1}}})
	}
	d.Recount()
	for _, name := range []string{"sarif", "junit", "github", "text"} {
		f, err := New(name, Options{BaseDir: dir})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if err := f.Format(io.Discard, d); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
